using System.IO.Pipelines;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sluice.Delivery.Transports;
using Sluice.Serialization;

namespace Sluice.Benchmarks;

/// <summary>
/// NDJSON ingest: <see cref="SluiceEngine.IngestAsync(PipeReader, Action{IngestError}?, long, CancellationToken)"/>
/// from a <see cref="PipeReader"/> over a file of the standard events as lines, into a
/// <see cref="FileTransport"/>, <see cref="FullMode.Wait"/>. The file is read synchronously
/// (<see cref="SynchronousReads"/>) and the queue holds the whole file (<see cref="Options"/>), so
/// every line is split, parsed and enqueued on the benchmark thread (an ingest that waits for room
/// goes on where the wait ends, on a pool thread): its "Thread B/op" is the reading thread's
/// allocation per line, the ingest's one-off costs included (its identifier cache filling with the
/// file's 1,024 users: 172 KB, 1.7 B per line of this file; <see cref="Probe"/> shows each further
/// line costs 0 B), "Process B/op" the whole process's (engine and file transport included). The
/// batch files are deleted between iterations, untimed.
/// </summary>
[InvocationCount(1, 1)]
public class IngestBenchmark
{
    public const int Lines = 100_000;

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"sluice-ingest-{Environment.ProcessId}");
    private string _input = null!;
    private string _output = null!;
    private SluiceEngine _engine = null!;
    private bool _warming = true;

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_root);
        _input = Path.Combine(_root, "events.ndjson");
        _output = Path.Combine(_root, "batches");
        WriteLines(_input, Lines);
        _engine = new SluiceEngine(Options(), new FileTransport(_output));
        SteadyState.WarmUp(nameof(IngestBenchmark), () =>
        {
            File();
            DeleteBatches();
        });
        _warming = false;
    }

    /// <summary>The end-to-end settings, with a queue that holds the largest file read (the probe's 200,000 lines).</summary>
    private static SluiceOptions Options()
    {
        var options = EndToEndRun.Options();
        options.QueueCapacity = 262_144;
        options.Name = "ingest";
        return options;
    }

    [IterationCleanup]
    public void DeleteBatches()
    {
        foreach (string file in Directory.EnumerateFiles(_output))
            System.IO.File.Delete(file);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var c = _engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        Directory.Delete(_root, recursive: true);
        if (c.Delivered != c.Accepted)
            throw new InvalidOperationException($"Events went missing: accepted {c.Accepted}, delivered {c.Delivered}.");
        ProcessAllocation.Save();
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public void File()
    {
        var allocation = ProcessAllocation.Start();
        using var stream = new SynchronousReads(_input);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var summary = _engine.IngestAsync(reader).GetAwaiter().GetResult();
        reader.Complete();
        _engine.FlushAsync().GetAwaiter().GetResult();
        if (!_warming)
            ProcessAllocation.Stop(allocation, Lines, nameof(IngestBenchmark) + "." + nameof(File));
        if (summary.Accepted != Lines)
            throw new InvalidOperationException($"Only {summary.Accepted} of {Lines} lines were accepted.");
    }

    /// <summary>
    /// <c>--ingest-probe</c>: the reading thread's bytes per ingest of files of 100,000 and 200,000
    /// lines (three each, after a warm-up), so that what an ingest costs once (its identifier cache
    /// filling with the file's 1,024 users, its pipe) and what each line costs can be told apart.
    /// </summary>
    public static int Probe()
    {
        string root = Path.Combine(Path.GetTempPath(), $"sluice-ingest-probe-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        try
        {
            var engine = new SluiceEngine(Options(), new FileTransport(Path.Combine(root, "batches")));
            foreach (int lines in new[] { Lines, 2 * Lines })
            {
                string input = Path.Combine(root, $"{lines}.ndjson");
                WriteLines(input, lines);
                for (int round = 0; round < 6; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    using (var stream = new SynchronousReads(input))
                    {
                        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
                        engine.IngestAsync(reader).GetAwaiter().GetResult();
                        reader.Complete();
                    }

                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    engine.FlushAsync().GetAwaiter().GetResult();
                    foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "batches")))
                        System.IO.File.Delete(file);
                    if (round >= 3)
                        Console.WriteLine($"{lines} lines: {allocated:N0} B on the reading thread, {(double)allocated / lines:F2} B per line");
                }
            }

            engine.ShutdownAsync().GetAwaiter().GetResult();
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The standard events 0 … <paramref name="lines"/> - 1, one JSON object per line, as the ceiling writes them.</summary>
    private static void WriteLines(string path, int lines)
    {
        using var file = System.IO.File.Create(path);
        using var writer = new Utf8JsonWriter(file, EventWriter.WriterOptions);
        long ticks = DateTime.UtcNow.Ticks;
        for (int i = 0; i < lines; i++)
        {
            StandardEvent.WriteJson(writer, i, ticks + i);
            writer.Flush();
            file.WriteByte((byte)'\n');
            writer.Reset();
        }
    }

    /// <summary>
    /// A file whose asynchronous reads are its synchronous ones, completed at once: the pipe reader,
    /// and so the ingest loop, stay on the calling thread (a tool reading a file or a pipe does the same).
    /// </summary>
    private sealed class SynchronousReads(string path) : FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => new(Read(buffer.Span));
    }
}
