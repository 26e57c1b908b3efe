using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 2, the calling thread: what one Track with the standard event's 5 properties (and its
/// 1-key context) costs the caller through each properties API, while the engine's consumer runs
/// on another thread. An iteration is <see cref="Calls"/> calls, fewer than the queue holds, and the
/// queue is drained between iterations (not timed), so every call is accepted: the figure is the
/// accepted path, never the cheaper refusal. The "Thread B/op" column is the calling thread's own
/// allocation; BenchmarkDotNet's "Allocated" is the whole process's (the consumer's share included).
/// </summary>
[InvocationCount(1, 1)]
public class CallingThreadBenchmark
{
    public const int Calls = 32_768;

    private readonly Dictionary<string, object?>[] _dictionaries = new Dictionary<string, object?>[StandardEvent.Variants];
    private readonly byte[][] _json = new byte[StandardEvent.Variants][];
    private readonly Dictionary<string, object?> _context = StandardEvent.ContextDictionary();
    private readonly byte[] _contextJson = StandardEvent.ContextJson();
    private readonly NullTransport _transport = new();
    private SluiceEngine _engine = null!;
    private long _next;
    private bool _warming = true; // warm-up bursts are not samples

    [GlobalSetup(Target = nameof(Callback))]
    public void SetupCallback() => Setup(Callback);

    [GlobalSetup(Target = nameof(Dictionary))]
    public void SetupDictionary() => Setup(Dictionary);

    [GlobalSetup(Target = nameof(Json))]
    public void SetupJson() => Setup(Json);

    private void Setup(Action burst)
    {
        // The default options: a call never waits, so a full queue would show up as refusals (checked below).
        _engine = new SluiceEngine(new SluiceOptions { Name = "calling-thread" }, _transport);
        for (int i = 0; i < StandardEvent.Variants; i++)
        {
            _dictionaries[i] = StandardEvent.PropertiesDictionary(i);
            _json[i] = StandardEvent.PropertiesJson(i);
        }

        WarmToWorkingSet(burst);
        _warming = false;
    }

    /// <summary>
    /// Steady state, for the API measured (each fills the arena differently: the JSON API copies its
    /// bytes, so it needs about twice the chunks). The arena pool the calling thread rents from grows,
    /// one 80 KB chunk at a time, to cover the largest backlog the consumer has fallen behind by, and
    /// a burst's backlog varies with the host (a slow spell on the consumer's vCPU made a measured
    /// burst allocate a chunk now and then). So one burst first runs with delivery held, the whole
    /// burst queued: the pool then covers any burst, since the queue is drained between them. Then
    /// bursts run until the JIT is done with them (BenchmarkDotNet's warm-up of one invocation per
    /// iteration is far too short for that) and until ten in a row allocate nothing on the calling
    /// thread (at most a hundred).
    /// </summary>
    private void WarmToWorkingSet(Action burst)
    {
        _transport.Hold();
        burst();
        _transport.Release();
        Drain();

        SteadyState.WarmUp(nameof(CallingThreadBenchmark), () =>
        {
            burst();
            Drain();
        });

        int quiet = 0;
        for (int round = 0; round < 100 && quiet < 10; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            burst();
            quiet = GC.GetAllocatedBytesForCurrentThread() == before ? quiet + 1 : 0;
            Drain();
        }
    }

    // Drained before and after every iteration: BenchmarkDotNet may run an extra invocation (to
    // measure allocation) right after the last one, and the queue must then be empty too.
    [IterationSetup]
    [IterationCleanup]
    public void Drain()
    {
        _engine.FlushAsync().GetAwaiter().GetResult();
        var c = _engine.GetCounters();
        if (c.RefusedQueueFull != 0 || c.Delivered != c.Accepted)
            throw new InvalidOperationException($"The calling-thread figure must be the accepted path: {c.RefusedQueueFull} calls were refused.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.ShutdownAsync().GetAwaiter().GetResult();
        ProcessAllocation.Save();
    }

    /// <summary>The allocation-free API: a static callback and a state argument.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public void Callback()
    {
        var engine = _engine;
        long start = _next;
        var allocation = ProcessAllocation.Start();
        for (long i = start; i < start + Calls; i++)
            StandardEvent.Track(engine, i);
        if (!_warming)
            ProcessAllocation.Stop(allocation, Calls, nameof(CallingThreadBenchmark) + "." + nameof(Callback));
        _next += Calls;
    }

    /// <summary>The convenient API, given ready-made dictionaries (the caller's own allocation is not counted here).</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public void Dictionary()
    {
        var engine = _engine;
        long start = _next;
        var allocation = ProcessAllocation.Start();
        for (long i = start; i < start + Calls; i++)
            engine.Track(StandardEvent.UserId(i), StandardEvent.Name, _dictionaries[i & (StandardEvent.Variants - 1)], _context);
        if (!_warming)
            ProcessAllocation.Stop(allocation, Calls, nameof(CallingThreadBenchmark) + "." + nameof(Dictionary));
        _next += Calls;
    }

    /// <summary>The pre-serialized API: UTF-8 JSON properties and context, validated at the call.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public void Json()
    {
        var engine = _engine;
        long start = _next;
        var allocation = ProcessAllocation.Start();
        for (long i = start; i < start + Calls; i++)
            engine.TrackJson(StandardEvent.UserId(i), StandardEvent.Name, _json[i & (StandardEvent.Variants - 1)], _contextJson);
        if (!_warming)
            ProcessAllocation.Stop(allocation, Calls, nameof(CallingThreadBenchmark) + "." + nameof(Json));
        _next += Calls;
    }
}
