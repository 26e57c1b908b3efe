using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Diagnostics;
using Sluice.Delivery.Transports;
using Sluice.Delivery.Transports.Http;
using Sluice.Producing;

namespace Sluice.Tests;

/// <summary>Holds README.md's quick start verbatim, so it keeps compiling and doing what it says.</summary>
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
