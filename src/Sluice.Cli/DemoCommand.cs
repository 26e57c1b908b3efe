using System.Diagnostics;
using Sluice.Cli.Performance;
using Sluice.Delivery.Transports;
using Sluice.Producing;

namespace Sluice.Cli;

/// <summary><c>sluice demo</c>: synthetic standard events through the engine into the file transport.</summary>
internal static class DemoCommand
{
    private static readonly string[] Plans = ["free", "pro", "team", "enterprise"];
    private static readonly string[] PageUrls = [.. new[] { "/", "/pricing", "/docs", "/blog", "/signup" }.Select(p => "https://example.com" + p)];

    public static async Task<int> RunAsync(Arguments args, TextWriter stdout)
    {
        long count = args.GetLong("events", 2_000_000);
        string? outArg = args.Get("out");
        string outDir = outArg ?? Path.Combine(Path.GetTempPath(), $"sluice-demo-{Environment.ProcessId}");
        if (Directory.Exists(outDir))
        {
            foreach (var old in Directory.EnumerateFiles(outDir, "*.json"))
                File.Delete(old);
        }

        var options = new SluiceOptions { FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromSeconds(30), Name = "demo" };
        var engine = new SluiceEngine(options, new FileTransport(outDir));
        var users = new string[1024];
        for (int i = 0; i < users.Length; i++)
            users[i] = $"user-{i:D6}";

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            var e = new DemoEvent(i);
            string user = users[i & 1023];
            if (i % 5 == 4)
                engine.Page(null, user, e, static (ref PropertiesWriter w, DemoEvent s) => s.WritePage(ref w), static (ref PropertiesWriter w, DemoEvent s) => w.WriteString("os", "linux"));
            else
                engine.Track(user, "feature_used", e, static (ref PropertiesWriter w, DemoEvent s) => s.WriteTrack(ref w), static (ref PropertiesWriter w, DemoEvent s) => w.WriteString("group_id", "g-42"));
        }

        var shutdown = await engine.ShutdownAsync().ConfigureAwait(false);
        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var c = shutdown.Counters;
        double seconds = clock.Elapsed.TotalSeconds;
        await stdout.WriteLineAsync($"{count:N0} events in {seconds:F2} s: {count / seconds:N0} events/s end to end (file transport), {(double)allocated / Math.Max(1, count):F1} B allocated per event").ConfigureAwait(false);
        await stdout.WriteLineAsync($"{c.BatchesSealed:N0} batches, {c.BytesSealed:N0} bytes ({(double)c.BytesSealed / Math.Max(1, c.EventsSealed):F0} B/event) in {outDir}").ConfigureAwait(false);
        CountersReport.Write(stdout, c);

        if (outArg is null)
            Directory.Delete(outDir, recursive: true);

        // The benchmarks' end-to-end figure, measured here (a run proportional to --events, at least 10,000 events).
        await stdout.WriteLineAsync().ConfigureAwait(false);
        await HotPathReport.WriteAsync(Math.Clamp(count / 2, 10_000, 1_000_000), stdout).ConfigureAwait(false);
        return c.Delivered == count ? 0 : 1;
    }

    /// <summary>The standard event (docs/performance.md): 5 properties (2 strings, int, bool, double) and a 1-key context.</summary>
    private readonly struct DemoEvent(long i)
    {
        public void WriteTrack(ref PropertiesWriter w)
        {
            w.WriteString("feature", "export_csv");
            w.WriteString("plan", Plans[i & 3]);
            w.WriteNumber("seats", 5 + (i % 50));
            w.WriteBoolean("trial", (i & 1) == 0);
            w.WriteNumber("duration_ms", 12.5 + (i % 100));
        }

        public void WritePage(ref PropertiesWriter w)
        {
            w.WriteString("page_url", PageUrls[i % 5]); // not concatenated per call: the demo measures the engine, not string building
            w.WriteString("page_name", "Homepage");
            w.WriteNumber("scroll_depth", i % 100);
            w.WriteBoolean("first_visit", (i & 1) == 0);
            w.WriteNumber("load_ms", 180.25);
        }
    }
}
