using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 1, the ceiling: one thread, one reused Utf8JsonWriter (the engine's options), one
/// reused buffer, nothing else. Every other figure is read as a ratio to <see cref="Standard"/>.
/// </summary>
public class CeilingBenchmark
{
    public const int StandardEvents = 20_000;
    public const int LargeEvents = 1_000;

    private Ceiling _ceiling = null!;
    private long _next;

    [GlobalSetup(Target = nameof(Standard))]
    public void SetupStandard()
    {
        _ceiling = new Ceiling(EventShape.Standard);
        SteadyState.WarmUp(nameof(CeilingBenchmark), Standard);
    }

    [GlobalSetup(Target = nameof(Large))]
    public void SetupLarge()
    {
        _ceiling = new Ceiling(EventShape.Large);
        SteadyState.WarmUp(nameof(CeilingBenchmark), Large);
    }

    [GlobalCleanup]
    public void Cleanup() => _ceiling.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = StandardEvents)]
    public void Standard()
    {
        _ceiling.Write(_next, StandardEvents);
        _next += StandardEvents;
    }

    [Benchmark(OperationsPerInvoke = LargeEvents)]
    public void Large()
    {
        _ceiling.Write(_next, LargeEvents);
        _next += LargeEvents;
    }
}
