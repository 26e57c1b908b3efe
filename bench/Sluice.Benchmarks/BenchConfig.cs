using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace Sluice.Benchmarks;

/// <summary>The two ways to run: the full run (8-10 minutes on 2 cores) and the quick CI run (under 3).</summary>
internal static class BenchConfig
{
    /// <summary>
    /// What the quick run measures: what the ratio table judges (the speed ratios from the
    /// interleaved pairs, allocation from the separate scenarios). The separate buffer scenario is
    /// left to the full run: its 2-writer ratios are among the pairs.
    /// </summary>
    public static readonly string[] QuickFilter =
    [
        "*CeilingBenchmark.Standard",
        "*EndToEndBenchmark.Standard",
        "*EndToEndBenchmark.StandardHttp",
        "*EndToEndBenchmark.StandardSpool",
        "*BaselineBenchmark.Standard",
        "*CallingThreadBenchmark.Callback",
        "*InterleavedBenchmark.*",
        "*CpuBenchmark.Paced",
        "*IngestBenchmark.File",
    ];

    /// <summary>
    /// How long BenchmarkDotNet may take to build the generated benchmark program (its default is
    /// 2 minutes): a restore and a build of the engine on a 2-core machine shared with other builds
    /// took longer than that, and the run then failed before measuring anything.
    /// </summary>
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The job <see cref="Create"/> made, for a benchmark that runs it with settings of its own (<see cref="SpinlessCpuBenchmark"/>).</summary>
    public static Job Job { get; private set; } = Job.Default;

    public static IConfig Create(bool quick)
    {
        // Workstation, non-concurrent GC, like `sluice demo`. Unroll 1: an invocation is already
        // thousands of events. Medians everywhere: the machine is shared and noisy.
        var job = Job.Default
            .WithGcServer(false)
            .WithGcConcurrent(false)
            .WithUnrollFactor(1)
            .WithLaunchCount(1);
        job = quick
            ? job.WithWarmupCount(2).WithIterationCount(7).WithIterationTime(TimeInterval.FromMilliseconds(200)).WithId("Quick")
            : job.WithWarmupCount(4).WithIterationCount(20).WithId("Full");

        Job = job;
        return DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median, new EventsPerSecondColumn(), new ProcessAllocatedColumn(thread: false), new ProcessAllocatedColumn(thread: true), new ProcessCpuColumn(), new PairedRatioColumn())
            .HideColumns(Column.Error, Column.Gen0, Column.Gen1, Column.Gen2)
            .WithOptions(ConfigOptions.DisableLogFile)
            .WithBuildTimeout(BuildTimeout);
    }
}
