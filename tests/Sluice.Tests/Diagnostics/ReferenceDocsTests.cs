using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

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
    public async Task Metrics_md_gives_the_histograms_bucket_advice()
    {
        var advice = new Dictionary<string, double[]>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == SluiceMetrics.MeterName && instrument.Meter.Tags?.Contains(new(SluiceMetrics.EngineTag, "docs-buckets")) == true)
            {
                double[]? buckets = instrument switch
                {
                    Histogram<double> seconds => seconds.Advice?.HistogramBucketBoundaries?.ToArray(),
                    Histogram<long> counts => counts.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                    _ => null,
                };
                if (buckets is not null)
                {
                    lock (advice)
                        advice[instrument.Name] = buckets;
                }
            }
        };
        listener.Start();
        await new SluiceEngine(new SluiceOptions { Name = "docs-buckets" }, new InMemoryTransport()).ShutdownAsync();

        Assert.Contains("request duration 5 ms – 60 s (the OpenTelemetry HTTP\nbuckets, extended), batch size 1 KiB – 128 MiB, batch events 1 – 100,000.", Doc("metrics.md").ReplaceLineEndings("\n"), StringComparison.Ordinal);
        double[] otelHttp = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]; // http.client.request.duration's advice
        Assert.Equal(otelHttp, advice["sluice.request.duration"][..otelHttp.Length]);
        Assert.Equal(60, advice["sluice.request.duration"][^1]);
        Assert.Equal((1_024d, 128d * 1024 * 1024), (advice["sluice.batch.size"][0], advice["sluice.batch.size"][^1]));
        Assert.Equal((1d, 100_000d), (advice["sluice.batch.events"][0], advice["sluice.batch.events"][^1]));
    }

    [Fact]
    public async Task Metrics_md_gives_each_instrument_the_attributes_it_carries_and_every_measurement_the_engine_name()
    {
        // A retried 503 and a delivery: every attribute the table names is then recorded at least once.
        var transport = new ScriptedTransport(a => a.Number == 0 ? SendResult.Retry("busy", statusCode: 503) : SendResult.Delivered);
        var engine = new SluiceEngine(new SluiceOptions { Name = "docs-attributes", RetryBaseDelay = TimeSpan.FromMilliseconds(1), JitterRandom = new FixedRandom(0) }, transport);
        var seen = new Dictionary<string, HashSet<string>>();
        var unnamed = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SluiceMetrics.MeterName && instrument.Meter.Tags?.Contains(new(SluiceMetrics.EngineTag, "docs-attributes")) == true)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        listener.Start();
        engine.Track("u", "e");
        await engine.FlushAsync();
        listener.RecordObservableInstruments(); // the gauges report only while the engine runs
        await engine.ShutdownAsync();

        var documented = InstrumentAttributes().Matches(Doc("metrics.md")).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["attributes"].Value.Trim());
        var requests = Attributes(documented["sluice.requests"]);
        Assert.Equal("as `sluice.requests`", documented["sluice.request.duration"]);
        Assert.Equal(documented.Keys.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));
        Assert.All(seen, instrument =>
            Assert.Equal(instrument.Key == "sluice.request.duration" ? requests : Attributes(documented[instrument.Key]), instrument.Value.Order(StringComparer.Ordinal)));
        Assert.Empty(unnamed);

        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var keys = new HashSet<string>();
            bool named = false;
            foreach (var tag in tags)
            {
                if (tag.Key == SluiceMetrics.EngineTag)
                    named = Equals(tag.Value, "docs-attributes");
                else
                    keys.Add(tag.Key);
            }

            lock (seen)
            {
                seen.TryAdd(instrument.Name, []);
                seen[instrument.Name].UnionWith(keys);
                if (!named)
                    unnamed.Add(instrument.Name);
            }
        }

        static string[] Attributes(string cell) => Regex.Matches(cell, "`([a-z._]+)`").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToArray();
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

    [GeneratedRegex(@"^\| `(?<name>sluice\.[a-z._]+)` \| \w+ \| `[^`]+` \|(?<attributes>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex InstrumentAttributes();

    [GeneratedRegex(@"^\| `(?<kind>\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex DiagnosticRow();
}
