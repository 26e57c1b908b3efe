using Sluice.Delivery;

namespace Sluice.Benchmarks;

/// <summary>
/// The end-to-end measurement: one producer thread → engine → a transport that returns at once.
/// <see cref="FullMode.Wait"/>, so nothing is dropped and the figure is the pipeline's throughput.
/// </summary>
internal sealed class EndToEndRun : IAsyncDisposable
{
    private readonly EventShape _shape;
    private long _next;

    public EndToEndRun(EventShape shape)
        : this(shape, new NullTransport())
    {
    }

    /// <summary>The same run into another transport (the benchmarks' HTTP loopback variant).</summary>
    public EndToEndRun(EventShape shape, IBatchTransport transport)
        : this(shape, transport, spool: null)
    {
    }

    /// <summary>The same run with the engine writing every sealed batch ahead to a disk spool (the benchmarks' spool variant).</summary>
    public EndToEndRun(EventShape shape, IBatchTransport transport, Sluice.Spooling.SpoolOptions? spool)
    {
        _shape = shape;
        var options = Options();
        options.Spool = spool;
        Engine = new SluiceEngine(options, transport);
    }

    public SluiceEngine Engine { get; }

    /// <summary>The engine settings of every end-to-end figure: the defaults, but waiting instead of dropping when full.</summary>
    public static SluiceOptions Options() => new()
    {
        FullMode = FullMode.Wait,
        FullModeWaitTimeout = TimeSpan.FromSeconds(30),
        Name = "end-to-end",
    };

    /// <summary>Produces <paramref name="count"/> events and waits until all are delivered.</summary>
    public void Run(long count)
    {
        Produce(count);
        Engine.FlushAsync().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Like <see cref="Run"/>, the caller paced at <paramref name="perSecond"/> events per second: a
    /// millisecond's share at a time, sleeping (no CPU) until the next is due; a caller behind
    /// schedule does not sleep. The engine then waits between the caller's slices, as it does in a
    /// host that tracks at a steady rate, which is where a waiting reader's cost shows.
    /// </summary>
    public void RunPaced(long count, long perSecond)
    {
        long slice = Math.Max(1, perSecond / 1000);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (long done = 0; done < count; done += slice)
        {
            Produce(Math.Min(slice, count - done));
            long due = start + ((done + slice) * System.Diagnostics.Stopwatch.Frequency / perSecond);
            long wait = (due - System.Diagnostics.Stopwatch.GetTimestamp()) * 1000 / System.Diagnostics.Stopwatch.Frequency;
            if (wait > 0)
                Thread.Sleep((int)wait);
        }

        Engine.FlushAsync().GetAwaiter().GetResult();
    }

    /// <summary>Produces the next <paramref name="count"/> events, without waiting for them.</summary>
    public void Produce(long count)
    {
        long start = _next;
        _next += count;
        var engine = Engine;
        if (_shape == EventShape.Standard)
        {
            for (long i = start; i < start + count; i++)
                StandardEvent.Track(engine, i);
        }
        else
        {
            for (long i = start; i < start + count; i++)
                LargeEvent.Track(engine, i);
        }
    }

    /// <summary>Like <see cref="Run"/> with the convenient API: the caller builds the dictionaries for every event, as most callers would.</summary>
    public void RunDictionaries(long count)
    {
        long start = _next;
        _next += count;
        for (long i = start; i < start + count; i++)
            Engine.Track(StandardEvent.UserId(i), StandardEvent.Name, StandardEvent.PropertiesDictionary(i), StandardEvent.ContextDictionary());
        Engine.FlushAsync().GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync().ConfigureAwait(false);
}
