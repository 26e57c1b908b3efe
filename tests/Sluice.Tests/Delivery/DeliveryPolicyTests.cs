using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>The failure table of docs/delivery.md, driven through the engine with scripted answers and a manual clock.</summary>
public class DeliveryPolicyTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Transient_failures_are_retried_with_jittered_exponential_backoff_until_delivered()
    {
        await using var h = new PolicyHarness(a => a.Number < 3 ? SendResult.Retry("busy", statusCode: 503) : SendResult.Delivered);
        h.Track(10);

        // Full jitter with the draw pinned at 0.5: half of 100 ms × 2^(n−1).
        await h.PassWait(50 * Ms);
        await h.PassWait(100 * Ms);
        await h.PassWait(200 * Ms);
        await Eventually.True(() => h.Transport.AttemptCount == 4, "the fourth attempt");

        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Delivered);
        Assert.Equal(3, result.Counters.Retries);
        Assert.Equal(1, result.Counters.BatchesDelivered);
        Assert.Single(h.Transport.Attempts.Select(a => a.Text).Distinct()); // the same body every time
        Assert.Equal(3, h.Of(DiagnosticKind.SendFailed).Count());
    }

    [Theory]
    [InlineData(7_000, 7_000)]        // honoured exactly, no jitter
    [InlineData(3_600_000, 10_000)]   // capped at RetryMaxDelay
    [InlineData(20, 50)]              // shorter than the backoff (50 ms: half the first bound): the backoff
    [InlineData(0, 50)]               // "now" (a rate limiter rounding down): the backoff, not every attempt at once
    public async Task Retry_After_is_the_least_wait_and_capped(int askedMs, int waitedMs)
    {
        await using var h = new PolicyHarness(a => a.Number == 0 ? SendResult.Retry("slow down", TimeSpan.FromMilliseconds(askedMs), 429) : SendResult.Delivered);
        h.Track(10);
        await h.PassWait(TimeSpan.FromMilliseconds(waitedMs));
        await Eventually.True(() => h.Transport.AttemptCount == 2, "the retry");

        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Delivered);
        Assert.Equal(1, result.Counters.Retries);
    }

    [Fact]
    public async Task A_batch_out_of_attempts_is_counted_expired()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 500), o => o.MaxSendAttempts = 3);
        h.Track(25); // two full batches and a partial one, flushed below

        var flush = h.Engine.FlushAsync();
        for (int batch = 0; batch < 3; batch++)
        {
            await h.PassWait(50 * Ms);
            await h.PassWait(100 * Ms);
        }

        await flush; // a flush completes when the batches are settled, expired included
        var result = await h.ShutdownAsync();
        Assert.Equal(25, result.Counters.Expired);
        Assert.Equal(0, result.Counters.Delivered);
        Assert.Equal(9, h.Transport.AttemptCount);
        Assert.Equal(6, result.Counters.Retries);
        Assert.All(h.Of(DiagnosticKind.BatchFailed), d => Assert.Contains("after 3 attempts", d.Message, StringComparison.Ordinal));
        Assert.Equal(25, h.Of(DiagnosticKind.BatchFailed).Sum(d => d.EventCount));
    }

    [Fact]
    public async Task A_batch_out_of_time_is_counted_expired_without_a_last_pointless_wait()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o => o.RetryBudget = TimeSpan.FromSeconds(1));
        h.Track(10);

        // Waits of 50, 100, 200, 400 ms reach 750 ms; the next (800 ms) would end past the 1 s budget.
        await h.PassWait(50 * Ms);
        await h.PassWait(100 * Ms);
        await h.PassWait(200 * Ms);
        await h.PassWait(400 * Ms);
        await Eventually.True(() => h.Engine.GetCounters().Expired == 10, "the batch to expire");

        Assert.Empty(h.Waits);
        var result = await h.ShutdownAsync();
        Assert.Equal(5, h.Transport.AttemptCount);
        Assert.Equal(4, result.Counters.Retries);
        Assert.Contains("retry budget", Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_default_retry_settings_an_outage_is_retried_until_the_budget_not_cut_short_by_the_attempts()
    {
        var defaults = new SluiceOptions();
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o =>
        {
            (o.MaxSendAttempts, o.RetryBudget, o.RetryBaseDelay, o.RetryMaxDelay) =
                (defaults.MaxSendAttempts, defaults.RetryBudget, defaults.RetryBaseDelay, defaults.RetryMaxDelay);
        });
        h.Track(10);

        // Half of each bound (a fixed draw), doubling from 500 ms to the 30 s cap: the eighth attempt comes at 30.75 s, where
        // 8 attempts used to end the batch; the thirteenth at 105.75 s, and the next (at 120.75 s) would pass the 2-minute budget.
        foreach (int ms in (int[])[250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000])
            await h.PassWait(TimeSpan.FromMilliseconds(ms));
        await Eventually.True(() => h.Engine.GetCounters().Expired == 10, "the batch to expire");

        var result = await h.ShutdownAsync();
        Assert.Equal((13, 12L), (h.Transport.AttemptCount, result.Counters.Retries));
        Assert.Contains("retry budget", Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_retry_budget_counts_from_the_first_attempt_even_on_a_clock_whose_timestamps_start_at_zero()
    {
        // A TimeProvider may count its timestamps from zero (this one: DateTimeOffset.MinValue's ticks). Attempts at 0, 50,
        // 150, 350 and 750 ms; the next wait (800 ms) would end at 1,550 ms, past the 1.5 s budget from the first attempt.
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o => o.RetryBudget = TimeSpan.FromMilliseconds(1_500),
            start: DateTimeOffset.MinValue);
        Assert.Equal(0, h.Clock.GetTimestamp());
        h.Track(10);

        await h.PassWait(50 * Ms);
        await h.PassWait(100 * Ms);
        await h.PassWait(200 * Ms);
        await h.PassWait(400 * Ms);
        await Eventually.True(() => h.Engine.GetCounters().Expired == 10 || h.Waits.Count > 0, "the batch to expire, or another wait");

        Assert.Empty(h.Waits);
        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Expired);
        Assert.Equal(5, h.Transport.AttemptCount);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_budget_expires_the_batch_at_once()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("later", TimeSpan.FromSeconds(5), 429), o => o.RetryBudget = TimeSpan.FromSeconds(2));
        h.Track(10);
        await Eventually.True(() => h.Engine.GetCounters().Expired == 10, "the batch to expire");

        var result = await h.ShutdownAsync();
        Assert.Equal(1, h.Transport.AttemptCount);
        Assert.Equal(0, result.Counters.Retries);

        // After one attempt and no time at all, "out of budget" needs its reason: the wait the server asked for.
        string message = Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message;
        Assert.Contains("its retry budget of 00:00:02 would be exceeded by the next wait of 5 s (Retry-After: 5 s)", message, StringComparison.Ordinal);
        Assert.Contains("last failure: 429: later", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Retry_After_above_the_maximum_delay_is_named_with_its_cap()
    {
        await using var h = new PolicyHarness(a => a.Number == 0 ? SendResult.Retry("slow down", TimeSpan.FromHours(1), 429) : SendResult.Delivered);
        h.Track(10);
        await h.PassWait(TimeSpan.FromSeconds(10));
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 10, "the retry");

        await h.ShutdownAsync();
        Assert.Contains("429: slow down. Retrying in 10000 ms (Retry-After: 3600 s, capped at RetryMaxDelay).",
            Assert.Single(h.Of(DiagnosticKind.SendFailed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_400_is_bisected_down_to_the_poisoned_events_and_the_rest_is_delivered()
    {
        int[] poisoned = [0, 417, 418, 999];
        await using var h = new PolicyHarness(
            a => a.Contains("poison") ? SendResult.Rejected("Bad Request, invalid input data") : SendResult.Delivered,
            o => o.MaxBatchEvents = 1_000);
        h.Track(1_000, mark: i => poisoned.Contains(i));

        await h.Engine.FlushAsync(); // completes once every part of the batch is settled
        var counters = h.Engine.GetCounters();
        Assert.Equal(996, counters.Delivered);
        Assert.Equal(4, counters.RejectedByServer);

        var result = await h.ShutdownAsync();
        var delivered = h.DeliveredUsers();
        Assert.Equal(996, delivered.Count);
        Assert.Equal(Enumerable.Range(0, 1_000).Except(poisoned).Select(i => $"u-{i}").Order(), delivered.Order());

        // One report per bad event, naming and quoting it and giving the server's message.
        var rejected = h.Of(DiagnosticKind.EventRejected).ToList();
        Assert.Equal(poisoned.Length, rejected.Count);
        Assert.All(poisoned, i => Assert.Single(rejected, d => d.Message.Contains($"\"poison-{i}\"", StringComparison.Ordinal)
            && d.Message.Contains($"event {i} of batch 0 to /api/track, sent alone: 400: Bad Request, invalid input data", StringComparison.Ordinal)));
        Assert.All(rejected, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Equal("The server rejected batch 0 to /api/track (1000 events): 400: Bad Request, invalid input data. Bisecting it: the valid events are delivered, " +
            "and an event is counted rejected only when refused alone.", Assert.Single(h.Of(DiagnosticKind.SendFailed)).Message);

        // The exact cost of the bisection, within the documented bound (2 log2(n) requests or so per bad event, not n).
        Assert.Equal(BisectionModel.Requests(1_000, poisoned.Contains), h.Transport.AttemptCount);
        Assert.InRange(h.Transport.AttemptCount, 1, DeliveryPolicy.BisectionBound(1_000, poisoned.Length));
        Assert.Equal(0, result.Counters.Retries);
    }

    [Fact]
    public void Bisection_Meets_Specification()
    {
        var property = Prop.ForAll(
            ArbMap.Default.ArbFor<(PositiveInt, int[])>(),
            input =>
            {
                int n = 1 + (input.Item1.Get % 150);
                var bad = input.Item2.Select(x => Math.Abs(x % n)).ToHashSet();
                RunBisection(n, bad).GetAwaiter().GetResult();
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    [Fact]
    public async Task A_server_rejecting_every_event_has_each_one_refused_alone_in_2n_minus_1_requests()
    {
        // Regression: past 8 isolated invalid events a "mostly invalid" batch was counted rejected whole, valid events included.
        await using var h = new PolicyHarness(_ => SendResult.Rejected("schema mismatch"), o => o.MaxBatchEvents = 1_000);
        h.Track(1_000);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(1_000, result.Counters.RejectedByServer);
        Assert.Equal(1_000, h.Of(DiagnosticKind.EventRejected).Count(d => d.EventCount == 1));
        Assert.Equal(1_000, h.Transport.Attempts.Count(a => a.Batch.EventCount == 1)); // every event was refused alone
        Assert.Equal(1_999, h.Transport.AttemptCount);                                  // each part of the tree sent once
        Assert.Equal(DeliveryPolicy.BisectionBound(1_000, 1_000), h.Transport.AttemptCount);
    }

    [Fact]
    public async Task Clustered_poison_is_bisected_until_every_valid_event_is_delivered()
    {
        // The first 30 events and every 500th invalid: a batch that looks mostly invalid still has its valid events delivered.
        static bool Invalid(int i) => i < 30 || i % 500 == 0;
        await using var h = new PolicyHarness(a => a.Contains("poison") ? SendResult.Rejected("invalid") : SendResult.Delivered, o => o.MaxBatchEvents = 1_000);
        h.Track(3_000, mark: Invalid);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        int invalid = Enumerable.Range(0, 3_000).Count(Invalid);
        Assert.Equal(invalid, result.Counters.RejectedByServer);
        Assert.Equal(3_000 - invalid, result.Counters.Delivered);
        Assert.Equal(Enumerable.Range(0, 3_000).Where(i => !Invalid(i)).Select(i => $"u-{i}").Order(), h.DeliveredUsers().Order());
        Assert.Equal(BisectionModel.Requests(3_000, 1_000, Invalid), h.Transport.AttemptCount);
        long bound = Enumerable.Range(0, 3).Sum(b => DeliveryPolicy.BisectionBound(1_000, Enumerable.Range(b * 1_000, 1_000).Count(Invalid)));
        Assert.InRange(h.Transport.AttemptCount, 1, bound);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(16)]
    public void BisectionBound_Meets_Specification(int n)
    {
        // Every placement of invalid events costs at most the bound; the bound is reached for one invalid event
        // and for all, and for every k when n is a power of two.
        var worst = new long[n + 1];
        for (int mask = 0; mask < 1 << n; mask++)
        {
            int k = System.Numerics.BitOperations.PopCount((uint)mask);
            int requests = BisectionModel.Requests(n, i => (mask & (1 << i)) != 0);
            Assert.True(requests <= DeliveryPolicy.BisectionBound(n, k), $"n={n}, mask={mask:b}: {requests} requests, bound {DeliveryPolicy.BisectionBound(n, k)}");
            worst[k] = Math.Max(worst[k], requests);
        }

        Assert.Equal(1, DeliveryPolicy.BisectionBound(n, 0));
        Assert.Equal(DeliveryPolicy.BisectionBound(n, 1), worst[1]);
        Assert.Equal(DeliveryPolicy.BisectionBound(n, n), worst[n]);
        Assert.Equal((2L * n) - 1, worst[n]);
        if (System.Numerics.BitOperations.IsPow2(n))
            Assert.All(Enumerable.Range(0, n + 1), k => Assert.Equal(DeliveryPolicy.BisectionBound(n, k), worst[k]));
    }

    [Theory]
    [InlineData(1_000, 1, 21)]       // 1 + 2 × 10
    [InlineData(1_000, 2, 39)]       // 1 + 2 × (1 + 2 × 9)
    [InlineData(1_000, 31, 1 + (2 * (1 + 2 + 4 + 8 + 16 + (31 * 5))))]
    [InlineData(1_000, 1_000, 1_999)]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1, 3)]
    [InlineData(1_024, 1, 21)]
    [InlineData(1_025, 1, 23)]
    public void The_bisection_bound_is_as_documented(int n, int k, long requests) => Assert.Equal(requests, DeliveryPolicy.BisectionBound(n, k));

    [Fact]
    public void The_bisection_bound_needs_a_batch_and_a_count_of_invalid_events()
    {
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => DeliveryPolicy.BisectionBound(0, 0)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => DeliveryPolicy.BisectionBound(1, -1)).ParamName);
    }

    [Fact]
    public async Task A_413_splits_the_batch_and_lowers_the_partition_limit_for_later_batches()
    {
        const int proxyLimit = 20_000;
        await using var h = new PolicyHarness(
            a => a.Batch.Body.Length > proxyLimit ? SendResult.TooLarge("Request Entity Too Large") : SendResult.Delivered,
            o =>
            {
                o.MaxBatchEvents = 1_000;
                o.MaxBatchBytes = 64 * 1024;
            });
        h.Track(3_000);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(3_000, result.Counters.Delivered);
        Assert.Equal(Enumerable.Range(0, 3_000).Select(i => $"u-{i}").Order(), h.DeliveredUsers().Order());
        Assert.All(h.Transport.Delivered, b => Assert.InRange(b.Body.Length, 1, proxyLimit));

        // The limit went down once or twice, after which nothing more was refused: the later batches were sealed small.
        int refusals = h.Transport.Attempts.Count(a => a.Result.Outcome == SendOutcome.TooLarge);
        Assert.InRange(refusals, 1, 3);
        Assert.Equal(refusals, h.Of(DiagnosticKind.LimitLowered).Count());
        Assert.Equal(h.Transport.Delivered.Count, h.Transport.AttemptCount - refusals);
        Assert.True(h.Transport.Attempts[^1].Batch.Body.Length <= proxyLimit);
    }

    [Fact]
    public async Task An_event_too_large_for_the_server_even_alone_is_rejected_and_the_rest_delivered()
    {
        await using var h = new PolicyHarness(a => a.Batch.Body.Length > 600 ? SendResult.TooLarge("too large") : SendResult.Delivered);
        h.Engine.Track("big", "e", new Dictionary<string, object?> { ["blob"] = new string('x', 1_000) });
        h.Track(9);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(1, result.Counters.RejectedByServer);
        Assert.Equal(9, result.Counters.Delivered);
        Assert.Contains("as too large even alone: 413: too large", Assert.Single(h.Of(DiagnosticKind.EventRejected)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_401_pauses_only_its_endpoint_keeps_its_events_and_resumes_when_a_probe_is_accepted()
    {
        bool authorized = false;
        await using var h = new PolicyHarness(
            a => a.Batch.EndpointPath == "/api/track" && !Volatile.Read(ref authorized) ? SendResult.Unauthorized("Access token missing or invalid") : SendResult.Delivered,
            o => o.MaxConcurrentSends = 2);
        h.Track(30); // three track batches
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        for (int i = 0; i < 20; i++)
            h.Engine.Page(null, $"s-{i}");
        _ = h.Engine.FlushAsync();

        // Pages flow while track is paused; the probe is due in [½, 1) × the interval: 45 s with the draw at 0.5.
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 20, "the pages");
        Assert.DoesNotContain(h.Transport.Delivered, b => b.EndpointPath == "/api/track");
        var paused = Assert.Single(h.Of(DiagnosticKind.EndpointPaused));
        Assert.Contains("/api/track", paused.Message, StringComparison.Ordinal);
        Assert.Contains("401: Access token missing or invalid", paused.Message, StringComparison.Ordinal);
        await h.PassWait(TimeSpan.FromSeconds(45));

        // Refused again: the interval doubles (ceiling 2 min, so 90 s).
        await Eventually.True(() => h.Of(DiagnosticKind.SendFailed).Any(d => d.Message.Contains("refused again", StringComparison.Ordinal)), "the second refusal");
        Volatile.Write(ref authorized, true);
        await h.PassWait(TimeSpan.FromSeconds(90));
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 50, "every event after the resume");

        var result = await h.ShutdownAsync();
        Assert.Single(h.Of(DiagnosticKind.EndpointResumed));
        Assert.Equal(2, result.Counters.Retries); // the two probes
        var tracked = h.Transport.Delivered.Where(b => b.EndpointPath == "/api/track").SelectMany(BatchJson.Events).Select(e => e.GetProperty("user_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"u-{i}").Order(), tracked.Order());
    }

    [Fact]
    public async Task Events_of_a_paused_endpoint_whose_next_probe_comes_after_the_shutdown_deadline_are_counted_lost_at_once()
    {
        await using var h = new PolicyHarness(
            a => a.Batch.EndpointPath == "/api/track" ? SendResult.Unauthorized("revoked", 403) : SendResult.Delivered,
            o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        h.Track(30);
        h.Engine.Page(null, "s-1");
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");

        // The probe is due in about a minute, after the deadline: nothing more can be sent there, and the clock never moves.
        // Shutdown sealed the page's batch: its endpoint is not paused, so it goes out.
        var result = await h.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        Assert.Equal(30, result.LostAtShutdown);
        Assert.Equal(1, result.Counters.Delivered);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task A_batch_waiting_to_retry_at_the_deadline_is_counted_lost_and_the_caller_told_how_many()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        h.Track(15); // one full batch waiting to retry, five events in the open batch
        await h.PassWait(50 * Ms);

        var shutdown = h.Engine.ShutdownAsync();
        await Eventually.True(() => h.Clock.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the deadline timer");
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown;

        Assert.True(result.TimedOut);
        Assert.Equal(15, result.LostAtShutdown);
        Assert.Equal(15, result.Counters.LostAtShutdown);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task Retries_hold_no_more_than_the_bounded_queues_and_the_full_mode_applies_upstream_counted()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o =>
        {
            o.QueueCapacity = 64;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });

        // The sender waits to retry (the clock does not move): the sealed-batch queue fills, then the event
        // queue; from then on Track refuses at once (drop newest), counted. It never blocks the caller.
        int refused = 0;
        for (int i = 0; i < 2_000; i++)
        {
            if (h.Engine.Track($"u-{i}", "e") == EnqueueStatus.QueueFull)
                refused++;
        }

        var counters = h.Engine.GetCounters();
        Assert.Equal(refused, counters.RefusedQueueFull);
        Assert.Equal(2_000, counters.Accepted + counters.RefusedQueueFull);

        // Held: 64 in the event queue, one batch with the sender, two queued, one waiting to be handed over, the open one.
        Assert.InRange(counters.Accepted, 64, 64 + (5 * 10));

        var shutdown = h.Engine.ShutdownAsync();
        await Eventually.True(() => h.Clock.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the deadline timer");
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown;
        Assert.Equal(counters.Accepted, result.LostAtShutdown);
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, h.Engine.HeldBatchBodies); // the batch the serializer was handing over is released too
    }

    [Fact]
    public async Task A_permanent_failure_is_counted_failed_and_not_retried()
    {
        await using var h = new PolicyHarness(_ => SendResult.Failed("Not Found", 404));
        h.Track(10);
        await Eventually.True(() => h.Engine.GetCounters().Failed == 10, "the failure");

        var result = await h.ShutdownAsync();
        Assert.Equal(1, h.Transport.AttemptCount);
        Assert.Contains("404", Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message, StringComparison.Ordinal);
        Assert.Equal(0, result.Counters.Retries);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_transport_returning_a_result_with_no_outcome_fails_the_events_saying_why_never_counts_them_delivered(bool viaConstructor)
    {
        // A transport bug: default(SendResult), or new SendResult() with only a message set.
        await using var h = new PolicyHarness(_ => viaConstructor ? new SendResult { Message = "sent?" } : default);
        h.Track(10);
        await Eventually.True(() => h.Engine.GetCounters().Failed == 10, "the failure");

        var result = await h.ShutdownAsync();
        Assert.Equal((0L, 10L, 0L), (result.Counters.Delivered, result.Counters.Failed, result.Counters.BatchesDelivered));
        Assert.Equal(1, h.Transport.AttemptCount);
        var failed = Assert.Single(h.Of(DiagnosticKind.BatchFailed));
        Assert.Contains("the transport returned a SendResult with no outcome (default or new SendResult(), not one of its factories)", failed.Message, StringComparison.Ordinal);
        Assert.Equal(SendOutcome.None, default(SendResult).Outcome);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task A_transport_that_throws_is_retried_then_expires()
    {
        var transport = new ThrowingTransport();
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 5, FlushInterval = TimeSpan.FromDays(1), MaxSendAttempts = 2,
            RetryBaseDelay = 100 * Ms, JitterRandom = new FixedRandom(0.5), OnDiagnostic = diagnostics.Enqueue,
        }, transport);
        for (int i = 0; i < 5; i++)
            engine.Track("u", "e");
        await Eventually.True(() => clock.PendingDelays.Contains(50 * Ms), "the retry wait");
        clock.Advance(50 * Ms);
        await Eventually.True(() => engine.GetCounters().Expired == 5, "the expiry");

        var result = await engine.ShutdownAsync();
        Assert.Equal(2, transport.Calls);
        // One diagnostic per attempt: the first was retried (SendFailed, with the exception), the second expired the batch.
        // Each throw was also reported on its own, so the retried attempt showed twice and the last as "failed" before it expired.
        var retried = Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.SendFailed);
        Assert.IsType<IOException>(retried.Exception);
        Assert.Contains("Attempt 1 to send batch 0 to /api/track (5 events) failed: the transport threw IOException: The test transport always fails. Retrying in 50 ms",
            retried.Message, StringComparison.Ordinal);
        Assert.Contains("the transport threw IOException", Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.BatchFailed).Message, StringComparison.Ordinal);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task Server_warnings_reach_diagnostics_with_the_response_id()
    {
        await using var h = new PolicyHarness(_ => SendResult.Delivered with { ResponseId = "8e51e59e-abf7-4610-858c-d759dd2d1a06", Warnings = ["property 'x' ignored"] });
        h.Track(10);
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 10, "the delivery");

        await h.ShutdownAsync();
        var warning = Assert.Single(h.Of(DiagnosticKind.ServerWarning));
        Assert.Contains("8e51e59e-abf7-4610-858c-d759dd2d1a06", warning.Message, StringComparison.Ordinal);
        Assert.Contains("property 'x' ignored", warning.Message, StringComparison.Ordinal);
    }

    private static async Task RunBisection(int n, HashSet<int> bad)
    {
        await using var h = new PolicyHarness(
            a => a.Contains("poison") ? SendResult.Rejected("invalid") : SendResult.Delivered,
            o => o.MaxBatchEvents = 64);
        h.Track(n, mark: bad.Contains);
        var result = await h.ShutdownAsync();

        // Exactly the valid events delivered, each once; each invalid one refused alone and reported; the exact request count.
        var delivered = h.DeliveredUsers();
        Assert.Equal(Enumerable.Range(0, n).Where(i => !bad.Contains(i)).Select(i => $"u-{i}").Order(), delivered.Order());
        Assert.Equal(bad.Count, result.Counters.RejectedByServer);
        Assert.Equal(bad.Order(), h.Transport.Attempts.Where(a => a.Result.Outcome == SendOutcome.Rejected && a.Batch.EventCount == 1)
            .Select(a => int.Parse(a.Text.Split("poison-")[1].Split('"')[0], System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.Equal(bad.Count, h.Of(DiagnosticKind.EventRejected).Count());
        Assert.Equal(BisectionModel.Requests(n, 64, bad.Contains), h.Transport.AttemptCount);
    }
}
