// Uses the Sluice package the way an application does, then checks what the package promises: every
// accepted event is delivered, the counters add up, and every batch is a valid JSON body within the
// limits. Prints what it checked; exits 1, saying why, if anything does not hold.
//   dotnet run -c Release -p:SluiceVersion=X -- X      (X: the version that must be running)
using System.Reflection;
using System.Text.Json;
using Sluice;
using Sluice.Delivery.Transports;
using Sluice.Producing;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Consumer <expected Sluice version>");
    return 2;
}

string expected = args[0];
var failures = new List<string>();
void Check(bool condition, string failure)
{
    if (!condition)
        failures.Add(failure);
}

// The assembly loaded must be the package just packed, not some other copy.
var engineAssembly = typeof(SluiceEngine).Assembly;
string running = engineAssembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
Check(running == expected || running.StartsWith(expected + "+", StringComparison.Ordinal),
    $"running {engineAssembly.GetName().Name} {running}, expected {expected}");

const int Tracks = 1_000, Pages = 200, MaxEvents = 100;
string dir = Path.Combine(Path.GetTempPath(), $"sluice-consumer-{Guid.NewGuid():N}");
try
{
    var options = new SluiceOptions { MaxBatchEvents = MaxEvents, FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromSeconds(30) };
    ShutdownResult result;
    long accepted = 0;
    await using (var engine = new SluiceEngine(options, new FileTransport(dir)))
    {
        for (int i = 0; i < Tracks; i++)
        {
            var r = i % 2 == 0
                ? engine.Track($"user-{i % 17}", "feature_used", new Dictionary<string, object?> { ["feature"] = "export_csv", ["seats"] = i })
                : engine.Track($"user-{i % 17}", "feature_used", i, static (ref PropertiesWriter w, int seats) =>
                {
                    w.WriteString("feature", "export_csv");
                    w.WriteNumber("seats", seats);
                });
            accepted += r == EnqueueStatus.Accepted ? 1 : 0;
        }

        for (int i = 0; i < Pages; i++)
        {
            var r = engine.Page(userId: null, sessionId: $"session-{i % 5}", new Dictionary<string, object?> { ["page_name"] = "Home" });
            accepted += r == EnqueueStatus.Accepted ? 1 : 0;
        }

        result = await engine.ShutdownAsync();
    }

    var c = result.Counters;
    Check(accepted == Tracks + Pages, $"{accepted} of {Tracks + Pages} calls accepted");
    Check(c.Accepted == accepted, $"counters: accepted {c.Accepted}, the calls say {accepted}");
    Check(c.Delivered == c.Accepted, $"counters: delivered {c.Delivered} of {c.Accepted} accepted");
    Check(c.InFlight == 0, $"counters: {c.InFlight} still in flight after shutdown");
    Check(!result.TimedOut && c.LostAtShutdown == 0, $"shutdown timed out ({c.LostAtShutdown} lost)");

    // Each file is one batch, byte for byte the HTTP body: a JSON array of tracks or of pages.
    int tracks = 0, pages = 0, files = 0;
    foreach (string file in Directory.EnumerateFiles(dir, "*.json"))
    {
        files++;
        byte[] body = File.ReadAllBytes(file);
        Check(body.Length <= options.MaxBatchBytes, $"{Path.GetFileName(file)}: {body.Length} bytes, over the limit");
        using var json = JsonDocument.Parse(body);
        int count = json.RootElement.GetArrayLength();
        Check(count is > 0 and <= MaxEvents, $"{Path.GetFileName(file)}: {count} events");
        foreach (var e in json.RootElement.EnumerateArray())
        {
            if (e.TryGetProperty("event_name", out _))
                tracks++;
            else
                pages++;
        }
    }

    Check(tracks == Tracks && pages == Pages, $"the batch files hold {tracks} tracks and {pages} pages, expected {Tracks} and {Pages}");
    Check(files == (int)c.BatchesDelivered, $"{files} batch files, {c.BatchesDelivered} batches delivered");
    Console.WriteLine($"consumer: {engineAssembly.GetName().Name} {running} from the package; {c.Accepted:N0} events accepted, " +
        $"{c.Delivered:N0} delivered in {files} batch files ({tracks:N0} tracks, {pages:N0} pages), none in flight");
}
finally
{
    if (Directory.Exists(dir))
        Directory.Delete(dir, recursive: true);
}

// The hosting package: AddSluice in a Generic Host, delivered at host shutdown.
const int HostedEvents = 250;
if (await HostingCheck.RunAsync(HostedEvents) is { } hostingFailure)
    failures.Add(hostingFailure);
else
    Console.WriteLine($"consumer: Sluice.Extensions.Hosting from the package; {HostedEvents} events tracked in a Generic Host, all delivered when it stopped");

foreach (string failure in failures)
    Console.Error.WriteLine($"consumer: FAILED: {failure}");
return failures.Count == 0 ? 0 : 1;
