using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>
/// An endpoint paused for refused credentials (401/403): what its messages say, and what becomes of the probe, the
/// parked batches and a sender waiting for room when the shutdown deadline passes at each stage; a policy that fails
/// unexpectedly; and the jobs delivery keeps track of.
/// </summary>
public class PausedEndpointTests
{
    private static readonly TimeSpan FirstProbe = TimeSpan.FromSeconds(45);   // [½, 1) × 1 min with the draw at 0.5
    private static readonly TimeSpan SecondProbe = TimeSpan.FromSeconds(90);  // [½, 1) × 2 min
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task The_pause_each_refused_probe_and_the_resume_say_when_the_next_probe_is_due_and_how_many_probes_it_took()
    {
        bool authorized = false;
        await using var h = new PolicyHarness(_ => Volatile.Read(ref authorized) ? SendResult.Delivered : SendResult.Unauthorized("Access token missing or invalid"));
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        Assert.Equal(
            "Sending to /api/track is paused: the server refused the credentials (401: Access token missing or invalid). Up to 2 of its batches are kept (later ones expire) " +
            "and it is probed with one of them in about 00:01:00, then at doubling intervals up to 00:08:00.",
            Assert.Single(h.Of(DiagnosticKind.EndpointPaused)).Message);

        await h.PassWait(FirstProbe);
        await Eventually.True(() => h.Of(DiagnosticKind.SendFailed).Any(), "the refused probe");
        Assert.Equal("Probe 1 of /api/track was refused again (401: Access token missing or invalid); next probe in about 00:02:00.",
            Assert.Single(h.Of(DiagnosticKind.SendFailed)).Message);

        Volatile.Write(ref authorized, true);
        await h.PassWait(SecondProbe);
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 10, "the delivery");

