using BenchmarkDotNet.Attributes;
using Sluice.Cli.Performance;

namespace Sluice.Benchmarks;

/// <summary>
/// The targeted ratios, measured in interleaved pairs. The other scenarios each run in their own
/// process, minutes apart; on a shared machine whose speed drifts, a ratio of two such medians
/// carries that drift. Here every invocation times both sides back to back (order alternating)
/// and keeps their ratio; the median of those ratios is saved for the ratio table. The times
/// BenchmarkDotNet shows for this class are of the pair, and mean little on their own.
/// </summary>
public class InterleavedBenchmark
{
    private const int EndToEndEvents = 100_000;
    private const int Calls = CallingThreadBenchmark.Calls;

    private readonly SampleSet _ratios = new();
    private readonly SampleSet _references = new();
    private readonly SampleSet _subjects = new();
    private Ceiling? _ceiling;
    private EndToEndRun? _endToEnd;
    private ConventionalPipeline? _baseline;
    private SluiceEngine? _engine;
    private ChannelContention? _ring;
    private ChannelContention? _channel;
    private long _invocation;
    private long _next;

    /// <summary>The stored median ratio of a method; with a suffix, its sides' median nanoseconds per operation.</summary>
    public static string KeyOf(string method, string side = "") => "interleaved." + method + side;

    [GlobalSetup(Target = nameof(EndToEndVsCeiling))]
    public void SetupEndToEndVsCeiling()
    {
        _ceiling = new Ceiling(EventShape.Standard);
        _endToEnd = new EndToEndRun(EventShape.Standard);
    }

    [GlobalSetup(Target = nameof(CallingThreadVsCeiling))]
    public void SetupCallingThreadVsCeiling()
    {
        _ceiling = new Ceiling(EventShape.Standard);
        _engine = new SluiceEngine(new SluiceOptions { Name = "calling-thread" }, new NullTransport());
    }

    [GlobalSetup(Target = nameof(EndToEndVsBaseline))]
    public void SetupEndToEndVsBaseline()
    {
        _endToEnd = new EndToEndRun(EventShape.Standard);
        _baseline = new ConventionalPipeline(EventShape.Standard);
    }

    [GlobalSetup(Target = nameof(RingVsBoundedChannel))]
    public void SetupRingVsBounded()
    {
        _ring = ChannelContention.Ring(writers: 2, BufferBenchmark.Items);
        _channel = ChannelContention.Bounded(writers: 2, BufferBenchmark.Items);
    }

    [GlobalSetup(Target = nameof(RingVsUnboundedChannel))]
    public void SetupRingVsUnbounded()
    {
        _ring = ChannelContention.Ring(writers: 2, BufferBenchmark.Items);
        _channel = ChannelContention.Unbounded(writers: 2, BufferBenchmark.Items);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ceiling?.Dispose();
        _endToEnd?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _baseline?.Complete();
        _engine?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ring?.Dispose();
        _channel?.Dispose();
    }

    /// <summary>End-to-end events/s ÷ ceiling events/s.</summary>
    [Benchmark]
    public void EndToEndVsCeiling()
    {
        var (ceiling, endToEnd) = Pair(
            () => _ceiling!.Write(_next, EndToEndEvents),
            () => _endToEnd!.Run(EndToEndEvents));
        _next += EndToEndEvents;
        Keep(ceiling, endToEnd, EndToEndEvents, nameof(EndToEndVsCeiling));
    }

    /// <summary>Time per Track (allocation-free API, consumer running) ÷ ceiling time per event.</summary>
    [Benchmark]
    public void CallingThreadVsCeiling()
    {
        var engine = _engine!;
        long calls;
        long ceiling = 0;
        long first = _next;
        _next += Calls;
        if ((_invocation & 1) == 0)
            ceiling = Time(() => _ceiling!.Write(first, Calls));
        calls = Time(() =>
        {
            for (long i = first; i < first + Calls; i++)
                StandardEvent.Track(engine, i);
        });

        // The queue is drained outside the timed part, so every timed call was accepted (checked).
        engine.FlushAsync().GetAwaiter().GetResult();
        if (engine.GetCounters().RefusedQueueFull != 0)
            throw new InvalidOperationException("The calling-thread figure must be the accepted path.");
        if ((_invocation & 1) == 1)
            ceiling = Time(() => _ceiling!.Write(first, Calls));
        _invocation++;
        Keep(ceiling, calls, Calls, nameof(CallingThreadVsCeiling), subjectOverReference: true);
    }

    /// <summary>End-to-end events/s ÷ baseline events/s.</summary>
    [Benchmark]
    public void EndToEndVsBaseline()
    {
        var (baseline, endToEnd) = Pair(
            () => _baseline!.Run(EndToEndEvents),
            () => _endToEnd!.Run(EndToEndEvents));
        Keep(baseline, endToEnd, EndToEndEvents, nameof(EndToEndVsBaseline));
    }

    /// <summary>Ring items/s ÷ bounded channel items/s, 2 writers.</summary>
    [Benchmark]
    public void RingVsBoundedChannel()
    {
        var (channel, ring) = Pair(() => _channel!.Run(), () => _ring!.Run());
        Keep(channel, ring, BufferBenchmark.Items, nameof(RingVsBoundedChannel));
    }

    /// <summary>Ring items/s ÷ unbounded channel items/s, 2 writers.</summary>
    [Benchmark]
    public void RingVsUnboundedChannel()
    {
        var (channel, ring) = Pair(() => _channel!.Run(), () => _ring!.Run());
        Keep(channel, ring, BufferBenchmark.Items, nameof(RingVsUnboundedChannel));
    }

    private static long Time(Action action)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        action();
        return System.Diagnostics.Stopwatch.GetTimestamp() - start;
    }

    /// <summary>Times both, in alternating order, and returns their durations (reference first).</summary>
    private (double Reference, double Subject) Pair(Action reference, Action subject)
    {
        bool referenceFirst = (_invocation++ & 1) == 0;
        long r = 0, s;
        if (referenceFirst)
            r = Time(reference);
        s = Time(subject);
        if (!referenceFirst)
            r = Time(reference);
        return (r, s);
    }

    /// <summary>Keeps reference ÷ subject time (a speed ratio), or subject ÷ reference (a cost ratio), and both sides per operation.</summary>
    private void Keep(double reference, double subject, int operations, string method, bool subjectOverReference = false)
    {
        _ratios.Add(subjectOverReference ? subject / reference : reference / subject);
        double nsPerTick = 1e9 / System.Diagnostics.Stopwatch.Frequency;
        _references.Add(reference * nsPerTick / operations);
        _subjects.Add(subject * nsPerTick / operations);
        ResultStore.Save(KeyOf(method), _ratios.SteadyMedian());
        ResultStore.Save(KeyOf(method, ".reference"), _references.SteadyMedian());
        ResultStore.Save(KeyOf(method, ".subject"), _subjects.SteadyMedian());
    }
}
