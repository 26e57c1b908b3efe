using Sluice.Collector;
using Sluice.Diagnostics;
using Sluice.Spooling;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>A server's <c>Retry-After</c> at real HTTP, on a manual clock: how long the engine waits before each retry, and which other batches wait with it.</summary>
public class RetryAfterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("0")]                             // a rate limiter rounding its wait (under a second) down
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")] // a date already past
    public async Task A_Retry_After_of_no_time_waits_the_backoff_instead_of_spending_every_attempt_at_once(string retryAfter)
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock, o =>
        {
            o.RetryBaseDelay = TimeSpan.FromSeconds(2); // the retries wait 1 s, then 2 s: half their bounds
            o.MaxSendAttempts = 3;
        });
        run.Collector.Faults.FailNext(2, 429, retryAfter);
        run.Produce(100, tracksOnly: true); // one full batch

        // Without a pause, the three attempts would all go out at once, and with one more 429 the batch would expire.
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(1)), "the wait before the first retry");
        Assert.Equal(1, run.CountStatus(429));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(2)), "the wait before the second retry");
        Assert.Equal(2, run.CountStatus(429));
        clock.Advance(TimeSpan.FromSeconds(2));

        var result = await run.FinishAsync();
        Assert.Equal((100, 0), (result.Counters.Delivered, result.Counters.Expired));
        Assert.Equal(["Retrying in 1000 ms", "Retrying in 2000 ms"],
            run.Of(DiagnosticKind.SendFailed).Select(d => d.Message[d.Message.IndexOf("Retrying in", StringComparison.Ordinal)..].Split(" (")[0].TrimEnd('.')));
        Assert.DoesNotContain(run.Of(DiagnosticKind.SendFailed), d => d.Message.Contains("Nothing is sent", StringComparison.Ordinal)); // no time: no hold
    }

    /// <summary>RFC 9110 §10.2.3: "how long the user agent ought to wait before making a follow-up request": the client, not the one request.</summary>
    [Fact]
    public async Task A_Retry_After_holds_every_batch_to_that_endpoint_not_only_the_one_answered()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock);
        run.Collector.Faults.FailNext(1, 429, "20");
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        // A second batch, and a sender free to send it: it waits for the rest of the 20 s too, rather than be refused.
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(20)) == 2, "the second batch waiting for the endpoint");
        Assert.Equal((1, 0), (run.CountStatus(429), run.CountStatus(200)));

        clock.Advance(TimeSpan.FromSeconds(19));
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(1)) == 2, "both waits, 1 s from their end");
        Assert.Equal(0, run.CountStatus(200));
        clock.Advance(TimeSpan.FromSeconds(1));

        var result = await run.FinishAsync();
        Assert.Equal((200, 0, 1), (result.Counters.Delivered, result.Counters.Expired, result.Counters.Retries)); // the held batch's wait is no retry
        Assert.Equal((1, 2), (run.CountStatus(429), run.CountStatus(200)));
        Assert.Contains(run.Of(DiagnosticKind.SendFailed), d => d.Message.Contains("Nothing is sent to /api/track until its Retry-After has passed.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Retry_After_from_one_endpoint_holds_no_other_endpoint()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock); // two senders: one waits to retry; the other sets the held endpoint's batches aside and goes on
        run.Collector.Faults.FailNext(1, 429, "20", api: CollectorApi.ThriveStackTrack);
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        // Four more batches of tracks (as many as are set aside for an endpoint with two senders), then one of pages
        // (every fifth event), which the senders reach while the tracks wait: a sender waiting with a track batch would not.
        run.Produce(500);
        var pages = run.Collector.Received(CollectorApi.ThriveStackPage);
        await Eventually.True(() => pages.CountStatus(200) == 1, "the pages, delivered at once");
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(20)) == 2, "the retry, and the tracks set aside");
        Assert.Equal((1, 0), (run.CountStatus(429), run.Collector.Received(CollectorApi.ThriveStackTrack).CountStatus(200)));

        clock.Advance(TimeSpan.FromSeconds(20));
        var tracks = run.Collector.Received(CollectorApi.ThriveStackTrack);
        await Eventually.True(() => tracks.CountStatus(200) == 5, "the tracks, once the hold has passed");

        // A second Retry-After later holds the endpoint again, and what is set aside then is sent when it passes.
        run.Collector.Faults.FailNext(1, 429, "10", api: CollectorApi.ThriveStackTrack);
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(10)), "the wait before the retry");
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(10)) == 2, "the retry, and the track set aside");
        Assert.Equal(5, tracks.CountStatus(200));
        clock.Advance(TimeSpan.FromSeconds(10));

        var result = await run.FinishAsync();
        Assert.Equal((800, 0), (result.Counters.Delivered, result.Counters.Expired));
        Assert.Equal((2, 7), (tracks.CountStatus(429), tracks.CountStatus(200)));
    }

    /// <summary>With one endpoint nothing is set aside: the senders wait with their batches, which pushes back on the queues.</summary>
    [Fact]
    public async Task With_one_endpoint_a_sender_waits_with_the_held_batch()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.Segment, clock);
        run.Collector.Faults.FailNext(1, 429, "20");
        run.Produce(100);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        run.Produce(500);
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(20)) == 2, "the retry, and the next batch with its sender");
        Assert.Equal(2, run.Engine.LiveDeliveryJobs); // the rest wait in the queues, none set aside
        clock.Advance(TimeSpan.FromSeconds(20));

        var result = await run.FinishAsync();
        Assert.Equal((600, 0), (result.Counters.Delivered, result.Counters.Expired));
    }

    /// <summary>
    /// A wait that ends after the shutdown's deadline cannot lead to a send: the retry, the batches set aside and the one its sender
    /// waits with are written off as soon as the shutdown begins (lost, or kept in the spool), not when the deadline passes, so a
    /// host's shutdown is not held for nothing. The clock never moves.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Batches_whose_Retry_After_outlasts_the_shutdown_deadline_are_lost_or_kept_in_the_spool_at_once(bool spool)
    {
        var clock = new ManualTimeProvider();
        using var directory = new TempDirectory();
        await using var run = await StartAsync(WireCase.ThriveStack, clock, o => // two senders: four batches of an endpoint set aside at most
        {
            if (spool)
                o.Spool = new SpoolOptions { DirectoryPath = directory.Path };
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        run.Collector.Faults.FailNext(1, 429, "20", api: CollectorApi.ThriveStackTrack);
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        // Five more batches: four set aside, and the fifth, beyond the bound, waits with the other sender.
        run.Produce(500, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Count(d => d == TimeSpan.FromSeconds(20)) == 3, "the retry, the four set aside, the fifth with its sender");
        Assert.Equal(6, run.Engine.LiveDeliveryJobs);

        var result = await run.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var c = result.Counters;

        Assert.True(result.TimedOut); // the deadline cut the drain short, before it passed
        Conservation.AssertBalanced(c);
        // A 429 is an answer: none reached the server. With the spool every event stays in it for the next start.
        Assert.Equal((600L, 0L, spool ? 0L : 600L, spool ? 600L : 0L), (c.Accepted, c.Delivered, c.LostAtShutdown, c.Spooled));
        Assert.Equal((1, 0), (run.CountStatus(429), run.CountStatus(200)));
        Assert.Equal(0, run.Engine.LiveDeliveryJobs);
    }

    /// <summary>A backoff that an answer during the shutdown would start, ending after its deadline: written off at once, not waited.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_backoff_outlasting_the_shutdown_deadline_writes_the_batch_off_at_once(bool spool)
    {
        var clock = new ManualTimeProvider();
        using var directory = new TempDirectory();
        await using var run = await StartAsync(WireCase.ThriveStack, clock, o =>
        {
            if (spool)
                o.Spool = new SpoolOptions { DirectoryPath = directory.Path };
            o.RetryBaseDelay = TimeSpan.FromSeconds(20); // the first retry waits 10 s: half its bound
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        run.Collector.Faults.FailNext(1, 503);
        run.Produce(50, tracksOnly: true); // sealed and sent by the shutdown

        var result = await run.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var c = result.Counters;

        Assert.True(result.TimedOut);
        Conservation.AssertBalanced(c);
        Assert.Equal((50L, 0L, spool ? 0L : 50L, spool ? 50L : 0L, 0L), (c.Accepted, c.Delivered, c.LostAtShutdown, c.Spooled, c.Retries));
        Assert.Equal((1, 0), (run.CountStatus(503), run.CountStatus(200)));
    }

    /// <summary>A retry whose wait ends before the shutdown's deadline is waited for, and delivers.</summary>
    [Fact]
    public async Task A_Retry_After_ending_before_the_shutdown_deadline_is_waited_out_by_the_shutdown()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock, o => o.ShutdownTimeout = TimeSpan.FromSeconds(21));
        run.Collector.Faults.FailNext(1, 429, "20", api: CollectorApi.ThriveStackTrack);
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        var shutdown = run.Engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(21)), "the shutdown deadline");
        Assert.False(shutdown.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(20));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.TimedOut);
        Assert.Equal((100L, 0L), (result.Counters.Delivered, result.Counters.LostAtShutdown));
        Assert.Equal((1, 1), (run.CountStatus(429), run.CountStatus(200)));
    }

    /// <summary>A retry whose wait ends exactly at the shutdown's deadline cannot come before it: written off at once. The clock never moves.</summary>
    [Fact]
    public async Task A_Retry_After_ending_exactly_at_the_shutdown_deadline_is_written_off_at_once()
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock, o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        run.Collector.Faults.FailNext(1, 429, "20", api: CollectorApi.ThriveStackTrack);
        run.Produce(100, tracksOnly: true);
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");

        var result = await run.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        Assert.Equal((0L, 100L), (result.Counters.Delivered, result.Counters.LostAtShutdown));
        Assert.Equal((1, 0), (run.CountStatus(429), run.CountStatus(200)));
    }

    /// <summary>
    /// RFC 9110 §15.5.14: a 413 with a Retry-After is a temporary condition. Split as too large, a lone event would be counted
    /// rejected and the endpoint's limit lowered below it for good; a batch would be bisected at once, into the same condition.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task A_413_with_a_Retry_After_is_waited_out_and_sent_again_whole_without_lowering_the_limit(int events)
    {
        var clock = new ManualTimeProvider();
        await using var run = await StartAsync(WireCase.ThriveStack, clock);
        run.Collector.Faults.FailNext(1, 413, "20");
        run.Produce(events, tracksOnly: true);
        var flush = run.Engine.FlushAsync(); // seals a batch short of 100 events

        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(20)), "the wait before the retry");
        Assert.Equal((1, 0), (run.CountStatus(413), run.CountStatus(200)));
        clock.Advance(TimeSpan.FromSeconds(20));
        await flush.WaitAsync(TimeSpan.FromSeconds(30));

        var result = await run.FinishAsync();
        Assert.Equal((events, 0L, 1L), (result.Counters.Delivered, result.Counters.RejectedByServer, result.Counters.Retries));
        Assert.Equal((1, 1), (run.CountStatus(413), run.CountStatus(200)));
        Assert.Empty(run.Of(DiagnosticKind.LimitLowered));
    }

    /// <summary>A run on <paramref name="clock"/>: batches of 100 events sealed for count only, two senders, jitter at half its bound, waits capped at 30 s.</summary>
    private Task<HttpRun> StartAsync(WireCase wire, ManualTimeProvider clock, Action<SluiceOptions>? configure = null)
        => HttpRun.StartAsync(wire, o =>
        {
            o.TimeProvider = clock;
            o.JitterRandom = new FixedRandom(0.5);
            o.RetryMaxDelay = TimeSpan.FromSeconds(30);
            o.MaxConcurrentSends = 2;
            o.MaxBatchEvents = 100;
            o.FlushInterval = TimeSpan.FromDays(1);
            configure?.Invoke(o);
        }, log: output.WriteLine);
}
