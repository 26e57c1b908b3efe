using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// The targeted ratios, measured in interleaved pairs. The other scenarios each run in their own
/// process, minutes apart; on a shared machine whose speed drifts, a ratio of two such medians
/// carries that drift. Here every invocation times both sides back to back (order alternating)
/// and keeps their ratio; the median of those ratios is saved for the ratio table. The times
/// BenchmarkDotNet shows for this class are of the pair, and mean little on their own.
/// <para>The ceiling runs about as long as the subject it is paired with: its event count follows
/// the two sides' median times so far, so both are exposed to the machine's noise for the same
/// time (its cost per event does not depend on the count). On this 2-vCPU VM on a shared host,
/// that noise comes in spells of stolen or slowed milliseconds, and it does not slow every workload
/// alike: the single-threaded ceiling, pure computation, slows by up to 2.5x, a Track call (a clock
/// read and stores) by much less. So a ratio also depends on how busy the host was. Besides the
/// median of all pairs, the ratio of the two sides' fast quartiles (each side's 25th percentile
/// time: a quiet host) is saved to show it. (Quartiles taken per side: picking the pairs whose
/// reference was fastest would also pick the reference's lucky draws.)</para>
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
        WarmUp(EndToEndVsCeiling);
    }

    [GlobalSetup(Target = nameof(CallingThreadVsCeiling))]
    public void SetupCallingThreadVsCeiling()
    {
        _ceiling = new Ceiling(EventShape.Standard);
        _engine = new SluiceEngine(new SluiceOptions { Name = "calling-thread" }, new NullTransport());
        WarmUp(CallingThreadVsCeiling);
    }

    [GlobalSetup(Target = nameof(EndToEndVsBaseline))]
    public void SetupEndToEndVsBaseline()
    {
        _endToEnd = new EndToEndRun(EventShape.Standard);
        _baseline = new ConventionalPipeline(EventShape.Standard);
        WarmUp(EndToEndVsBaseline);
    }

    [GlobalSetup(Target = nameof(RingVsBoundedChannel))]
    public void SetupRingVsBounded()
    {
        _ring = ChannelContention.Ring(writers: 2, BufferBenchmark.Items);
        _channel = ChannelContention.Bounded(writers: 2, BufferBenchmark.Items);
        WarmUp(RingVsBoundedChannel);
    }

    [GlobalSetup(Target = nameof(RingVsUnboundedChannel))]
    public void SetupRingVsUnbounded()
    {
        _ring = ChannelContention.Ring(writers: 2, BufferBenchmark.Items);
        _channel = ChannelContention.Unbounded(writers: 2, BufferBenchmark.Items);
        WarmUp(RingVsUnboundedChannel);
    }

    /// <summary>Runs the pairs until the JIT is done with them, then forgets those samples.</summary>
    private void WarmUp(Action pair)
    {
        SteadyState.WarmUp(nameof(InterleavedBenchmark), pair);
        _ratios.Clear();
        _references.Clear();
        _subjects.Clear();
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
        long first = _next;
        _next += EndToEndEvents;
        var (ceiling, endToEnd) = Pair(
            count => _ceiling!.Write(first, count),
            () => _endToEnd!.Run(EndToEndEvents),
            EndToEndEvents,
            equalSpans: true);
        Keep(ceiling, endToEnd, nameof(EndToEndVsCeiling));
    }

    /// <summary>Time per Track (allocation-free API, consumer running) ÷ ceiling time per event.</summary>
    [Benchmark]
    public void CallingThreadVsCeiling()
    {
        var engine = _engine!;
        long first = _next;
        _next += Calls;
        var (ceiling, calls) = Pair(
            count => _ceiling!.Write(first, count),
            () =>
            {
                for (long i = first; i < first + Calls; i++)
                    StandardEvent.Track(engine, i);
            },
            Calls,
            equalSpans: true,
            afterSubject: () =>
            {
                // The queue is drained outside the timed part, so every timed call was accepted (checked).
                engine.FlushAsync().GetAwaiter().GetResult();
                if (engine.GetCounters().RefusedQueueFull != 0)
                    throw new InvalidOperationException("The calling-thread figure must be the accepted path.");
            });
        Keep(ceiling, calls, nameof(CallingThreadVsCeiling), subjectOverReference: true);
    }

    /// <summary>End-to-end events/s ÷ baseline events/s.</summary>
    [Benchmark]
    public void EndToEndVsBaseline()
    {
        // The same 100,000 events on both sides, not equal spans: the baseline's cost per event grows
        // with the run (its queue fills with event objects, which every collection then traces).
        var (baseline, endToEnd) = Pair(
            count => _baseline!.Run(count),
            () => _endToEnd!.Run(EndToEndEvents),
            EndToEndEvents);
        Keep(baseline, endToEnd, nameof(EndToEndVsBaseline));
    }

    /// <summary>Ring items/s ÷ bounded channel items/s, 2 writers.</summary>
    [Benchmark]
    public void RingVsBoundedChannel()
    {
        var (channel, ring) = Pair(_ => _channel!.Run(), () => _ring!.Run(), BufferBenchmark.Items);
        Keep(channel, ring, nameof(RingVsBoundedChannel));
    }

    /// <summary>Ring items/s ÷ unbounded channel items/s, 2 writers.</summary>
    [Benchmark]
    public void RingVsUnboundedChannel()
    {
        var (channel, ring) = Pair(_ => _channel!.Run(), () => _ring!.Run(), BufferBenchmark.Items);
        Keep(channel, ring, nameof(RingVsUnboundedChannel));
    }

    private static double Time(Action action)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        action();
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalNanoseconds;
    }

    /// <summary>
    /// Times both sides, in alternating order, and returns their nanoseconds per operation (reference
    /// first). With <paramref name="equalSpans"/>, the reference's operation count is chosen so it
    /// runs about as long as the subject; otherwise both do <paramref name="subjectOperations"/>.
    /// </summary>
    private (double Reference, double Subject) Pair(Action<int> reference, Action subject, int subjectOperations,
        bool equalSpans = false, Action? afterSubject = null)
    {
        // Whole batches of 1,000 events.
        int referenceOperations = !equalSpans || _subjects.IsEmpty
            ? subjectOperations
            : 1_000 * (int)Math.Clamp(Math.Round(subjectOperations * _subjects.Median() / _references.Median() / 1_000), 1, 8.0 * subjectOperations / 1_000);
        bool referenceFirst = (_invocation++ & 1) == 0;
        double r = 0, s;
        if (referenceFirst)
            r = Time(() => reference(referenceOperations));
        s = Time(subject);
        afterSubject?.Invoke();
        if (!referenceFirst)
            r = Time(() => reference(referenceOperations));
        return (r / referenceOperations, s / subjectOperations);
    }

    /// <summary>Keeps reference ÷ subject time (a speed ratio), or subject ÷ reference (a cost ratio), and both sides per operation.</summary>
    private void Keep(double reference, double subject, string method, bool subjectOverReference = false)
    {
        double Ratio(double r, double s) => subjectOverReference ? s / r : r / s;
        _ratios.Add(Ratio(reference, subject));
        _references.Add(reference);
        _subjects.Add(subject);
        ResultStore.Save(KeyOf(method), _ratios.SteadyMedian());
        ResultStore.Save(KeyOf(method, ".quiet"), Ratio(_references.SteadyQuantile(0.25), _subjects.SteadyQuantile(0.25)));
        ResultStore.Save(KeyOf(method, ".reference"), _references.SteadyMedian());
        ResultStore.Save(KeyOf(method, ".subject"), _subjects.SteadyMedian());
    }
}
