using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;

namespace Sluice.Tests.Diagnostics;

/// <summary>The docs' reference tables against the code: a user looks an instrument or a diagnostic up there.</summary>
public partial class ReferenceDocsTests
{
    [Fact]
    public async Task Metrics_md_lists_every_instrument_the_engine_publishes_with_its_kind_and_unit_and_no_other()
    {
        var published = new List<Instrument>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == SluiceMetrics.MeterName && instrument.Meter.Tags?.Contains(new(SluiceMetrics.EngineTag, "docs")) == true)
            {
                lock (published)
                    published.Add(instrument);
            }
        };
        listener.Start();
        await new SluiceEngine(new SluiceOptions { Name = "docs" }, new InMemoryTransport()).ShutdownAsync();

        var documented = InstrumentRow().Matches(Doc("metrics.md"))
            .Select(m => $"{m.Groups["name"].Value} {m.Groups["kind"].Value} {m.Groups["unit"].Value}").Order(StringComparer.Ordinal);
        var actual = published.Select(i => $"{i.Name} {KindOf(i)} {i.Unit}").Order(StringComparer.Ordinal);
        Assert.Equal(actual, documented);
    }

    [Fact]
    public void Troubleshooting_md_has_a_row_for_every_diagnostic_and_hosting_md_gives_their_event_ids()
    {
        var rows = DiagnosticRow().Matches(Doc("troubleshooting.md")).Select(m => m.Groups["kind"].Value).ToHashSet();
        Assert.All(Enum.GetNames<DiagnosticKind>(), kind => Assert.Contains(kind, rows));

        var kinds = Enum.GetValues<DiagnosticKind>();
        string range = $"| {(int)kinds.Min()}–{(int)kinds.Max()} | `{kinds.Min()}` … `{kinds.Max()}` |";
        Assert.Contains(range, Doc("hosting.md"));
        Assert.Equal(Enumerable.Range(1, kinds.Length), kinds.Select(k => (int)k).Order()); // no gap in the range
    }

    [Fact]
    public void Delivery_md_names_every_EventOutcome_the_settled_callback_reports()
    {
        string doc = Doc("delivery.md");
        int start = doc.IndexOf("`EventOutcome` is ", StringComparison.Ordinal);
        string list = doc[start..doc.IndexOf(": one value per terminal-state counter", start, StringComparison.Ordinal)];

        var documented = Regex.Matches(list, "`(\\w+)`").Select(m => m.Groups[1].Value).Skip(1); // after `EventOutcome` itself
        Assert.Equal(Enum.GetNames<EventOutcome>().Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    private static string Doc(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", name));

    /// <summary>The instrument's kind as docs/metrics.md names it: its type's name without the generic arity.</summary>
    private static string KindOf(Instrument instrument) => instrument.GetType().Name.Split('`')[0];

    [GeneratedRegex(@"^\| `(?<name>sluice\.[a-z._]+)` \| (?<kind>\w+) \| `(?<unit>[^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex InstrumentRow();

    [GeneratedRegex(@"^\| `(?<kind>\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex DiagnosticRow();
}
