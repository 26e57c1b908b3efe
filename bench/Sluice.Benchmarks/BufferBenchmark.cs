using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 4, the buffer under contention: Sluice's lock-free ring against the BCL's bounded and
/// unbounded channels, each with a single reader (as the engine has) and 1 or 2 writer threads
/// racing to enqueue the engine's own record, the ring through the call the engine makes, the BCL
/// channels through their writers (see <see cref="ChannelContention"/>). The capacity
/// holds a whole invocation, so the figure is enqueue/dequeue under contention, not a full queue's policy.
/// </summary>
public class BufferBenchmark
{
    public const int Items = 65_536;

    private ChannelContention _run = null!;

    [Params(1, 2)]
    public int Writers { get; set; }

    [GlobalSetup(Target = nameof(LockFreeRing))]
    public void SetupRing() => Start(ChannelContention.Ring(Writers, Items));

    [GlobalSetup(Target = nameof(BoundedChannel))]
    public void SetupBounded() => Start(ChannelContention.Bounded(Writers, Items));

    [GlobalSetup(Target = nameof(UnboundedChannel))]
    public void SetupUnbounded() => Start(ChannelContention.Unbounded(Writers, Items));

    private void Start(ChannelContention run)
    {
        _run = run;
        SteadyState.WarmUp(nameof(BufferBenchmark), () => run.Run());
    }

    [GlobalCleanup]
    public void Cleanup() => _run.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long LockFreeRing() => _run.Run();

    [Benchmark(OperationsPerInvoke = Items)]
    public long BoundedChannel() => _run.Run();

    [Benchmark(OperationsPerInvoke = Items)]
    public long UnboundedChannel() => _run.Run();
}
