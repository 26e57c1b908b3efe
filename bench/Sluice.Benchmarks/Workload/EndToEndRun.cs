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

        engine.FlushAsync().GetAwaiter().GetResult();
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
