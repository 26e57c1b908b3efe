using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Diagnostics;
using Sluice.Delivery.Transports;
using Sluice.Delivery.Transports.Http;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Spooling;

namespace Sluice.Tests;

/// <summary>Holds README.md's quick start verbatim, so it keeps compiling and doing what it says, and its options table to the defaults.</summary>
public sealed class ReadmeTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "sluice-readme-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task The_quick_start_writes_a_track_and_a_page_batch()
    {
        await QuickStart(_out);

        var files = Directory.GetFiles(_out);
        Assert.Equal(2, files.Length);
        int events = files.Sum(f => JsonDocument.Parse(File.ReadAllBytes(f)).RootElement.GetArrayLength());
        Assert.Equal(3, events);
    }

    [Fact]
    public async Task The_HTTP_snippet_delivers_to_a_ThriveStack_API()
    {
        await using var collector = await Sluice.Collector.ReferenceCollector.StartAsync();
        await HttpSnippet(collector.BaseAddress, collector.Credentials.TrackToken, collector.Credentials.PageApiKey);

        Assert.Equal(1, collector.Received(Sluice.Collector.CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(1, collector.Received(Sluice.Collector.CollectorApi.ThriveStackPage).EventCount);
    }

    private static async Task HttpSnippet(Uri baseAddress, string trackToken, string pageApiKey)
    {
        // --- README transports snippet (with the API address → baseAddress) ---
        using var http = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = baseAddress,
            Authentication = HttpAuthentication.ThriveStack(trackToken, pageApiKey), // or .Segment(writeKey), .PrimeData(id, token) with WireFormat = new SegmentFormat(), new PrimeDataFormat(id)
        });
        await using var engine = new SluiceEngine(new SluiceOptions(), http);

        engine.Track("user-42", "signed_up");
        engine.Page(userId: null, sessionId: "1rwttH3IN");
    }

    [Fact]
    public async Task The_fate_snippet_reports_the_accepted_event_delivered_by_its_sequence_number()
    {
        var (fates, sequence) = await FateSnippet(_out);

        Assert.Equal(0, sequence);
        Assert.Equal(EventOutcome.Delivered, Assert.Single(fates, f => f.Key == sequence).Value);
    }

    private static async Task<(ConcurrentDictionary<long, EventOutcome> Fates, long Sequence)> FateSnippet(string outDir)
    {
        // --- README fate snippet (with "out" → outDir; the engine disposed before the fates are read) ---
        var fates = new ConcurrentDictionary<long, EventOutcome>();
        long sequence;
        {
            await using var engine = new SluiceEngine(new SluiceOptions
            {
                // Engine threads, possibly several at once: quick and thread-safe. The spans live only during the call.
                OnBatchSettled = (in SettledEvents settled) =>
                {
                    for (int i = 0; i < settled.Count; i++)
                        fates[settled.Sequences[i]] = settled.Outcomes[i];
                },
            }, new FileTransport(outDir));

            var result = engine.Track("user-42", "signed_up");
            if (result.IsAccepted)
                Console.WriteLine($"accepted as #{result.Sequence}");
            sequence = result.Sequence;
        }

        return (fates, sequence);
    }

    [Fact]
    public void The_options_table_gives_the_defaults_the_options_have()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var o = new SluiceOptions();
        var spool = new SpoolOptions();

        // Each row as README.md has it, then the value it states.
        (string Row, bool Holds)[] rows =
        [
            ("| `MaxBatchEvents` | 1,000 |", o.MaxBatchEvents == 1_000),
            ("| `MaxBatchBytes` | 2,097,152 (body bytes", o.MaxBatchBytes == 2_097_152),
            ("| `FlushInterval` | 5 s after a batch's first event |", o.FlushInterval == TimeSpan.FromSeconds(5)),
            ("| `QueueCapacity`, `FullMode` | 65,536 events; `DropNewest`", o.QueueCapacity == 65_536 && o.FullMode == FullMode.DropNewest),
            ("| `MaxConcurrentSends`, `ShutdownTimeout` | 2 requests at once; 10 s to drain", o.MaxConcurrentSends == 2 && o.ShutdownTimeout == TimeSpan.FromSeconds(10)),
            ("| `MaxSendAttempts`, `RetryBudget` | 20 attempts per body, 2 min per batch", o.MaxSendAttempts == 20 && o.RetryBudget == TimeSpan.FromMinutes(2)),
            ("| `RetryBaseDelay`, `RetryMaxDelay` | 500 ms doubling (full jitter), 30 s cap", o.RetryBaseDelay == TimeSpan.FromMilliseconds(500) && o.RetryMaxDelay == TimeSpan.FromSeconds(30)),
            ("| `UnauthorizedProbeInterval` | 1 min, doubling up to 8 min", o.UnauthorizedProbeInterval == TimeSpan.FromMinutes(1)
                && Sluice.Delivery.RetryPolicy.From(o).ProbeCeiling(int.MaxValue) == TimeSpan.FromMinutes(8)),
            ("| `OnDiagnostic`, `OnBatchSettled` | none;", o.OnDiagnostic is null && o.OnBatchSettled is null),
            ("| `Spool` | none; a `SpoolOptions` (directory, 1 GiB cap, sync before send)", o.Spool is null && spool.MaxBytes == 1L << 30 && spool.Sync == SpoolSync.PerBatch),
            ("| `WireFormat` | ThriveStack (track array → `/api/track`, page array → `/api/page`)",
                o.WireFormat is ThriveStackFormat f && f.EndpointPath(ThriveStackFormat.TrackPartition) == "/api/track" && f.EndpointPath(ThriveStackFormat.PagePartition) == "/api/page"),
        ];

        Assert.All(rows, row =>
        {
            Assert.Contains(row.Row, readme, StringComparison.Ordinal);
            Assert.True(row.Holds, row.Row);
        });
        Assert.Contains("at most 1,000 events and 2,097,152 bytes\nper body", readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    private static async Task QuickStart(string outDir)
    {
        // --- README quick start (with "out" → outDir) ---
        await using var engine = new SluiceEngine(new SluiceOptions(), new FileTransport(outDir));

        engine.Track("user-42", "signed_up", new Dictionary<string, object?> { ["plan"] = "pro" });
        engine.Page(userId: null, sessionId: "1rwttH3IN", new Dictionary<string, object?> { ["page_name"] = "Home" });

        // Hot loops: a static callback with a state argument allocates nothing.
        engine.Track("user-42", "feature_used", 3, static (ref PropertiesWriter w, int seats) =>
        {
            w.WriteString("feature", "export_csv");
            w.WriteNumber("seats", seats);
        });
    }
}
