using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>The policy's comparisons and arithmetic at their boundaries: budgets, limits, the doubt an unanswered attempt leaves.</summary>
public class DeliveryBoundaryTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task A_retry_whose_wait_ends_exactly_at_the_budget_is_still_made()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("down", statusCode: 503), o => o.RetryBudget = 350 * Ms);
        h.Track(10);

        // 50 + 100 ms waited; the next wait (200 ms) ends at 350 ms, the budget: allowed. The one after (400 ms) is not.
        await h.PassWait(50 * Ms);
        await h.PassWait(100 * Ms);
        await h.PassWait(200 * Ms);
        await Eventually.True(() => h.Engine.GetCounters().Expired == 10, "the expiry");

        var result = await h.ShutdownAsync();
        Assert.Equal(4, h.Transport.AttemptCount);
        Assert.Equal(3, result.Counters.Retries);
    }

    [Fact]
    public async Task After_a_pause_the_retry_budget_starts_again()
    {
        // Refused (401), probed 45 s later — past the 30 s budget — then a 503: the batch is retried, not expired.
        await using var h = new PolicyHarness(a => a.Number switch
        {
            0 => SendResult.Unauthorized("revoked"),
            1 => SendResult.Retry("busy", statusCode: 503),
            _ => SendResult.Delivered,
        }, o => o.RetryBudget = TimeSpan.FromSeconds(30));
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        await h.PassWait(TimeSpan.FromSeconds(45));
        await h.PassWait(50 * Ms);
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 10, "the delivery");

        var result = await h.ShutdownAsync();
        Assert.Equal(0, result.Counters.Expired);
        Assert.Equal(3, h.Transport.AttemptCount);
    }

    [Fact]
    public async Task A_413_lowers_the_limit_to_the_largest_event_then_just_below_it_and_not_again_when_already_there()
    {
        // Two events of the same size, too large for the proxy even alone: the batch's refusal lowers the limit to the
        // larger of half the body and its largest event (here the event); the first lone refusal lowers it one byte
        // below; the second finds it there already and says nothing.
        await using var h = new PolicyHarness(a => a.Batch.Body.Length > 600 ? SendResult.TooLarge("too large") : SendResult.Delivered);
        foreach (string user in (string[])["big-1", "big-2"])
            h.Engine.Track(user, "e", new Dictionary<string, object?> { ["blob"] = new string('x', 1_000) });
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(2, result.Counters.RejectedByServer);
        long body = h.Transport.Attempts[0].Batch.Body.Length;
        long alone = h.Transport.Attempts[1].Batch.Body.Length;
        Assert.Equal(alone, h.Transport.Attempts[2].Batch.Body.Length);
        Assert.Equal(3, h.Transport.AttemptCount);
        Assert.True(alone > body / 2, "the test needs the event to outweigh half the body");
        Assert.Equal(
        [
            $"The server refused a {body:N0}-byte body to /api/track as too large: 413: too large. That endpoint's batch byte limit is lowered from {2_097_152:N0} to {alone:N0}.",
            $"The server refused a {alone:N0}-byte body to /api/track as too large: 413: too large. That endpoint's batch byte limit is lowered from {alone:N0} to {alone - 1:N0}.",
        ], h.Of(DiagnosticKind.LimitLowered).Select(d => d.Message));
    }

    [Fact]
    public async Task A_413_of_small_events_halves_the_limit()
    {
        await using var h = new PolicyHarness(a => a.Batch.Body.Length > 700 ? SendResult.TooLarge("too large") : SendResult.Delivered);
        h.Track(10);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Delivered);
        long body = h.Transport.Attempts[0].Batch.Body.Length;
        var lowered = Assert.Single(h.Of(DiagnosticKind.LimitLowered));
        Assert.EndsWith($"lowered from {2_097_152:N0} to {body / 2:N0}.", lowered.Message, StringComparison.Ordinal);
        Assert.All(h.Transport.Attempts.Skip(1), a => Assert.InRange(a.Batch.Body.Length, 1, body / 2)); // parts over the new limit were split before sending
    }

    [Fact]
    public async Task A_transient_failure_without_an_answer_leaves_the_events_of_unknown_outcome_at_the_deadline_even_after_a_later_answer()
    {
        // A timeout, then a 503: the server may have the events from the first attempt.
        await using var h = new PolicyHarness(a => a.Number == 0
            ? SendResult.Retry("timed out after 30 s without an answer from x") with { Failure = SendFailure.Timeout }
            : SendResult.Retry("busy", statusCode: 503), o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMinutes(1);
            o.RetryMaxDelay = TimeSpan.FromMinutes(10);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        h.Track(10);
        await h.PassWait(TimeSpan.FromSeconds(30));
        await Eventually.True(() => h.Waits.Contains(TimeSpan.FromSeconds(60)), "the second wait");

        // The retry would come after the deadline: written off at once, the clock never moves.
        var result = await h.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(10, result.OutcomeUnknown);
        Assert.Equal(0, result.LostAtShutdown);
        Assert.Contains("(last failure: 503: busy)", Assert.Single(h.Of(DiagnosticKind.OutcomeUnknown)).Message, StringComparison.Ordinal);
        Assert.Empty(h.Of(DiagnosticKind.ShutdownLoss));
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, h.Engine.HeldBatchBodies);
    }

    [Theory]
    [InlineData(0, true)]    // a Retry that says nothing of what happened
    [InlineData(503, false)] // the server's refusal, read after the deadline
    public async Task A_send_the_transport_ends_with_a_retry_once_the_deadline_fired_is_of_unknown_outcome_unless_it_was_refused(int status, bool inFlight)
    {
        // The contract: a send still going when the deadline fires was in flight, whether the transport ends it with an
        // exception or with a Retry that says nothing of what happened. A refusal is an answer: lost, and no retry announced.
        var clock = new ManualTimeProvider();
        var transport = new RetryWhenCancelled(SendResult.Retry("the send was cancelled", statusCode: status));
        var diagnostics = new List<DiagnosticEvent>();
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock,
            MaxBatchEvents = 10,
            FlushInterval = TimeSpan.FromDays(1),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            OnDiagnostic = d => { lock (diagnostics) diagnostics.Add(d); },
        }, transport);
        for (int i = 0; i < 10; i++)
            engine.Track($"u-{i}", "feature_used");
        await Eventually.True(() => transport.Waiting == 1, "the send in flight");

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the deadline timer");
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown;

        Assert.Equal(inFlight ? (10, 0) : (0, 10), (result.OutcomeUnknown, result.LostAtShutdown));
        Assert.Equal(0, result.Counters.Retries);
        lock (diagnostics)
        {
            Assert.Equal(10, Assert.Single(diagnostics, d => d.Kind == (inFlight ? DiagnosticKind.OutcomeUnknown : DiagnosticKind.ShutdownLoss)).EventCount);
            Assert.DoesNotContain(diagnostics, d => d.Kind == (inFlight ? DiagnosticKind.ShutdownLoss : DiagnosticKind.OutcomeUnknown));
            Assert.DoesNotContain(diagnostics, d => d.Kind == DiagnosticKind.SendFailed);
        }

        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, engine.HeldBatchBodies);
    }

    [Fact]
    public async Task Expiry_after_an_unanswered_attempt_says_the_server_may_have_some()
    {
        await using var h = new PolicyHarness(_ => SendResult.Retry("no answer") with { Failure = SendFailure.ConnectionLost }, o => o.MaxSendAttempts = 1);
        h.Track(10);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Equal("Sending batch 0 to /api/track (10 events) expired (after 1 attempt); last failure: no answer. An attempt got no answer or a gateway's 502 or 504: the server may have some of them.",
            Assert.Single(h.Of(DiagnosticKind.BatchFailed)).Message);
    }

    [Fact]
    public async Task A_delivery_with_an_empty_warnings_list_reports_nothing()
    {
        await using var h = new PolicyHarness(_ => SendResult.Delivered with { Warnings = [] });
        h.Track(10);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        Assert.Empty(h.Of(DiagnosticKind.ServerWarning));
        Assert.Empty(h.Diagnostics);
    }

    /// <summary>Holds every send until the shutdown deadline cancels it, then answers <paramref name="answer"/> instead of throwing.</summary>
    private sealed class RetryWhenCancelled(SendResult answer) : IBatchTransport
    {
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public async ValueTask<SendResult> SendAsync(Sluice.Batching.Batch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Swallowed: the transport reports the end of the send as a transient failure.
            }

            return answer;
        }
    }
}
