using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Sluice.Benchmarks;

/// <summary>Operations per second from the median time per operation (an operation is one event, call or item).</summary>
internal sealed class EventsPerSecondColumn : IColumn
{
    public string Id => nameof(EventsPerSecondColumn);

    public string ColumnName => "Events/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Operations (events, calls or items) per second, from the median time per operation";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        return stats is null || stats.Median <= 0 ? "-" : (1e9 / stats.Median).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Bytes allocated per operation by the whole process or by the benchmark thread alone (see <see cref="ProcessAllocation"/>); "-" where not measured.</summary>
internal sealed class ProcessAllocatedColumn(bool thread) : IColumn
{
    public string Id => nameof(ProcessAllocatedColumn) + (thread ? ".Thread" : "");

    public string ColumnName => thread ? "Thread B/op" : "Process B/op";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => thread ? 2 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => thread
        ? "Bytes allocated by the benchmark (calling) thread alone per operation, steady-state mean"
        : "Bytes allocated by the whole process (every thread) per operation, steady-state mean";

    private static string KeyOf(BenchmarkCase benchmarkCase)
        => benchmarkCase.Descriptor.Type.Name + "." + benchmarkCase.Descriptor.WorkloadMethod.Name;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => (thread ? ProcessAllocation.LoadThread(KeyOf(benchmarkCase)) : ProcessAllocation.Load(KeyOf(benchmarkCase))) is { } perEvent
            ? perEvent.ToString("N1", CultureInfo.InvariantCulture)
            : "-";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Nanoseconds of whole-process CPU (user + system) per operation (see <see cref="ProcessCpu"/>); "-" where not measured.</summary>
internal sealed class ProcessCpuColumn : IColumn
{
    public string Id => nameof(ProcessCpuColumn);

    public string ColumnName => "CPU ns/op";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 4;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "CPU time (user + system) of the whole process per operation, steady-state mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => ProcessCpu.Load(benchmarkCase.Descriptor.Type.Name + "." + benchmarkCase.Descriptor.WorkloadMethod.Name) is { } perOp
            ? perOp.ToString("N0", CultureInfo.InvariantCulture)
            : "-";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>The median ratio of the interleaved pairs (see <see cref="InterleavedBenchmark"/>); "-" elsewhere.</summary>
internal sealed class PairedRatioColumn : IColumn
{
    public string Id => nameof(PairedRatioColumn);

    public string ColumnName => "Paired ratio";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 3;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Median of the per-invocation ratios of two workloads timed back to back (interleaved scenarios only)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => benchmarkCase.Descriptor.Type == typeof(InterleavedBenchmark)
           && ResultStore.Load(InterleavedBenchmark.KeyOf(benchmarkCase.Descriptor.WorkloadMethod.Name)) is { } ratio
            ? ratio.ToString("F3", CultureInfo.InvariantCulture)
            : "-";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
