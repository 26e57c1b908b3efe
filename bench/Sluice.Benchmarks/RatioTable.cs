using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Sluice.Benchmarks;

/// <summary>
/// The DESIGN.md performance targets as ratios inside one run, each with a deliberately loose
/// floor (about half the target) that CI enforces: a guard against gross regressions that a noisy
/// shared machine does not trip.
/// </summary>
internal sealed class RatioTable
{
    private readonly List<Row> _rows = [];
    private readonly List<(string Name, string Value)> _figures = [];

    /// <summary>Every targeted ratio was measured and is at or above its floor.</summary>
    public bool AllAboveFloor => _rows.All(r => r.AboveFloor == true);

    public bool AllMeetTarget => _rows.All(r => r.MeetsTarget == true);

    public static RatioTable From(IReadOnlyList<Summary> summaries)
    {
        var find = new Lookup(summaries);
        var table = new RatioTable();

        double? ceiling = find.Median("CeilingBenchmark", "Standard");
        double? endToEnd = find.Median("EndToEndBenchmark", "Standard");
        double? calling = find.Median("CallingThreadBenchmark", "Callback");
        double? callingAlloc = find.ThreadAllocated("CallingThreadBenchmark", "Callback");
        double? processAlloc = ProcessAllocation.Load("EndToEndBenchmark.Standard");
        double? ring = find.Median("BufferBenchmark", "LockFreeRing", writers: 2);
        double? bounded = find.Median("BufferBenchmark", "BoundedChannel", writers: 2);
        double? unbounded = find.Median("BufferBenchmark", "UnboundedChannel", writers: 2);
        double? baseline = find.Median("BaselineBenchmark", "Standard");
        double? baselineAlloc = ProcessAllocation.Load("BaselineBenchmark.Standard");

        table.AtLeast("End-to-end ÷ ceiling, events/s", Divide(ceiling, endToEnd), target: 0.85, floor: 0.42, "F2");
        table.AtMost("Calling thread ÷ ceiling, time per event", Divide(calling, ceiling), target: 0.25, floor: 0.50, "F2");
        table.AtMost("Calling thread allocated, B per Track", callingAlloc, target: 0, floor: 4, "F1");
        table.AtMost("Whole process allocated, B per event (end to end)", processAlloc, target: 16, floor: 32, "F1");
        table.AtLeast("Lock-free ring ÷ Channel.CreateBounded, speed at 2 writers", Divide(bounded, ring), target: 1.0, floor: 0.5, "F2", strict: true);
        table.AtLeast("Lock-free ring ÷ Channel.CreateUnbounded, speed at 2 writers", Divide(unbounded, ring), target: 1.0, floor: 0.5, "F2", strict: true);
        table.AtLeast("End-to-end ÷ baseline, events/s", Divide(baseline, endToEnd), target: 5, floor: 2.5, "F1");
        table.AtLeast("Baseline ÷ end-to-end, bytes per event (whole process)", baselineAlloc is null || processAlloc is null ? null
            : processAlloc <= 0 ? double.PositiveInfinity : baselineAlloc / processAlloc, target: 50, floor: 25, "F0");

        table.Figure("Ceiling", PerSecond(ceiling));
        table.Figure("End to end", PerSecond(endToEnd));
        table.Figure("Baseline", PerSecond(baseline));
        table.Figure("Calling thread, allocation-free API", calling is null ? "n/a" : $"{calling:F1} ns per Track");
        table.Figure("Large event (~8 KB): end-to-end ÷ ceiling", Format(Divide(find.Median("CeilingBenchmark", "Large"), find.Median("EndToEndBenchmark", "Large")), "F2"));
        table.Figure("Large event: end-to-end ÷ baseline", Format(Divide(find.Median("BaselineBenchmark", "Large"), find.Median("EndToEndBenchmark", "Large")), "F1"));
        return table;
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Ratio | Target | CI floor | Measured | Target met |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var r in _rows)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Target} | {r.Floor} | {r.Display} | {(r.MeetsTarget is null ? "not measured" : r.MeetsTarget.Value ? "yes" : "**no**")} |");
        sb.AppendLine();
        sb.AppendLine("| Figure | Value |");
        sb.AppendLine("| --- | --- |");
        foreach (var (name, value) in _figures)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        return sb.ToString();
    }

    /// <summary>The rows below their floor, for the CI message.</summary>
    public IEnumerable<string> Failures()
        => _rows.Where(r => r.AboveFloor != true).Select(r => $"{r.Name}: {r.Display} (floor {r.Floor})");

    private static double? Divide(double? a, double? b) => a is null || b is null || b == 0 ? null : a / b;

    private static string PerSecond(double? nsPerEvent)
        => nsPerEvent is null ? "n/a" : (1e9 / nsPerEvent.Value).ToString("N0", CultureInfo.InvariantCulture) + " events/s";

    private static string Format(double? value, string format)
        => value is null ? "n/a" : double.IsPositiveInfinity(value.Value) ? "∞" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    private void AtLeast(string name, double? value, double target, double floor, string format, bool strict = false)
        => _rows.Add(new Row(name, $"{(strict ? ">" : "≥")} {target.ToString(CultureInfo.InvariantCulture)}", $"≥ {floor.ToString(CultureInfo.InvariantCulture)}",
            Format(value, format), value is null ? null : strict ? value > target : value >= target, value is null ? null : value >= floor));

    private void AtMost(string name, double? value, double target, double floor, string format)
        => _rows.Add(new Row(name, target == 0 ? "0" : $"≤ {target.ToString(CultureInfo.InvariantCulture)}", $"≤ {floor.ToString(CultureInfo.InvariantCulture)}",
            Format(value, format), value is null ? null : value <= target, value is null ? null : value <= floor));

    private void Figure(string name, string value) => _figures.Add((name, value));

    private sealed record Row(string Name, string Target, string Floor, string Display, bool? MeetsTarget, bool? AboveFloor);

    private sealed class Lookup(IReadOnlyList<Summary> summaries)
    {
        public double? Median(string type, string method, int? writers = null)
            => Find(type, method, writers)?.ResultStatistics?.Median;

        public double? ThreadAllocated(string type, string method)
        {
            var report = Find(type, method, null);
            return report is null ? null : report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        }

        private BenchmarkReport? Find(string type, string method, int? writers)
            => summaries.SelectMany(s => s.Reports).FirstOrDefault(r =>
                r.BenchmarkCase.Descriptor.Type.Name == type
                && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
                && (writers is null || Equals(r.BenchmarkCase.Parameters["Writers"], writers)));
    }
}
