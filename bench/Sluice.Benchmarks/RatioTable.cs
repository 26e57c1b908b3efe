using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Sluice.Benchmarks;

/// <summary>
/// The performance targets (docs/performance.md) as ratios inside one run, each with a deliberately loose
/// floor (about half the target) that CI enforces: a guard against gross regressions that a noisy
/// shared machine does not trip. Speed ratios are shown twice: from the medians of the separate
/// scenarios, and from interleaved pairs (<see cref="InterleavedBenchmark"/>), which cancel the
/// machine's drift between scenarios; targets and floors are judged on the pairs when measured.
/// Beside them, the ratio of the two sides' fast quartiles in the pairs (a quiet host, where the
/// ceiling is at its fastest) shows how much a ratio depends on the host's load; from a dozen
/// samples per side it is too noisy to judge by.
/// </summary>
internal sealed class RatioTable
{
    private readonly List<Row> _rows = [];
    private readonly List<(string Name, string Value)> _figures = [];

    /// <summary>Every targeted ratio was measured and is at or above its floor.</summary>
    public bool AllAboveFloor => _rows.All(r => r.AboveFloor == true);

    public static RatioTable From(IReadOnlyList<Summary> summaries)
    {
        var find = new Lookup(summaries);
        var table = new RatioTable();

        double? ceiling = find.Median("CeilingBenchmark", "Standard");
        double? endToEnd = find.Median("EndToEndBenchmark", "Standard");
        double? calling = find.Median("CallingThreadBenchmark", "Callback");
        double? callingAlloc = ProcessAllocation.LoadThread("CallingThreadBenchmark.Callback");
        double? processAlloc = ProcessAllocation.Load("EndToEndBenchmark.Standard");
        double? ring = find.Median("BufferBenchmark", "LockFreeRing", writers: 2);
        double? bounded = find.Median("BufferBenchmark", "BoundedChannel", writers: 2);
        double? unbounded = find.Median("BufferBenchmark", "UnboundedChannel", writers: 2);
        double? baseline = find.Median("BaselineBenchmark", "Standard");
        double? baselineAlloc = ProcessAllocation.Load("BaselineBenchmark.Standard");
        double? ingest = find.Median("IngestBenchmark", "File");

        table.AtLeast("End-to-end ÷ ceiling, events/s", Divide(ceiling, endToEnd), Paired("EndToEndVsCeiling"), target: 0.85, floor: 0.42, "F2");
        table.AtMost("Calling thread ÷ ceiling, time per event", Divide(calling, ceiling), Paired("CallingThreadVsCeiling"), target: 0.25, floor: 0.50, "F2");
        table.AtMost("Calling thread allocated, B per Track", callingAlloc, null, target: 0, floor: 4, "F1");
        table.AtMost("Whole process allocated, B per event (end to end)", processAlloc, null, target: 16, floor: 32, "F1");
        table.AtMost("Whole process allocated, B per event (HTTP to loopback, receiver included)", ProcessAllocation.Load("EndToEndBenchmark.StandardHttp"), null, target: 16, floor: 32, "F1");
        table.AtMost("CPU per delivered event ÷ ceiling, whole process (HTTP to a receiver in another process, caller paced)",
            Divide(ProcessCpu.Load("CpuBenchmark.Paced"), ceiling), null, target: 3, floor: 6, "F2");
        table.AtLeast("NDJSON ingest ÷ end-to-end, events/s (PipeReader over a file, file transport)", Divide(endToEnd, ingest), null, target: 0.5, floor: 0.25, "F2");
        table.AtMost("NDJSON ingest, reading thread allocated, B per further line (steady state)", ResultStore.Load(IngestBenchmark.ReadingThreadKey), null, target: 0, floor: 4, "F1");
        table.AtLeast("Lock-free ring ÷ Channel.CreateBounded, speed at 2 writers", Divide(bounded, ring), Paired("RingVsBoundedChannel"), target: 1.0, floor: 0.5, "F2", strict: true);
        table.AtLeast("Lock-free ring ÷ Channel.CreateUnbounded, speed at 2 writers", Divide(unbounded, ring), Paired("RingVsUnboundedChannel"), target: 1.0, floor: 0.5, "F2", strict: true);
        table.AtLeast("Spool on ÷ spool off, end-to-end events/s (default sync policy)", Divide(endToEnd, find.Median("EndToEndBenchmark", "StandardSpool")), null, target: 0.5, floor: 0.25, "F2");
        table.AtMost("Whole process allocated, B per event (end to end, spool on)", ProcessAllocation.Load("EndToEndBenchmark.StandardSpool"), null, target: 16, floor: 32, "F1");
        table.AtLeast("End-to-end ÷ baseline, events/s", Divide(baseline, endToEnd), Paired("EndToEndVsBaseline"), target: 5, floor: 2.5, "F1");
        table.AtLeast("Baseline ÷ end-to-end, bytes per event (whole process)", baselineAlloc is null || processAlloc is null ? null
            : processAlloc <= 0 ? double.PositiveInfinity : baselineAlloc / processAlloc, null, target: 50, floor: 25, "F0");

        table.Figure("Ceiling", PerSecond(ceiling));
        table.Figure("End to end", PerSecond(endToEnd));
        table.Figure("Baseline", PerSecond(baseline));
        // End to end cannot outrun the ceiling (one serializer per partition, the ceiling's writer), so this is
        // the most end-to-end ÷ baseline can read on this host: at least 5.9 for the ≥ 5 target at 0.85 of the ceiling.
        table.Figure("Baseline ÷ ceiling, time per event (the bound on end-to-end ÷ baseline)", Format(Divide(baseline, ceiling), "F2"));
        table.Figure("End to end, spool on", PerSecond(find.Median("EndToEndBenchmark", "StandardSpool")));
        table.Figure("End to end over HTTP to loopback", PerSecond(find.Median("EndToEndBenchmark", "StandardHttp")));
        table.Figure("CPU per delivered event, caller paced / saturated", $"{Format(ProcessCpu.Load("CpuBenchmark.Paced"), "F0")} / {Format(ProcessCpu.Load("CpuBenchmark.Saturated"), "F0")} ns (ceiling {Format(ceiling, "F0")} ns per event)");
        table.Figure("CPU per delivered event ÷ ceiling, caller saturated", Format(Divide(ProcessCpu.Load("CpuBenchmark.Saturated"), ceiling), "F2"));
        double? spinless = ProcessCpu.Load(nameof(SpinlessCpuBenchmark) + ".Paced");
        table.Figure("CPU per delivered event ÷ ceiling, caller paced, the host's pool spin off (ThreadPoolSpinCount 0)",
            $"{Format(Divide(spinless, ceiling), "F2")} ({Format(spinless, "F0")} ns; saturated {Format(ProcessCpu.Load(nameof(SpinlessCpuBenchmark) + ".Saturated"), "F0")} ns)");
        table.Figure("NDJSON ingest", PerSecond(ingest));
        table.Figure("NDJSON ingest, whole process", $"{Format(ProcessAllocation.Load("IngestBenchmark.File"), "F1")} B per line (reading, engine, file transport)");
        table.Figure("NDJSON ingest, reading thread, once per ingest", $"{Format(ResultStore.Load(IngestBenchmark.PerIngestKey), "F0")} B (a file of {IngestBenchmark.Lines:N0} lines: {Format(ProcessAllocation.LoadThread("IngestBenchmark.File"), "F2")} B per line)");
        table.Figure("Calling thread, allocation-free API", calling is null ? "n/a" : $"{calling:F1} ns per Track");
        table.Figure("Baseline, whole process", baselineAlloc is null ? "n/a" : $"{baselineAlloc:F0} B per event");
        table.Figure("Large event (~8 KB): end-to-end ÷ ceiling", Format(Divide(find.Median("CeilingBenchmark", "Large"), find.Median("EndToEndBenchmark", "Large")), "F2"));
        table.Figure("Large event: end-to-end ÷ baseline", Format(Divide(find.Median("BaselineBenchmark", "Large"), find.Median("EndToEndBenchmark", "Large")), "F1"));
        table.Figure("Large event: whole process, end to end / baseline", $"{Format(ProcessAllocation.Load("EndToEndBenchmark.Large"), "F0")} / {Format(ProcessAllocation.Load("BaselineBenchmark.Large"), "F0")} B per event");
        foreach (var (method, sides) in new[]
        {
            ("EndToEndVsCeiling", "ceiling / end to end"),
            ("CallingThreadVsCeiling", "ceiling / Track"),
            ("EndToEndVsBaseline", "baseline / end to end"),
            ("RingVsBoundedChannel", "bounded channel / ring"),
            ("RingVsUnboundedChannel", "unbounded channel / ring"),
        })
        {
            double? reference = ResultStore.Load(InterleavedBenchmark.KeyOf(method, ".reference"));
            double? subject = ResultStore.Load(InterleavedBenchmark.KeyOf(method, ".subject"));
            if (reference is not null && subject is not null)
                table.Figure($"Interleaved, {sides}", $"{reference:F1} / {subject:F1} ns per operation");
        }

        return table;
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Ratio | Target | CI floor | Separate runs (medians) | Interleaved pairs (median) | Sides' fast quartiles (a quiet host) | Target met |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in _rows)
        {
            string met = r.MeetsTarget is null ? "not measured" : r.MeetsTarget.Value ? "yes" : "**no**";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Target} | {r.Floor} | {r.Separate} | {r.Paired} | {r.Quiet} | {met} |");
        }

