using System.Diagnostics;
using Sluice.Delivery.Transports.Http;
using Sluice.Producing;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// A quick measurement, not a test of speed: events/s delivered over loopback HTTP to the reference
/// collector for each format. Opt-in (<c>SLUICE_HTTP_THROUGHPUT=1</c>; <c>SLUICE_HTTP_THROUGHPUT_EVENTS</c>
/// sets the count); prints its figures. The collector parses, validates and keeps every event, so it
/// is usually the slower side.
/// </summary>
public class HttpThroughputTests(ITestOutputHelper output)
{
    [OptInTheory("SLUICE_HTTP_THROUGHPUT")]
    [MemberData(nameof(HttpDeliveryTests.Formats), MemberType = typeof(HttpDeliveryTests))]
    public async Task Loopback_throughput(string format)
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("SLUICE_HTTP_THROUGHPUT_EVENTS"), out int n) ? n : 500_000;
        var wire = WireCase.Get(format);
        foreach (bool gzip in new[] { false, true })
        {
            await using var run = await HttpRun.StartAsync(wire, o => o.FlushInterval = TimeSpan.FromSeconds(5), h => h.Gzip = gzip);

            // The sending side alone: a receiver that only reads the bytes.
            await using (var sink = await DiscardingServer.StartAsync())
            {
                using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = sink.BaseAddress, Gzip = gzip });
                var options = new SluiceOptions { WireFormat = wire.Format(run.Collector.Credentials), FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromMinutes(1) };
                await Measure($"{format,-12} gzip={gzip,-5} discarding receiver", new SluiceEngine(options, transport), count);
            }

            // The reference collector, which parses, validates and keeps every event.
            await Measure($"{format,-12} gzip={gzip,-5} reference collector", run.Engine, count);
        }
    }

    private async Task Measure(string label, SluiceEngine engine, int count)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var result = i % 5 == 4
                ? engine.Page(null, "session-42", i, static (ref PropertiesWriter w, int s) => Page(ref w, s), name: "Home")
                : engine.Track("user-42", "feature_used", i, static (ref PropertiesWriter w, int s) => Track(ref w, s),
                    static (ref PropertiesWriter w, int _) => w.WriteString("group_id", "g-42"));
            Assert.Equal(EnqueueStatus.Accepted, result);
        }

        await engine.FlushAsync();
        clock.Stop();
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var counters = (await engine.ShutdownAsync()).Counters;
        Assert.Equal(count, counters.Delivered);
        output.WriteLine($"{label}: {count:N0} events in {clock.Elapsed.TotalSeconds:F2} s = {count / clock.Elapsed.TotalSeconds,9:N0} events/s delivered; " +
            $"{counters.BatchesDelivered:N0} requests, {(double)counters.BytesSealed / counters.EventsSealed:F0} B/event on the wire (uncompressed), " +
            $"{(double)bytes / count:F1} B allocated per event in the process (receiver included)");
    }

    private static void Track(ref PropertiesWriter w, int i)
    {
        w.WriteNumber("seq", i);
        w.WriteString("plan", (i & 1) == 0 ? "pro" : "free");
        w.WriteNumber("seats", 5 + (i % 50));
        w.WriteBoolean("trial", (i & 1) == 0);
        w.WriteNumber("duration_ms", 12.5 + (i % 100));
    }

    private static void Page(ref PropertiesWriter w, int i)
    {
        w.WriteNumber("seq", i);
        w.WriteString("page_url", "https://example.com/pricing");
        w.WriteString("page_name", "Pricing");
        w.WriteNumber("scroll_depth", i % 100);
        w.WriteBoolean("first_visit", (i & 1) == 0);
    }
}
