using System.Text.Json;
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
            Authentication = HttpAuthentication.ThriveStack(trackToken, pageApiKey), // or .Segment(writeKey), .PrimeData(id, token)
        });
        await using var engine = new SluiceEngine(new SluiceOptions(), http);

        engine.Track("user-42", "signed_up");
        engine.Page(userId: null, sessionId: "1rwttH3IN");
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
