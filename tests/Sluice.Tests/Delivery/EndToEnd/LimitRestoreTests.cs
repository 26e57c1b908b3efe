using Sluice.Collector;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// A limit a 413 lowered comes back, at real HTTP on a manual clock: a short episode of 413s (a proxy briefly misconfigured)
/// must not shrink an endpoint's batches for the engine's life.
/// </summary>
public class LimitRestoreTests(ITestOutputHelper output)
{
    private const int ProxyLimit = 10_000; // a third or so of a batch of 100 events

    [Fact]
    public async Task A_delivery_once_the_interval_has_passed_since_the_413_restores_the_configured_limit_and_batches_grow_back()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(clock);
        await RefuseAsync(run);

        clock.Advance(DeliveryPolicy.LimitRestoreInterval);
        await SendAsync(run, 1); // the delivery that restores it
        Assert.Equal(
            $"/api/track has refused no body as too large for 10 minutes or more: that endpoint's batch byte limit is restored from {Lowered(run)} to {2_097_152:N0}. Should it refuse one again, the limit is lowered again.",
            Assert.Single(run.Of(DiagnosticKind.LimitRestored)).Message);

        var whole = Assert.Single(await SendAsync(run, 100));
        Assert.Equal((200, 100), (whole.Status, whole.Events));
        Assert.True(whole.Bytes > ProxyLimit, $"{whole.Bytes} bytes");
        await run.FinishAsync();
    }

    [Fact]
    public async Task Deliveries_before_the_interval_has_passed_leave_the_limit_lowered()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(clock);
        await RefuseAsync(run);

        clock.Advance(DeliveryPolicy.LimitRestoreInterval - TimeSpan.FromSeconds(1));
        var parts = await SendAsync(run, 100);
        Assert.True(parts.Count > 1, $"{parts.Count} request(s)");
        Assert.All(parts, r => Assert.Equal(200, r.Status));
        Assert.All(parts, r => Assert.InRange(r.Bytes, 1, ProxyLimit));
        Assert.Empty(run.Of(DiagnosticKind.LimitRestored));

        clock.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(run, 1);
        Assert.Single(run.Of(DiagnosticKind.LimitRestored));
        await run.FinishAsync();
    }

    [Fact]
    public async Task A_413_after_the_limit_was_restored_lowers_it_again()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(clock);
        await RefuseAsync(run);
        int firstLowerings = run.Of(DiagnosticKind.LimitLowered).Count();
        clock.Advance(DeliveryPolicy.LimitRestoreInterval);
        await SendAsync(run, 1);
        Assert.Single(run.Of(DiagnosticKind.LimitRestored));

        // The proxy limits again: the full batch is refused, and the batches after it are sealed small enough at once.
        await RefuseAsync(run);
        Assert.True(run.Of(DiagnosticKind.LimitLowered).Count() > firstLowerings);
        var parts = await SendAsync(run, 100);
        Assert.True(parts.Count > 1, $"{parts.Count} request(s)");
        Assert.All(parts, r => Assert.Equal(200, r.Status));
        Assert.Single(run.Of(DiagnosticKind.LimitRestored));
        await run.FinishAsync();
    }

    /// <summary>One full batch through a proxy refusing bodies over <see cref="ProxyLimit"/>: it is split and delivered, the limit lowered; then the proxy is fixed.</summary>
    private static async Task RefuseAsync(HttpRun run)
    {
        run.Collector.Faults.SetProxyBodyLimit(ProxyLimit);
        var requests = await SendAsync(run, 100);
        Assert.Equal(413, requests[0].Status);
        Assert.Equal(100, requests.Where(r => r.Status == 200).Sum(r => r.Events));
        Assert.NotEmpty(run.Of(DiagnosticKind.LimitLowered));
        run.Collector.Faults.SetProxyBodyLimit(null);
    }

    /// <summary>Sends <paramref name="count"/> events and waits for them: the requests the server received for them.</summary>
    private static async Task<List<RequestRecord>> SendAsync(HttpRun run, int count)
    {
        int before = Requests(run).Count;
        run.Produce(count, tracksOnly: true);
        await run.Engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return Requests(run).Skip(before).ToList(); // recorded before they were answered
    }

    private static List<RequestRecord> Requests(HttpRun run) => run.Wire.Apis.SelectMany(api => run.Collector.Received(api).Requests).ToList();

    /// <summary>The limit the last <see cref="DiagnosticKind.LimitLowered"/> set, as its message gives it.</summary>
    private static string Lowered(HttpRun run)
    {
        string message = run.Of(DiagnosticKind.LimitLowered).Last().Message;
        return message[(message.LastIndexOf(" to ", StringComparison.Ordinal) + 4)..^1];
    }

    private Task<HttpRun> StartAsync(ManualTimeProvider clock)
        => HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.TimeProvider = clock;
            o.JitterRandom = new FixedRandom(0.5);
            o.MaxConcurrentSends = 2;
            o.MaxBatchEvents = 100;
            o.FlushInterval = TimeSpan.FromDays(1);
        }, log: output.WriteLine);
}