        var result = await h.ShutdownAsync();
        Assert.Equal("/api/track accepted the credentials again after 2 probe(s); sending resumes (0 batch(es) were held).",
            Assert.Single(h.Of(DiagnosticKind.EndpointResumed)).Message);
        Assert.Equal(2, result.Counters.Retries);
        Assert.Equal(3, h.Transport.AttemptCount);
    }

    [Fact]
    public async Task A_batch_a_firewall_refuses_with_403_pauses_the_endpoint_only_until_another_batch_is_accepted_then_its_refused_event_is_isolated()
    {
        // A web application firewall in front of the server answers 403 to a body it dislikes (a search query that reads like
        // SQL, say). The first 403 pauses the endpoint as for refused credentials; the probe after it tries another held batch,
        // which is accepted: the credentials are good, so the first batch's next 403 is taken for its content, and it is
        // bisected as a 400 would be. Before, the same batch probed alone for good and the endpoint stayed paused.
        await using var h = new PolicyHarness(a => a.Contains("poison-") ? SendResult.Unauthorized("Forbidden by the firewall", 403) : SendResult.Delivered);
        h.Track(10, mark: i => i == 3);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        h.Track(10, prefix: "later");
        await Eventually.True(() => h.Engine.ParkedBatches == 1, "the second batch is held");

        await h.PassWait(FirstProbe);  // the first batch again: refused, no other batch was accepted since
        await Eventually.True(() => h.Of(DiagnosticKind.SendFailed).Any(d => d.Message.StartsWith("Probe 1 ", StringComparison.Ordinal)), "the refused probe");
        await h.PassWait(SecondProbe); // the held batch: accepted, the endpoint resumes, and the first batch goes again
        await Eventually.True(() => h.Engine.GetCounters() is { Delivered: 19, RejectedByServer: 1 }, "the refused event is isolated");
        Assert.Equal(0, h.Engine.ParkedBatches); // the resume handed every held batch over

        var result = await h.ShutdownAsync();
        Assert.Single(h.Of(DiagnosticKind.EndpointPaused));
        Assert.Contains("refuses this batch's content (a web application firewall, say), not the credentials. Bisecting it instead of pausing the endpoint",
            Assert.Single(h.Of(DiagnosticKind.SendFailed), d => d.Message.Contains("content", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        var rejected = Assert.Single(h.Of(DiagnosticKind.EventRejected));
        Assert.Contains("sent alone: 403: Forbidden by the firewall", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("poison-3", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(19, h.DeliveredUsers().Distinct().Count());
        Assert.DoesNotContain("poison-3", h.DeliveredUsers());
        Assert.Equal((19L, 1L, 0L), (result.Counters.Delivered, result.Counters.RejectedByServer, result.Counters.Expired));
    }

    [Fact]
    public async Task Revoked_credentials_refusing_every_batch_with_403_keep_the_endpoint_paused_and_reject_nothing_while_the_probes_take_turns()
    {
        bool authorized = false;
        await using var h = new PolicyHarness(_ => Volatile.Read(ref authorized) ? SendResult.Delivered : SendResult.Unauthorized("Forbidden", 403));
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        h.Track(10, prefix: "later");
        await Eventually.True(() => h.Engine.ParkedBatches == 1, "the second batch is held");

        await h.PassWait(FirstProbe);
        await h.PassWait(SecondProbe);
        await Eventually.True(() => h.Of(DiagnosticKind.SendFailed).Count(d => d.Message.StartsWith("Probe ", StringComparison.Ordinal)) == 2, "two refused probes");
        var probed = h.Transport.Attempts.Skip(1).Select(a => BatchJson.Events(a.Batch)[0].GetProperty("user_id").GetString()).ToList();
        Assert.Equal(["u-0", "later-0"], probed); // the probes take turns between the held batches

        Volatile.Write(ref authorized, true);
        await h.PassWait(TimeSpan.FromMinutes(3)); // [½, 1) × 4 min
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 20, "everything is delivered once the credentials are accepted");
        var result = await h.ShutdownAsync();
        Assert.Equal((20L, 0L), (result.Counters.Delivered, result.Counters.RejectedByServer));
        Assert.DoesNotContain(h.Diagnostics, d => d.Message.Contains("content", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_probe_answered_with_another_failure_resumes_without_claiming_the_credentials_were_accepted()
    {
        // The probe's batch is not refused for its credentials but fails for good (a 404: say the path changed under a
        // proxy): sending resumes, since nothing says the credentials are wrong, but nothing was accepted either.
        bool refusing = true;
        await using var h = new PolicyHarness(_ => Volatile.Read(ref refusing) ? SendResult.Unauthorized("Access token missing or invalid") : SendResult.Failed("Not Found", 404));
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        Volatile.Write(ref refusing, false);
        await h.PassWait(FirstProbe);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointResumed).Any(), "the resume");

        var result = await h.ShutdownAsync();
        Assert.Equal(10, result.Counters.Failed);
        Assert.Equal("/api/track answered probe 1 without refusing the credentials (last failure: 404: Not Found); sending resumes (0 batch(es) were held).",
            Assert.Single(h.Of(DiagnosticKind.EndpointResumed)).Message);
    }

    [Fact]
    public async Task Batches_beyond_what_a_paused_endpoint_holds_expire_so_the_other_endpoint_keeps_flowing()
    {
        // 401/403: "stop sending to that endpoint, keep events (bounded)". The bound must not stop the other
        // endpoints: a sender waiting for the resume with a batch of the paused one held back every batch behind it.
        bool authorized = false;
        await using var h = new PolicyHarness(a => a.Batch.EndpointPath == "/api/track" && !Volatile.Read(ref authorized)
            ? SendResult.Unauthorized("Access token missing or invalid")
            : SendResult.Delivered);
        h.Track(100); // ten track batches, one sender: the probe, two held, seven beyond
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        for (int i = 0; i < 20; i++)
            h.Engine.Page(null, $"s-{i}");

        await Eventually.True(() => h.Engine.GetCounters().Delivered == 20, "the pages, while track is paused");
        Assert.Equal(70, h.Engine.GetCounters().Expired);
        var expired = h.Of(DiagnosticKind.BatchFailed).ToList();
        Assert.Equal(7, expired.Count);
        Assert.Equal(
            "Sending batch 3 to /api/track (10 events) expired (its endpoint is paused and already holds 2 batches); last failure: 401: Access token missing or invalid.",
            expired[0].Message);

        Volatile.Write(ref authorized, true);
        await h.PassWait(FirstProbe);
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 50, "the probe and the held batches");
        var result = await h.ShutdownAsync();
        Assert.Equal((50, 70), (result.Counters.Delivered, result.Counters.Expired));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"u-{i}").ToHashSet(), h.Transport.Delivered.Where(b => b.EndpointPath == "/api/track").SelectMany(BatchJson.Events).Select(e => e.GetProperty("user_id").GetString()!).ToHashSet());
    }

    [Fact]
    public async Task With_one_endpoint_batches_beyond_those_held_wait_for_the_resume_and_none_expires()
    {
        // One endpoint (Segment-style batch): a sender waiting for the resume holds up no other endpoint, so the queues push
        // back (counted refusals at the call) and every accepted event is delivered once the credentials are fixed.
        bool authorized = false;
        await using var h = new PolicyHarness(_ => Volatile.Read(ref authorized) ? SendResult.Delivered : SendResult.Unauthorized("Write key invalid"),
            o => { o.WireFormat = new SegmentFormat(); o.QueueCapacity = 64; });
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        Assert.StartsWith("Sending to /v1/batch is paused: the server refused the credentials (401: Write key invalid). Its batches are kept (up to the queue bounds) and",
            Assert.Single(h.Of(DiagnosticKind.EndpointPaused)).Message, StringComparison.Ordinal);

        int accepted = 10, refused = 0;
        for (int i = 10; i < 300; i++)
        {
            if (h.Engine.Track($"u-{i}", "feature_used") == EnqueueStatus.Accepted)
                accepted++;
            else
                refused++;
        }

        // The probe, two held, one waiting with the sender, two in the sealed queue, and the event queue's 64: the rest is refused.
        Assert.True(refused > 0, "the queues pushed back");
        Assert.Equal(0, h.Engine.GetCounters().Expired);

        Volatile.Write(ref authorized, true);
        await h.PassWait(FirstProbe);
        await h.Engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // the last batch is open: the linger is a day
        var result = await h.Engine.ShutdownAsync(); // not the harness's: its body checks read ThriveStack arrays
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal((accepted, 0L, refused), (result.Counters.Delivered, result.Counters.Expired, result.Counters.RefusedQueueFull));
    }

    [Fact]
    public async Task A_probe_due_after_the_deadline_is_not_waited_for_and_its_batch_and_the_parked_ones_are_lost_at_once()
    {
        await using var h = new PolicyHarness(_ => SendResult.Unauthorized("revoked", 403), o => o.ShutdownTimeout = Deadline);
        h.Track(40); // one sender, so room for two parked batches: the probe, two parked, and one beyond them that expires
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        await Eventually.True(() => h.Engine.Processed == 40 && h.Engine.HeldBatchBodies == 3 && h.Engine.GetCounters().Expired == 10, "every batch handed to delivery");

        // The probe is due in 45 s, after the 5 s deadline: the shutdown does not wait for it, and the clock never moves.
        var result = await h.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        Assert.Equal(30, result.LostAtShutdown);
        Assert.Equal(10, result.Counters.Expired);
        Assert.Equal(0, result.Counters.Retries);          // no probe went out
        Assert.Equal(1, h.Transport.AttemptCount);
        Assert.Equal(30, h.Of(DiagnosticKind.ShutdownLoss).Sum(d => d.EventCount));
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, h.Engine.HeldBatchBodies);         // each batch released once
    }

    [Fact]
    public async Task A_probe_in_flight_at_the_deadline_leaves_its_events_of_unknown_outcome_and_the_parked_batches_lost()
    {
        var transport = new RefusedThenHeld(honoursCancellation: true);
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        await using var engine = new SluiceEngine(Options(clock, diagnostics), transport);
        Track(engine, 30);
        await Eventually.True(() => diagnostics.Any(d => d.Kind == DiagnosticKind.EndpointPaused), "the pause");
        await ProbeArmed(clock);
        clock.Advance(FirstProbe);
        await Eventually.True(() => transport.Held == 1, "the probe in flight");

        var result = await PassDeadline(engine, clock);

        Assert.Equal(10, result.OutcomeUnknown);           // the probe's batch: the server may have it
        Assert.Equal(20, result.LostAtShutdown);           // the two parked batches
        Assert.Equal(1, result.Counters.Retries);
        Assert.DoesNotContain(diagnostics, d => d.Kind == DiagnosticKind.EndpointResumed);
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, engine.HeldBatchBodies);
    }

    [Fact]
    public async Task A_probe_stuck_in_a_transport_ignoring_cancellation_is_written_off_and_the_parked_batches_are_lost()
    {
        var transport = new RefusedThenHeld(honoursCancellation: false);
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(Options(clock, diagnostics), transport);
        try
        {
            Track(engine, 30);
            await Eventually.True(() => diagnostics.Any(d => d.Kind == DiagnosticKind.EndpointPaused), "the pause");
            await ProbeArmed(clock);
            clock.Advance(FirstProbe);
            await Eventually.True(() => transport.Held == 1, "the probe in flight");

            var shutdown = engine.ShutdownAsync();
            await Eventually.True(() => clock.PendingDelays.Contains(Deadline), "the deadline timer");
            clock.Advance(Deadline);
            await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(1)), "the grace after the deadline");
            clock.Advance(TimeSpan.FromSeconds(1));
            var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(10, result.OutcomeUnknown);
            Assert.Equal(20, result.LostAtShutdown);
            Assert.Equal(20, diagnostics.Where(d => d.Kind == DiagnosticKind.ShutdownLoss).Sum(d => d.EventCount));
            Conservation.AssertBalanced(result.Counters);
        }
        finally
        {
            // Failed half-way, the deadline on this clock would never pass: pass it by hand, so the failure is reported, not a hang.
            transport.Release();
            var shutdown = engine.ShutdownAsync();
            for (int i = 0; i < 100 && !shutdown.IsCompleted; i++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// The pause is reported before its probe's timer is armed (the probe starts on the pool): passing the time before that
    /// would leave the probe 45 s ahead of a clock nobody moves again.
    /// </summary>
    private static Task ProbeArmed(ManualTimeProvider clock) =>
        Eventually.True(() => clock.PendingDelays.Contains(FirstProbe), "the probe's timer");

    [Fact]
    public async Task A_wire_format_failing_while_a_batch_is_bisected_fails_what_is_left_of_it_and_the_sender_goes_on()
    {
        var format = new FailingPrefixFormat();
        await using var h = new PolicyHarness(a =>
        {
            if (a.Number > 0)
                return SendResult.Delivered;
            format.FailNext();
            return SendResult.Rejected("Bad Request");
        }, o => o.WireFormat = format);
        h.Track(10);
        await Eventually.True(() => h.Engine.GetCounters().Failed == 10, "the batch failed");
        h.Track(10, prefix: "v");
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal((10, 10), (result.Counters.Failed, result.Counters.Delivered));
        var internalError = Assert.Single(h.Of(DiagnosticKind.InternalError));
        Assert.Equal("Delivering batch 0 failed unexpectedly: the wire format failed", internalError.Message);
        Assert.Equal(10, internalError.EventCount);
        Assert.IsType<InvalidOperationException>(internalError.Exception);
        var failed = Assert.Single(h.Of(DiagnosticKind.BatchFailed));
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.BatchFailed, "Batch 0 to /api/track could not be delivered: the wire format failed", 10), failed);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v-{i}"), h.DeliveredUsers());
    }

    [Fact]
    public async Task A_flush_waits_for_a_paused_endpoint_to_resume_its_token_bounds_the_wait_and_the_shutdown_ends_it()
    {
        // docs/delivery.md: a flush completes when what it covers is settled; batches held for a paused endpoint are not,
        // so it waits (a send that merely finished with a 401 does not complete it), a token stops the wait, and the
        // shutdown completes it with every event counted.
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var transport = new ScriptedTransport(_ => SendResult.Unauthorized("401: bad token"));
        var engine = new SluiceEngine(Options(clock, diagnostics), transport);
        Track(engine, 25);
        var flush = engine.FlushAsync();
        await Eventually.True(() => engine.IsPaused(0) && transport.AttemptCount == 1, "the endpoint paused by the first batch");
        await Eventually.True(() => clock.PendingDelays.Count > 0, "the probe armed");
        Assert.False(flush.IsCompleted, "the held batches are not settled");

        using var impatient = new CancellationTokenSource();
        var bounded = engine.FlushAsync(impatient.Token);
        impatient.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bounded.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(flush.IsCompleted);

        var shutdown = engine.ShutdownAsync(new CancellationToken(canceled: true));
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.Counters.Delivered);
        Assert.Equal(25, result.LostAtShutdown + result.Counters.Expired);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task Delivery_forgets_the_jobs_it_finished()
    {
        // Regression guard: a long-running engine must not keep every batch it ever sent.
        var transport = new GateTransport();
        await using var engine = new SluiceEngine(new SluiceOptions { MaxBatchEvents = 10, MaxConcurrentSends = 1 }, transport);
        Track(engine, 30);
        var flush = engine.FlushAsync();
        await Eventually.True(() => transport.Waiting == 1, "a batch is held in flight");
        Assert.True(engine.LiveDeliveryJobs > 0, "the batch in flight is a live job");

        transport.Open();
        await flush;
        await Eventually.True(() => engine.LiveDeliveryJobs == 0, "no job left once every batch is delivered");
        Assert.Equal(30, engine.GetCounters().Delivered);
    }

    private static SluiceOptions Options(ManualTimeProvider clock, System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent> diagnostics) => new()
    {
        TimeProvider = clock,
        MaxBatchEvents = 10,
        FlushInterval = TimeSpan.FromDays(1),
        MaxConcurrentSends = 1,
        UnauthorizedProbeInterval = TimeSpan.FromMinutes(1),
        ShutdownTimeout = Deadline,
        JitterRandom = new FixedRandom(0.5),
        OnDiagnostic = diagnostics.Enqueue,
    };

    private static void Track(SluiceEngine engine, int count)
    {
        for (int i = 0; i < count; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track($"u-{i}", "feature_used"));
    }

    private static async Task<ShutdownResult> PassDeadline(SluiceEngine engine, ManualTimeProvider clock)
    {
        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(Deadline), "the deadline timer");
        clock.Advance(Deadline);
        return await shutdown;
    }

    /// <summary>Refuses the credentials of the first send; holds every later one, until cancelled if it honours cancellation, else until released.</summary>
    private sealed class RefusedThenHeld(bool honoursCancellation) : IBatchTransport
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _sends;
        private int _held;

        public int Held => Volatile.Read(ref _held);

        public void Release() => _release.TrySetResult();

        public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _sends) == 1)
                return SendResult.Unauthorized("revoked");
            Interlocked.Increment(ref _held);
            await (honoursCancellation ? _release.Task.WaitAsync(cancellationToken) : _release.Task);
            return SendResult.Delivered;
        }
    }

    /// <summary>The standard format, whose batch prefix fails once when told to (a custom format with a bug).</summary>
    private sealed class FailingPrefixFormat() : WrappedFormat(ThriveStackFormat.Instance)
    {
        private int _failNext;

        public void FailNext() => Volatile.Write(ref _failNext, 1);

        public override ReadOnlySpan<byte> BatchPrefix(int partition) => Interlocked.Exchange(ref _failNext, 0) == 1
            ? throw new InvalidOperationException("the wire format failed")
            : base.BatchPrefix(partition);
    }
}
