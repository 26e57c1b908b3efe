using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.Spooling;

namespace Sluice.Benchmarks;

/// <summary>
/// The spool's cost per sealed batch, on this machine's disk (the temp directory): one record
/// appended from a body in 64 KB pooled-style blocks and acknowledged, without a sync (what
/// <see cref="SpoolSync.None"/> and <see cref="SpoolSync.Interval"/> pay per batch) and with one
/// fsync per batch (<see cref="SpoolSync.PerBatch"/> when each batch is handed over alone; the
/// engine syncs the batches sealed together once). The difference is the sync policy's cost per batch.
/// Bodies of 64 KB (200 events) and 2 MB (the batch limit, 1,000 events).
/// </summary>
public class SpoolBenchmark
{
    private const int Block = 64 * 1024;

    private string _directory = null!;
    private DiskSpool _spool = null!;
    private ReadOnlySequence<byte> _body;
    private int[] _ends = null!;

    [Params(64 * 1024, 2 * 1024 * 1024)]
    public int BodyBytes { get; set; }

    [GlobalSetup(Target = nameof(Append))]
    public void SetupAppend() => Open(SpoolSync.None, nameof(Append));

    [GlobalSetup(Target = nameof(AppendAndSync))]
    public void SetupAppendAndSync() => Open(SpoolSync.PerBatch, nameof(AppendAndSync));

    [GlobalCleanup]
    public void Cleanup()
    {
        _spool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Append and acknowledge: the record reaches the operating system's buffers.</summary>
    [Benchmark(Baseline = true)]
    public long Append()
    {
        if (_spool.TryAppend(0, _body, _ends, out var ticket) != SpoolAppendStatus.Appended)
            throw new InvalidOperationException("The spool did not append.");
        _spool.Acknowledge(ticket);
        return ticket.BatchId;
    }

    /// <summary>Append, sync to the device, acknowledge.</summary>
    [Benchmark]
    public long AppendAndSync()
    {
        if (_spool.TryAppend(0, _body, _ends, out var ticket) != SpoolAppendStatus.Appended || !_spool.SyncAppends())
            throw new InvalidOperationException("The spool did not append and sync.");
        _spool.Acknowledge(ticket);
        return ticket.BatchId;
    }

    private void Open(SpoolSync sync, string scenario)
    {
        _directory = Path.Combine(Path.GetTempPath(), $"sluice-bench-spool-{Guid.NewGuid():N}");
        _spool = DiskSpool.OpenAsync(new SpoolOptions { DirectoryPath = _directory, Sync = sync }, "bench", TimeProvider.System, null)
            .AsTask().GetAwaiter().GetResult();

        int events = BodyBytes >= 1024 * 1024 ? 1_000 : 200;
        var bytes = new byte[BodyBytes];
        Random.Shared.NextBytes(bytes);
        _body = Blocks(bytes);
        _ends = [.. Enumerable.Range(1, events).Select(i => (int)((long)BodyBytes * i / events))];
        SteadyState.WarmUp($"{nameof(SpoolBenchmark)}.{scenario}", () => _ = sync == SpoolSync.None ? Append() : AppendAndSync());
    }

    // The body as the engine holds it: a chain of 64 KB blocks.
    private static ReadOnlySequence<byte> Blocks(byte[] bytes)
    {
        BlockSegment first = new(bytes.AsMemory(0, Math.Min(Block, bytes.Length)), 0), last = first;
        for (int start = Block; start < bytes.Length; start += Block)
            last = last.Append(bytes.AsMemory(start, Math.Min(Block, bytes.Length - start)));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class BlockSegment : ReadOnlySequenceSegment<byte>
    {
        public BlockSegment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public BlockSegment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new BlockSegment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
