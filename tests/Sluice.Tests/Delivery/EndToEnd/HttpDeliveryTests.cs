using Sluice.Collector;
using Sluice.Delivery.Transports.Http;
using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// The engine, the HTTP transport and the reference collector over real HTTP on 127.0.0.1, for each
/// wire format: tens of thousands of events arrive exactly once and within the limits, and still do
/// under every fault the failure table of docs/delivery.md lists. Counters add up in every run.
/// </summary>
public class HttpDeliveryTests(ITestOutputHelper output)
{
    public static TheoryData<string> Formats => WireCase.Names;

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Tens_of_thousands_of_events_arrive_exactly_once_within_the_limits(string format)
    {
        // No linger while producing (a loaded machine could seal early): batches close on count or bytes, then the flush.
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), o => o.FlushInterval = TimeSpan.FromMinutes(1), log: output.WriteLine);
        run.Produce(20_000);
        run.Produce(3_000, largeEvery: 1, largeBytes: 3_000); // about 3 KB each: batches close on bytes, near 2 MB

        var result = await run.FinishAsync();
        Assert.Equal(23_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 23_000));
        var records = run.Wire.Apis.Select(run.Collector.Received).ToList();
        Assert.All(records.SelectMany(r => r.Requests), r => Assert.Equal(200, r.Status));
        Assert.Equal(run.Engine.Options.MaxBatchEvents, records.Max(r => r.MaxEventsPerRequest));
        Assert.InRange(records.Max(r => r.MaxBytesPerRequest), 2_097_152 - 10_000, 2_097_152); // closed for bytes: full to within one event
        Assert.Equal(0, result.Counters.Retries);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Gzip_bodies_arrive_compressed_and_the_limits_count_uncompressed_bytes(string format)
    {
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), o => o.FlushInterval = TimeSpan.FromMinutes(1), http: o => o.Gzip = true, log: output.WriteLine);
        run.Produce(10_000);
        run.Produce(1_500, largeEvery: 1);

        var result = await run.FinishAsync();
        Assert.Equal(11_500, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 11_500));
        var requests = run.Wire.Apis.SelectMany(api => run.Collector.Received(api).Requests).ToList();
        Assert.All(requests, r =>
        {
            Assert.True(r.Gzip);
            Assert.True(r.WireBytes < r.Bytes, $"{r.WireBytes} compressed vs {r.Bytes}");
        });
        Assert.InRange(requests.Max(r => r.Bytes), 2_097_152 - 10_000, 2_097_152);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_storm_of_500s_is_ridden_out_with_retries(string format)
    {
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), log: output.WriteLine);
        run.Collector.Faults.FailNext(40, 500);
        run.Produce(10_000);

        var result = await run.FinishAsync();
        Assert.Equal(10_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 10_000));
        Assert.Equal(40, run.CountStatus(500));
        Assert.Equal(40, result.Counters.Retries);
        Assert.Equal(0, run.Collector.Faults.Pending);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Too_many_requests_are_retried_after_the_servers_Retry_After(string format)
    {
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), o => o.RetryMaxDelay = TimeSpan.FromSeconds(2), log: output.WriteLine);
        run.Collector.Faults.FailNext(3, 429, retryAfter: "1");
        run.Produce(5_000);

        var result = await run.FinishAsync();
        Assert.Equal(5_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 5_000));
        Assert.Equal(3, run.CountStatus(429));
        Assert.Equal(3, run.Of(DiagnosticKind.SendFailed).Count(d => d.Message.Contains("failed: 429: Injected failure 429.", StringComparison.Ordinal) && d.Message.Contains("Retrying in 1000 ms", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Slow_answers_within_the_timeout_are_waited_for_and_answers_past_it_are_retried(string format)
    {
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), http: o => o.RequestTimeout = TimeSpan.FromSeconds(1), log: output.WriteLine);
        run.Collector.Faults.DelayNext(2, TimeSpan.FromMilliseconds(50));
        run.Collector.Faults.DelayNext(2, TimeSpan.FromSeconds(10));
        run.Produce(10_000);

        var result = await run.FinishAsync();
        Assert.Equal(10_000, result.Counters.Delivered);

        // The two held past the timeout were retried (a loaded machine may time out another one too).
        int timedOut = run.Of(DiagnosticKind.SendFailed).Count(d => d.Message.Contains("timed out after 1 s without an answer from", StringComparison.Ordinal));
        Assert.Equal(timedOut, result.Counters.Retries);
        Assert.InRange(timedOut, 2, 4);

        // A request the client gave up on may still have been processed: at-least-once. This collector stops
        // on the client's abort, so in practice each event arrives once; at most the timed-out batches' events twice.
        await run.AssertArrivedOnce(Enumerable.Range(0, 10_000), redeliveriesAllowed: timedOut * run.Engine.Options.MaxBatchEvents);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Dropped_connections_are_retried(string format)
    {
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), log: output.WriteLine);
        run.Collector.Faults.DropNext(5);
        run.Produce(10_000);

        var result = await run.FinishAsync();
        Assert.Equal(10_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 10_000)); // dropped before the body was read: nothing to redeliver
        Assert.Equal(5, run.CountStatus(0));
        Assert.InRange(result.Counters.Retries, 1, 5); // the handler may itself retry a request on a reused connection
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task One_poisoned_event_in_a_full_batch_is_isolated_and_the_other_999_are_delivered(string format)
    {
        // No linger while producing: a loaded machine could seal the batch before it is full.
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), o => o.FlushInterval = TimeSpan.FromMinutes(1), log: output.WriteLine);
        run.Collector.Faults.RejectEventsContaining("POISON");
        run.Produce(1_000, poison: seq => seq == 637, tracksOnly: true);

        var result = await run.FinishAsync();
        Assert.Equal(999, result.Counters.Delivered);
        Assert.Equal(1, result.Counters.RejectedByServer);
        await run.AssertArrivedOnce(Enumerable.Range(0, 1_000).Where(s => s != 637));

        var rejected = Assert.Single(run.Of(DiagnosticKind.EventRejected));
        Assert.Contains("\"seq\":637", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("it contains \"POISON\"", rejected.Message, StringComparison.Ordinal); // the server's own message
        var record = run.Collector.Received(run.Wire.TrackApi);
        Assert.Equal(1_000, record.Requests[0].Events); // the batch was full
        Assert.InRange(run.CountStatus(400), 10, 2 * 10); // a path down the bisection tree: about log2(1000) refusals
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_401_pauses_the_endpoint_until_the_key_is_fixed_and_nothing_is_lost(string format)
    {
        var wire = WireCase.Get(format);
        await using var run = await HttpRun.StartAsync(wire, log: output.WriteLine);
        run.Collector.Faults.RequireCredential(wire.TrackApi, "rotated-secret");
        run.Produce(5_000);
        await Eventually.True(() => run.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        await Eventually.True(() => run.Of(DiagnosticKind.SendFailed).Any(d => d.Message.Contains("refused again", StringComparison.Ordinal)), "a refused probe");
        Assert.Equal(0, run.Collector.Received(wire.TrackApi).EventCount);

        run.Transport.Authentication = wire.Authentication(run.Collector.Credentials); // the fixed key
        var result = await run.FinishAsync();

        Assert.Equal(5_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 5_000));
        Assert.True(run.CountStatus(401) >= 2);
        var paused = Assert.Single(run.Of(DiagnosticKind.EndpointPaused));
        Assert.Contains("401", paused.Message, StringComparison.Ordinal);
        Assert.NotEmpty(run.Of(DiagnosticKind.EndpointResumed));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_413_from_a_proxy_with_a_lower_limit_splits_batches_and_lowers_the_limit(string format)
    {
        const int proxyLimit = 100_000;
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), log: output.WriteLine);
        run.Collector.Faults.SetProxyBodyLimit(proxyLimit);
        run.Produce(10_000);

        var result = await run.FinishAsync();
        Assert.Equal(10_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 10_000));
        var requests = run.Wire.Apis.SelectMany(api => run.Collector.Received(api).Requests).ToList();
        Assert.All(requests.Where(r => r.Status == 200), r => Assert.InRange(r.WireBytes, 1, proxyLimit));

        // The first full batches are refused; once the limit is lowered the rest are sealed small enough.
        int refused = requests.Count(r => r.Status == 413);
        Assert.InRange(refused, 1, 2 * run.Wire.Apis.Length * (run.Engine.Options.MaxConcurrentSends + 2));
        Assert.True(requests[^1].Status == 200);
        Assert.NotEmpty(run.Of(DiagnosticKind.LimitLowered));
    }

    [Fact]
    public async Task ThriveStack_track_and_page_carry_their_own_credentials_and_a_page_key_failure_leaves_track_flowing()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, log: output.WriteLine);
        run.Collector.Faults.RequireCredential(CollectorApi.ThriveStackPage, "new-page-key");
        run.Produce(2_000);
        await Eventually.True(() => run.Collector.Received(CollectorApi.ThriveStackTrack).EventCount == 1_600, "the track events");
        Assert.Equal(0, run.Collector.Received(CollectorApi.ThriveStackPage).EventCount);

        run.Transport.Authentication = HttpAuthentication.ThriveStack(run.Collector.Credentials.TrackToken, "new-page-key");
        var result = await run.FinishAsync();
        Assert.Equal(2_000, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, 2_000));
        Assert.Equal(0, run.Collector.Received(CollectorApi.ThriveStackTrack).CountStatus(401));
    }

    [Fact]
    public async Task A_page_key_refused_for_many_batches_leaves_track_flowing_and_expires_the_pages_beyond_those_held()
    {
        // Small batches: far more page batches than a paused endpoint holds (2 × MaxConcurrentSends).
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o => o.MaxBatchEvents = 10, log: output.WriteLine);
        run.Collector.Faults.RequireCredential(CollectorApi.ThriveStackPage, "new-page-key");
        run.Produce(2_000); // 400 pages, in 40 batches or more
        await Eventually.True(() => run.Collector.Received(CollectorApi.ThriveStackTrack).EventCount == 1_600, "the track events");
        Assert.Equal(0, run.Collector.Received(CollectorApi.ThriveStackPage).EventCount);

        run.Transport.Authentication = HttpAuthentication.ThriveStack(run.Collector.Credentials.TrackToken, "new-page-key");
        var result = await run.FinishAsync();
        int pagesDelivered = run.Collector.Received(CollectorApi.ThriveStackPage).EventCount;
        Assert.InRange(result.Counters.Expired, 1, 400 - 10);
        Assert.Equal(2_000, result.Counters.Delivered + result.Counters.Expired);
        Assert.Equal(1_600 + pagesDelivered, result.Counters.Delivered);
        Assert.All(run.Of(DiagnosticKind.BatchFailed), d => Assert.Contains("/api/page", d.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_warnings_reach_diagnostics_with_the_response_id()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, log: output.WriteLine);
        run.Collector.Faults.WarnNext(1, "page_url is not a URL", CollectorApi.ThriveStackPage);
        run.Produce(10);

        await run.FinishAsync();
        var warning = Assert.Single(run.Of(DiagnosticKind.ServerWarning));
        Assert.Contains("page_url is not a URL", warning.Message, StringComparison.Ordinal);
        Assert.Matches("response_id [0-9a-f-]{36}", warning.Message);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_2xx_whose_reply_breaks_off_mid_body_counts_delivered_once_and_says_so(string format)
    {
        // The server decided (200) and kept the events; only its reply's body was cut. Sent again, they would arrive twice.
        await using var run = await HttpRun.StartAsync(WireCase.Get(format), o => o.MaxBatchEvents = 100, log: output.WriteLine);
        run.Collector.Faults.CutAnswerNext(3);
        run.Produce(1_000);

        var result = await run.FinishAsync();
        Assert.Equal(0, run.Collector.Faults.Pending);
        Assert.Equal(1_000, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.Retries);
        await run.AssertArrivedOnce(Enumerable.Range(0, 1_000));
        var cut = run.Of(DiagnosticKind.ServerWarning).ToList();
        Assert.Equal(3, cut.Count);
        Assert.All(cut, d => Assert.Contains("the reply's body could not be read to its end", d.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_200_with_success_false_is_not_counted_delivered_but_retried()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, log: output.WriteLine);
        run.Collector.Faults.FailNext(2, 200, api: CollectorApi.ThriveStackTrack, message: "Failed to track the event(s) due to an error.");
        run.Produce(100);

        var result = await run.FinishAsync();
        Assert.Equal(100, result.Counters.Delivered);
        Assert.Equal(2, result.Counters.Retries);
        await run.AssertArrivedOnce(Enumerable.Range(0, 100));
        Assert.Equal(2, run.Of(DiagnosticKind.SendFailed).Count(d => d.Message.Contains("success: false", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_server_that_never_recovers_expires_the_batches_and_says_so()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o => o.MaxSendAttempts = 3, log: output.WriteLine);
        run.Collector.Faults.FailNext(1_000, 503);
        run.Produce(2_500, tracksOnly: true);

        var result = await run.FinishAsync();
        Assert.Equal(2_500, result.Counters.Expired);
        Assert.Equal(0, result.Counters.Delivered);
        Assert.Equal(3 * result.Counters.BatchesSealed, run.CountStatus(503));
        Assert.Equal(2_500, run.Of(DiagnosticKind.BatchFailed).Sum(d => d.EventCount));
    }

    [Fact]
    public async Task The_shutdown_deadline_counts_what_a_dead_endpoint_still_holds_and_reports_it()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300), log: output.WriteLine);
        run.Collector.Faults.FailNext(100_000, 503);
        run.Produce(1_500, tracksOnly: true);

        var result = await run.Engine.ShutdownAsync();
        output.WriteLine($"lost at the deadline: {result.LostAtShutdown}, outcome unknown {result.OutcomeUnknown} (timed out: {result.TimedOut}); retries {result.Counters.Retries}, 503 answers {run.CountStatus(503)}");
        Assert.True(result.TimedOut);
        Assert.Equal(1_500, result.LostAtShutdown + result.OutcomeUnknown); // a request may be in flight at the deadline
        Conservation.AssertBalanced(result.Counters);
        Assert.All(run.Of(DiagnosticKind.ShutdownLoss), d => Assert.Contains("503: Injected failure 503.", d.Message, StringComparison.Ordinal));
    }
}
