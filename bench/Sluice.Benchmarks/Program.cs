using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Sluice.Benchmarks;

// Usage:
//   dotnet run -c Release --project bench/Sluice.Benchmarks -- [--quick] [--check] [--results DIR] [BenchmarkDotNet options]
// --quick    the CI subset with a short job (under 3 minutes); otherwise every scenario, full job.
// --check    exit 1 if a ratio is below its CI floor.
// --results  also write DIR/<date>-<full|quick>.md: the ratio table, the machine, and the GitHub-markdown export.
//   dotnet bench/Sluice.Benchmarks/bin/Release/net10.0/Sluice.Benchmarks.dll --cpu-probe [events] [rounds] [events/s]
// a quick look at CPU per delivered event without BenchmarkDotNet (see CpuProbe).
//   ... --channel-probe [ring|bounded|unbounded] [rounds]: the ring-against-channel pairs alone (see ChannelProbe).
//   ... --serializer-probe [events] [rounds]: the serializer alone against the ceiling (see SerializerProbe).
// Without --filter every benchmark runs (or the quick subset).
if (args is [ReceiverProcess.Flag])
    return ReceiverProcess.Serve();
if (args is [CpuProbe.Flag, ..])
    return CpuProbe.Run(args[1..]);
if (args is ["--ingest-probe"])
    return IngestBenchmark.Probe();
if (args is [SerializerProbe.Flag, ..])
    return SerializerProbe.Run(args[1..]);
if (args is [ChannelProbe.Flag, ..])
    return ChannelProbe.Run(args[1..]);
if (args is [TrackProbe.Flag])
    return TrackProbe.Run();

// The benchmarks that need a receiver in another process start this assembly as one.
Environment.SetEnvironmentVariable(ReceiverProcess.HostVariable, typeof(BenchConfig).Assembly.Location);
var rest = new List<string>(args);
bool quick = Take(rest, "--quick");
bool check = Take(rest, "--check");
string? resultsDir = TakeValue(rest, "--results");
if (!rest.Contains("--filter"))
{
    rest.Add("--filter");
    rest.AddRange(quick ? BenchConfig.QuickFilter : ["*"]);
}

ResultStore.StartRun();
var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run([.. rest], BenchConfig.Create(quick)).ToList();
if (summaries.Count == 0)
    return 1;

var table = RatioTable.From(summaries);
string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
string mode = quick ? "quick" : "full";
var header = new StringBuilder();
header.AppendLine(CultureInfo.InvariantCulture, $"Sluice performance ratios ({mode} run, {date})");
header.AppendLine();
header.AppendLine("```");
foreach (string line in summaries[0].HostEnvironmentInfo.ToFormattedString())
    header.AppendLine(line);
header.AppendLine("```");
header.AppendLine();
header.Append(table.ToMarkdown());
Console.WriteLine();
Console.WriteLine(header);

if (resultsDir is not null)
{
    Directory.CreateDirectory(resultsDir);
    var file = new StringBuilder("# ").Append(header).AppendLine();
    foreach (var summary in summaries)
    {
        var logger = new AccumulationLogger();
        MarkdownExporter.GitHub.ExportToLog(summary, logger);
        file.AppendLine(CultureInfo.InvariantCulture, $"## {summary.BenchmarksCases.FirstOrDefault()?.Descriptor.Type.Name}").AppendLine().AppendLine(logger.GetLog());
    }

    string path = Path.Combine(resultsDir, $"{date}-{mode}.md");
    File.WriteAllText(path, file.ToString());
    Console.WriteLine($"Results written to {path}");
}

if (check && !table.AllAboveFloor)
{
    foreach (string failure in table.Failures())
        Console.WriteLine($"Below the CI floor: {failure}");
    return 1;
}

return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;

static bool Take(List<string> list, string flag) => list.Remove(flag);

static string? TakeValue(List<string> list, string option)
{
    int i = list.IndexOf(option);
    if (i < 0 || i + 1 >= list.Count)
        return null;
    string value = list[i + 1];
    list.RemoveRange(i, 2);
    return value;
}
