using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Sluice.Buffering;
using Sluice.Producing;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 4, the buffer under contention: Sluice's lock-free ring against the BCL's bounded and
/// unbounded channels, each with a single reader (as the engine has) and 1 or 2 writer threads
/// racing to enqueue the engine's own record. All three are driven through the same
/// <see cref="ChannelWriter{T}"/>/<see cref="ChannelReader{T}"/> calls. The capacity holds a whole
/// invocation, so the figure is enqueue/dequeue under contention, not a full queue's policy.
/// </summary>
public class BufferBenchmark
{
    public const int Items = 65_536;

    private Channel<EventRecord> _ring = null!;
    private Channel<EventRecord> _bounded = null!;
    private Channel<EventRecord> _unbounded = null!;
    private Thread[] _threads = [];
    private SemaphoreSlim _start = null!;
    private CountdownEvent _done = null!;
    private ChannelWriter<EventRecord>? _target;
    private volatile bool _stopping;

    [Params(1, 2)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ring = new RingChannel<EventRecord>(Items);
        _bounded = Channel.CreateBounded<EventRecord>(new BoundedChannelOptions(Items) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _unbounded = Channel.CreateUnbounded<EventRecord>(new UnboundedChannelOptions { SingleReader = true });
        _start = new SemaphoreSlim(0);
        _done = new CountdownEvent(Writers);

        // Dedicated writer threads, started once: an invocation releases them and waits for the reader.
        _threads = new Thread[Writers];
        for (int t = 0; t < Writers; t++)
        {
            _threads[t] = new Thread(WriterLoop) { IsBackground = true, Name = $"writer-{t}" };
            _threads[t].Start(Items / Writers);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopping = true;
        _start.Release(Writers);
        foreach (var t in _threads)
            t.Join();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long LockFreeRing() => Run(_ring);

    [Benchmark(OperationsPerInvoke = Items)]
    public long BoundedChannel() => Run(_bounded);

    [Benchmark(OperationsPerInvoke = Items)]
    public long UnboundedChannel() => Run(_unbounded);

    private long Run(Channel<EventRecord> channel)
    {
        _target = channel.Writer;
        _done.Reset();
        var reader = Task.Run(() => ReadAsync(channel.Reader, Items));
        _start.Release(Writers);
        long read = reader.GetAwaiter().GetResult();
        _done.Wait();
        return read;
    }

    /// <summary>The single reader, as the engine's consumer reads: drain, then wait asynchronously.</summary>
    private static async Task<long> ReadAsync(ChannelReader<EventRecord> reader, long expected)
    {
        long read = 0, check = 0;
        while (read < expected)
        {
            while (reader.TryRead(out var item))
            {
                check += item.MinBytes;
                read++;
            }

            if (read < expected && !await reader.WaitToReadAsync().ConfigureAwait(false))
                break;
        }

        return check;
    }

    private void WriterLoop(object? share)
    {
        int count = (int)share!;
        var item = new EventRecord { Id = "user", Name = "feature_used", MinBytes = 1, PropCount = -1, CtxCount = -1 };
        while (true)
        {
            _start.Wait();
            if (_stopping)
                return;
            var writer = _target!;
            for (int i = 0; i < count; i++)
            {
                if (!writer.TryWrite(item))
                    throw new InvalidOperationException("The capacity holds a whole invocation: a write cannot fail.");
            }

            _done.Signal();
        }
    }
}