        sb.AppendLine();
        sb.AppendLine("| Figure | Value |");
        sb.AppendLine("| --- | --- |");
        foreach (var (name, value) in _figures)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        return sb.ToString();
    }

    /// <summary>The rows below their floor (or not measured), for the CI message.</summary>
    public IEnumerable<string> Failures()
        => _rows.Where(r => r.AboveFloor != true).Select(r => $"{r.Name}: {(r.Paired == "-" ? r.Separate : r.Paired)} (floor {r.Floor})");

    private static Pairs? Paired(string method)
        => ResultStore.Load(InterleavedBenchmark.KeyOf(method)) is { } median
            ? new Pairs(median, ResultStore.Load(InterleavedBenchmark.KeyOf(method, ".quiet")) ?? median)
            : null;

    private static double? Divide(double? a, double? b) => a is null || b is null || b == 0 ? null : a / b;

    private static string PerSecond(double? nsPerEvent)
        => nsPerEvent is null ? "n/a" : (1e9 / nsPerEvent.Value).ToString("N0", CultureInfo.InvariantCulture) + " events/s";

    private static string Format(double? value, string format)
        => value is null ? "n/a" : double.IsPositiveInfinity(value.Value) ? "∞" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    private void AtLeast(string name, double? separate, Pairs? paired, double target, double floor, string format, bool strict = false)
        => Add(name, $"{(strict ? ">" : "≥")} {Number(target)}", $"≥ {Number(floor)}", separate, paired, format,
            meets: v => strict ? v > target : v >= target, aboveFloor: v => v >= floor);

    private void AtMost(string name, double? separate, Pairs? paired, double target, double floor, string format)
        => Add(name, target == 0 ? "0" : $"≤ {Number(target)}", $"≤ {Number(floor)}", separate, paired, format,
            meets: v => v <= target, aboveFloor: v => v <= floor);

    private void Add(string name, string target, string floor, double? separate, Pairs? paired, string format,
        Func<double, bool> meets, Func<double, bool> aboveFloor)
    {
        double? judged = paired?.Median ?? separate;
        bool? met = judged is null ? null : meets(judged.Value);
        _rows.Add(new Row(name, target, floor, Format(separate, format),
            paired is null ? "-" : Format(paired.Median, format), paired is null ? "-" : Format(paired.Quiet, format),
            met, judged is null ? null : aboveFloor(judged.Value)));
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private void Figure(string name, string value) => _figures.Add((name, value));

    private sealed record Row(string Name, string Target, string Floor, string Separate, string Paired, string Quiet, bool? MeetsTarget, bool? AboveFloor);

    /// <summary>An interleaved ratio: the median of all pairs, and the ratio of the two sides' fast quartiles (a quiet host).</summary>
    private sealed record Pairs(double Median, double Quiet);

    private sealed class Lookup(IReadOnlyList<Summary> summaries)
    {
        public double? Median(string type, string method, int? writers = null)
            => Find(type, method, writers)?.ResultStatistics?.Median;

        private BenchmarkReport? Find(string type, string method, int? writers)
            => summaries.SelectMany(s => s.Reports).FirstOrDefault(r =>
                r.BenchmarkCase.Descriptor.Type.Name == type
                && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
                && (writers is null || Equals(r.BenchmarkCase.Parameters["Writers"], writers)));
    }
}
