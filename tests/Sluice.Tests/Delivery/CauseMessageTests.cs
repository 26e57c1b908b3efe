using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>What the policy's diagnostics say, word for word: each failed attempt and its wait, each expiry and its cause,
/// a transport that throws, warnings, and the last failure named (or, after a delivery, no longer named) by losses at the deadline.</summary>
public class CauseMessageTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Each_failed_attempt_says_which_it_was_why_and_how_long_until_the_next()
    {
        await using var h = new PolicyHarness(a => a.Number < 2 ? SendResult.Retry("busy", statusCode: 503) : SendResult.Delivered);
        h.Track(10);
        await h.PassWait(50 * Ms);
        await h.PassWait(100 * Ms);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Equal(
        [
            new DiagnosticEvent(DiagnosticKind.SendFailed, "Attempt 1 to send batch 0 to /api/track (10 events) failed: 503: busy. Retrying in 50 ms.", 10),
            new DiagnosticEvent(DiagnosticKind.SendFailed, "Attempt 2 to send batch 0 to /api/track (10 events) failed: 503: busy. Retrying in 100 ms.", 10),
        ], h.Diagnostics);
    }

    [Fact]
    public async Task A_server_message_that_ends_its_sentence_is_not_given_a_second_period()
    {
        await using var h = new PolicyHarness(a => a.Number < 1 ? SendResult.Retry("Slow down. ", statusCode: 429) : SendResult.Delivered);
        h.Track(10);
        await h.PassWait(50 * Ms);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Equal("Attempt 1 to send batch 0 to /api/track (10 events) failed: 429: Slow down. Retrying in 50 ms.", Assert.Single(h.Of(DiagnosticKind.SendFailed)).Message);
    }

    [Fact]
    public async Task A_batch_out_of_time_says_its_budget_and_its_last_failure()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o => o.RetryBudget = 120 * Ms);
        h.Track(10);
        await h.PassWait(50 * Ms);
        await h.Engine.FlushAsync(); // the next wait (100 ms) would end past the budget

        await h.ShutdownAsync();
        Assert.Equal("Sending batch 0 to /api/track (10 events) expired (its retry budget of 00:00:00.1200000 would be exceeded by the next wait of 0.1 s); last failure: 503: down.",
            Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message);
    }

    [Fact]
    public async Task A_transport_that_throws_is_named_with_its_exception_and_leaves_the_events_in_doubt()
    {
        await using var h = new PolicyHarness(_ => throw new IOException("The test transport always fails."), o => o.MaxSendAttempts = 2);
        h.Track(10);
        await h.PassWait(50 * Ms);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Expired);
        // One diagnostic per attempt, each with the exception: the first retried, the second expiring the batch.
        Assert.Collection(h.Diagnostics,
            d => Assert.Equal(new DiagnosticEvent(DiagnosticKind.SendFailed,
                "Attempt 1 to send batch 0 to /api/track (10 events) failed: the transport threw IOException: The test transport always fails. Retrying in 50 ms.", 10,
                Assert.IsType<IOException>(d.Exception)), d),
            d => Assert.Equal(new DiagnosticEvent(DiagnosticKind.BatchFailed,
                "Sending batch 0 to /api/track (10 events) expired (after 2 attempts); last failure: the transport threw IOException: The test transport always fails. " +
                "An attempt got no answer or a gateway's 502 or 504: the server may have some of them.", 10, Assert.IsType<IOException>(d.Exception)), d));
    }

    [Fact]
    public async Task A_permanent_failure_says_so_with_the_servers_answer()
    {
        await using var h = new PolicyHarness(_ => SendResult.Failed("Not Found", 404));
        h.Track(10);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.BatchFailed, "Sending batch 0 to /api/track (10 events) failed permanently: 404: Not Found", 10),
            Assert.Single(h.Diagnostics));
    }

    [Fact]
    public async Task Warnings_are_listed_with_or_without_a_response_id()
    {
        await using var h = new PolicyHarness(a => SendResult.Delivered with
        {
            ResponseId = a.Number == 0 ? "r-1" : null,
            Warnings = ["property 'x' ignored", "property 'y' truncated"],
        });
        h.Track(20);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Equal(
        [
            "The server accepted batch 0 to /api/track (10 events) (response_id r-1) with warnings: property 'x' ignored; property 'y' truncated",
            "The server accepted batch 1 to /api/track (10 events) with warnings: property 'x' ignored; property 'y' truncated",
        ], h.Of(DiagnosticKind.ServerWarning).Select(d => d.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Losses_at_the_deadline_name_the_last_failure_the_batch_met_and_the_endpoint_met()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503));
        h.Track(15); // one full batch waiting to retry, five events in the open batch
        await h.PassWait(50 * Ms);
        await Eventually.True(() => h.Transport.AttemptCount == 2 && h.Waits.Count == 1, "the second wait");

        // The open batch is sealed and handed to delivery at shutdown: only then does the host end the drain (before it, its
        // five events would be lost as still queued, a message of its own). Its token, not the timeout: the retry's wait
        // ends before the timeout, so the only sender still waits with the first batch, and the second is never sent.
        using var host = new CancellationTokenSource();
        var shutdown = h.Engine.ShutdownAsync(host.Token);
        await Eventually.True(() => h.Engine.HeldBatchBodies == 2, "the last batch handed over");
        host.Cancel();
        Conservation.AssertBalanced((await shutdown).Counters);

        Assert.Equal(
        [
            "10 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): the last attempt failed: 503: down.",
            "5 event(s) of batch 1 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): never sent; the last failure on that endpoint: 503: down.",
        ], h.Of(DiagnosticKind.ShutdownLoss).Select(d => d.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_delivery_clears_the_endpoints_last_failure_from_later_loss_messages()
    {
        // A 503, then delivered; the next batch is in flight at the deadline and the one behind it never goes out.
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var scripted = new ScriptedTransport(a => a.Number == 0 ? SendResult.Retry("busy", statusCode: 503) : SendResult.Delivered);
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 10, FlushInterval = TimeSpan.FromDays(1), MaxConcurrentSends = 1,
            RetryBaseDelay = 100 * Ms, JitterRandom = new FixedRandom(0.5), ShutdownTimeout = TimeSpan.FromSeconds(5), OnDiagnostic = diagnostics.Enqueue,
        }, new HoldingAfter(scripted, sends: 2));
        for (int i = 0; i < 25; i++)
            engine.Track($"u-{i}", "e");
        await Eventually.True(() => clock.PendingDelays.Contains(50 * Ms), "the retry wait");
        clock.Advance(50 * Ms);
        await Eventually.True(() => engine.GetCounters().Delivered == 10, "the first batch delivered");

        var shutdown = engine.ShutdownAsync();
        // The open batch is sealed and handed to delivery at shutdown: only then may the deadline pass (before it, its
        // five events would be lost as still queued, a message of its own).
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(5)) && engine.HeldBatchBodies == 2, "the deadline timer, the last batch handed over");
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown;

        Assert.Equal((10, 10, 5), (result.Counters.Delivered, result.OutcomeUnknown, result.LostAtShutdown));
        Assert.Equal("5 event(s) of batch 2 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): never sent.",
            Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.ShutdownLoss).Message);
        Conservation.AssertBalanced(result.Counters);
    }

    /// <summary>Sends the first <c>sends</c> through <paramref name="inner"/>, then holds every send until cancelled.</summary>
    private sealed class HoldingAfter(IBatchTransport inner, int sends) : IBatchTransport
    {
        private int _sent;

        public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _sent) <= sends)
                return await inner.SendAsync(batch, cancellationToken);
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
