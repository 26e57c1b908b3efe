using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Sluice.Benchmarks;

/// <summary>
/// <see cref="CpuBenchmark"/> in a host whose thread pool does not spin before its idle threads sleep
/// (<c>&lt;ThreadPoolSpinCount&gt;0&lt;/ThreadPoolSpinCount&gt;</c> in the host's project, which is the
/// runtime setting <c>System.Threading.ThreadPool.UnfairSemaphoreSpinLimit</c>; here its environment
/// variable). The runtime reads it once, at start, for the whole process: a library cannot set it, a host
/// can. Every pool wake-up (a batch to a sender, an HTTP reply) is otherwise followed by a spin of
/// the threads that woke; this shows what that spin costs per delivered event (docs/performance.md).
/// </summary>
[Config(typeof(SpinlessConfig))]
public class SpinlessCpuBenchmark : CpuBenchmark
{
    public const string Variable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    protected override string Key => nameof(SpinlessCpuBenchmark);

    public override void Setup()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "0")
            throw new InvalidOperationException($"{Variable} is not 0 in this process: the job did not apply it.");
        base.Setup();
    }
}

/// <summary>The run's job (quick or full), with the pool's spin turned off.</summary>
internal sealed class SpinlessConfig : ManualConfig
{
    public SpinlessConfig()
        => AddJob(BenchConfig.Job.WithEnvironmentVariable(new EnvironmentVariable(SpinlessCpuBenchmark.Variable, "0")).WithId(BenchConfig.Job.Id + "-NoPoolSpin"));
}
