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
/// goes on where the wait ends, on a pool thread). "Process B/op" is the whole process's allocation
/// per line (engine and file transport included). The reading thread's cost per line in steady state
/// is what one more line costs: after the warm-up, <see cref="Setup"/> ingests files of
/// <see cref="Lines"/> and twice as many lines and saves the difference per further line
/// (<see cref="ReadingThreadKey"/>), and what an ingest costs once whatever its length (its task,
/// its summary). An ingest's one-off costs spread over one file would read as a cost per line
/// that a longer file lowers. The batch files are deleted between iterations, untimed.
/// </summary>
[InvocationCount(1, 1)]
public class IngestBenchmark
{
    public const int Lines = 100_000;

    /// <summary>The saved results: the reading thread's bytes per further line, and per ingest.</summary>
    public const string ReadingThreadKey = "ingest-reading-thread.per-line";
    public const string PerIngestKey = "ingest-reading-thread.per-ingest";

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
        SaveReadingThreadCost();
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
        var reader = OpenLines(stream);
        var summary = _engine.IngestAsync(reader).GetAwaiter().GetResult();
        reader.Complete();
        _engine.FlushAsync().GetAwaiter().GetResult();
        if (!_warming)
            ProcessAllocation.Stop(allocation, Lines, nameof(IngestBenchmark) + "." + nameof(File));
        if (summary.Accepted != Lines)
            throw new InvalidOperationException($"Only {summary.Accepted} of {Lines} lines were accepted.");
    }

    /// <summary>
    /// <c>--ingest-probe</c>: the benchmark's set-up alone, without BenchmarkDotNet: the warm-up, then
    /// the reading thread's bytes per ingest of files of <see cref="Lines"/> and twice as many lines
    /// (printed, and saved where the ratio table reads them).
    /// </summary>
    public static int Probe()
    {
        var bench = new IngestBenchmark();
        bench.Setup();
        bench.Cleanup();
        return 0;
    }

    /// <summary>
    /// Ingests files of <see cref="Lines"/> and 2 × <see cref="Lines"/> lines, three times each, and
    /// saves the median of what each further line cost the reading thread, and what an ingest costs once.
    /// </summary>
    private void SaveReadingThreadCost()
    {
        string longer = Path.Combine(_root, "longer.ndjson");
        WriteLines(longer, 2 * Lines);
        var perLine = new SampleSet();
        var perIngest = new SampleSet();
        for (int round = 0; round < 3; round++)
        {
            long shortBytes = ReadingThreadBytes(_input);
            long longBytes = ReadingThreadBytes(longer);
            double further = (double)(longBytes - shortBytes) / Lines;
            perLine.Add(further);
            perIngest.Add(shortBytes - (further * Lines));
            Console.WriteLine($"// {nameof(IngestBenchmark)}: reading thread {shortBytes:N0} B for {Lines:N0} lines, {longBytes:N0} B for {2 * Lines:N0}");
        }

        System.IO.File.Delete(longer);
        ResultStore.Save(ReadingThreadKey, perLine.Median());
        ResultStore.Save(PerIngestKey, perIngest.Median());
    }

    /// <summary>What one ingest of <paramref name="input"/> allocates on the reading thread: the engine's work, not the file's stream or pipe.</summary>
    private long ReadingThreadBytes(string input)
    {
        long allocated;
        using (var stream = new SynchronousReads(input))
        {
            var reader = OpenLines(stream);
            long before = GC.GetAllocatedBytesForCurrentThread();
            _engine.IngestAsync(reader).GetAwaiter().GetResult();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            reader.Complete();
        }

        _engine.FlushAsync().GetAwaiter().GetResult();
        DeleteBatches();
        return allocated;
    }

    /// <summary>The file's lines through a pipe, read in 16–64 KB blocks.</summary>
    private static PipeReader OpenLines(Stream stream)
        => PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));

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
