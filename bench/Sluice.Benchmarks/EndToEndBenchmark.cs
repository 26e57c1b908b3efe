using BenchmarkDotNet.Attributes;
using Sluice.Cli.Performance;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 3, end to end: one producer thread (the benchmark thread) → engine → a transport that
/// returns at once, <see cref="FullMode.Wait"/> so nothing is dropped. An invocation produces its
/// events and waits until all are delivered. Allocated bytes per event for the whole process are in
/// the "Process B/event" column (the "Allocated" column is the producer thread's share).
/// </summary>
public class EndToEndBenchmark
{
    public const int StandardEvents = 200_000;
    public const int LargeEvents = 9_600; // a whole number of the baseline's 240-event batches

    private EndToEndRun _run = null!;

    [GlobalSetup(Targets = [nameof(Standard), nameof(StandardDictionary)])]
    public void SetupStandard() => _run = new EndToEndRun(EventShape.Standard);

    [GlobalSetup(Target = nameof(Large))]
    public void SetupLarge() => _run = new EndToEndRun(EventShape.Large);

    [GlobalCleanup]
    public void Cleanup()
    {
        var result = _run.Engine.ShutdownAsync().GetAwaiter().GetResult();
        var c = result.Counters;
        if (c.Delivered != c.Accepted || c.Accepted != _run.Transport.Events)
            throw new InvalidOperationException($"Events went missing: accepted {c.Accepted}, delivered {c.Delivered}, received {_run.Transport.Events}.");
        ProcessAllocation.Save();
    }

    /// <summary>The allocation-free API (a static callback and a state argument): the headline figure.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StandardEvents)]
    public void Standard()
    {
        long start = ProcessAllocation.Start();
        _run.Run(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(Standard));
    }

    /// <summary>The convenient API: one dictionary per event, built by the caller (as most callers would).</summary>
    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void StandardDictionary()
    {
        long start = ProcessAllocation.Start();
        _run.RunDictionaries(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(StandardDictionary));
    }

    [Benchmark(OperationsPerInvoke = LargeEvents)]
    public void Large()
    {
        long start = ProcessAllocation.Start();
        _run.Run(LargeEvents);
        ProcessAllocation.Stop(start, LargeEvents, nameof(EndToEndBenchmark) + "." + nameof(Large));
    }
}
