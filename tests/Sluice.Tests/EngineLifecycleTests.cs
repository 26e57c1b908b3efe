using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests;

/// <summary>Linger, full queues, shutdown deadlines, failing transports: each counted, none thrown.</summary>
public class EngineLifecycleTests
{
    [Theory]
    [InlineData(65_536)]
    [InlineData(8)] // a queue smaller than the serializer's usual wake-up backlog
    public async Task The_last_events_of_a_burst_are_serialized_without_a_flush(int capacity)
    {
        // A serializer that has read parks until a backlog builds up; when the callers stop short of
        // it, the read delay must still get their last events read. (The linger timer is the manual
        // clock's, so only the serializer itself can get these events processed.)
        var clock = new ManualTimeProvider();
        await using var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock, QueueCapacity = capacity }, new InMemoryTransport());
        long accepted = 0;
        for (int i = 0; i < 5_003; i++)
        {
            if (engine.Track("u", "e", timestamp: DateTimeOffset.UnixEpoch) == EnqueueStatus.Accepted)
                accepted++;
        }

        await Eventually.True(() => engine.Processed == accepted, $"all {accepted} accepted events serialized");
        Assert.True(accepted >= Math.Min(capacity, 5_003));
    }

    [Fact]
    public void Dispose_shuts_down_like_DisposeAsync_delivering_what_was_queued_and_refusing_later_calls()
    {
        var transport = new InMemoryTransport();
        var engine = new SluiceEngine(new SluiceOptions { FlushInterval = TimeSpan.FromHours(1) }, transport);
        using (engine)
        {
            for (int i = 0; i < 25; i++)
                engine.Track($"u-{i}", "e");
        }

        Assert.Equal(25, engine.GetCounters().Delivered);
        Assert.Equal(25, transport.Batches.Sum(b => b.EventCount));
        Assert.Equal(EnqueueStatus.ShuttingDown, engine.Track("late", "e").Status);
        engine.Dispose(); // a second time: nothing more to do
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a host whose own deadline has already passed
    public async Task A_call_made_after_ShutdownAsync_returned_is_refused_as_shutting_down(bool deadlinePassed)
    {
        // "Stops accepting events": the queue was closed by the drain, which runs on the pool a moment after ShutdownAsync
        // returns, so a call made right after it was accepted; with the deadline already passed, it was then counted lost.
        var transport = new InMemoryTransport();
        var engine = new SluiceEngine(new SluiceOptions(), transport);
        var shutdown = engine.ShutdownAsync(new CancellationToken(deadlinePassed));
        var late = engine.Track("late", "e");
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EnqueueStatus.ShuttingDown, late.Status);
        Assert.Equal(0, result.Counters.Accepted);
        Assert.Equal(0, result.LostAtShutdown);
        Assert.Equal(1, engine.GetCounters().RefusedShutdown); // the result may be taken before the call is counted
        Assert.Empty(transport.Batches);
    }

    [Fact]
    public async Task An_engine_with_nothing_to_do_parks_its_serializer_idle_with_no_timer_to_wake_it()
    {
        // An embedded library must not use its host's CPU while it waits: once the callers stop, the
        // serializer reads what they wrote and then blocks until the next call, flush, linger or
        // shutdown; it does not poll. (Idle means parked with the ring's read delay disarmed, the
        // linger timer being the manual clock's.)
        var clock = new ManualTimeProvider();
        await using var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock }, new InMemoryTransport());
        for (int i = 0; i < 10; i++)
            new TestEvent(i, false, "").SendTo(engine);
        await engine.FlushAsync();

        await Eventually.True(() => engine.SerializerIdle, "the serializer parked idle");
        long processed = engine.Processed;
        new TestEvent(10, false, "").SendTo(engine);
        await Eventually.True(() => engine.Processed == processed + 1, "the next call woke it");
    }

    [Fact]
    public async Task Cancelling_a_shutdown_ends_its_drain_as_the_deadline_would_and_every_event_is_counted()
    {
        // A host whose own deadline comes before the engine's: the drain ends when it says, the send
        // in flight is cancelled (outcome unknown), the queued batch is lost, and the result still comes.
        var transport = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions { MaxBatchEvents = 2, MaxConcurrentSends = 1, ShutdownTimeout = TimeSpan.FromHours(1) }, transport);
        for (int i = 0; i < 4; i++)
            new TestEvent(i, false, "").SendTo(engine);
        await Eventually.True(() => transport.Waiting == 1, "the first batch is in flight");

        using var hostDeadline = new CancellationTokenSource();
        var shutdown = engine.ShutdownAsync(hostDeadline.Token);
        Assert.False(shutdown.IsCompleted, "the drain waits for the held send");
        Assert.Same(shutdown, engine.ShutdownAsync()); // one shutdown, whoever asks
        hostDeadline.Cancel();
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        var c = result.Counters;
        Assert.Equal(0, c.Delivered);
        Assert.Equal(2, c.OutcomeUnknown);
        Assert.Equal(2, c.LostAtShutdown);
        Assert.Equal(0, c.InFlight);
    }

    [Fact]
    public async Task A_deadline_that_passes_once_everything_is_settled_did_not_time_the_shutdown_out()
    {
        // TimedOut means the deadline cut something short. A zero ShutdownTimeout on an idle engine, or a deadline passing while a
        // sender is still in OnBatchSettled for events already delivered, cuts nothing: it read true all the same.
        var idle = new SluiceEngine(new SluiceOptions { ShutdownTimeout = TimeSpan.Zero }, new InMemoryTransport());
        Assert.False((await idle.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30))).TimedOut);
        var cancelled = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        Assert.False((await cancelled.ShutdownAsync(new CancellationToken(canceled: true)).WaitAsync(TimeSpan.FromSeconds(30))).TimedOut);

        // Deterministically: the deadline passes while the shutdown waits for a sender whose events are all counted delivered.
        var clock = new ManualTimeProvider();
        using var inCallback = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var options = new SluiceOptions { TimeProvider = clock, ShutdownTimeout = TimeSpan.Zero };
        options.OnBatchSettled = (in SettledEvents _) =>
        {
            inCallback.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        var engine = new SluiceEngine(options, new InMemoryTransport());
        engine.Track("u", "e");
        var shutdown = engine.ShutdownAsync();
        Assert.True(inCallback.Wait(TimeSpan.FromSeconds(30)), "the sender reports the delivered batch");
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.Zero), "the shutdown deadline");
        clock.Advance(TimeSpan.Zero);
        release.Set();
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.TimedOut);
        Assert.Equal(1, result.Counters.Delivered);
        Assert.Equal(0, result.LostAtShutdown);
    }

    [Fact]
    public async Task The_serializer_leaves_queued_records_unread_no_longer_than_FlushInterval()
    {
        // The serializer reads a small backlog after a delay (fewer wake-ups, less CPU); an engine
        // whose batches linger for less must not hold records longer than that in its queue.
        await using var quick = new SluiceEngine(new SluiceOptions { FlushInterval = TimeSpan.FromMilliseconds(2) }, new InMemoryTransport());
        await using var usual = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        Assert.Equal(TimeSpan.FromMilliseconds(2), quick.SerializerReadDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(20), usual.SerializerReadDelay);
    }

    [Fact]
    public async Task A_partial_batch_is_sealed_exactly_when_its_first_event_has_waited_FlushInterval()
    {
        var clock = new ManualTimeProvider();
        var transport = new InMemoryTransport();
        var interval = TimeSpan.FromSeconds(5);
        await using var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock, FlushInterval = interval }, transport);

        new TestEvent(0, false, "").SendTo(engine);
        await Eventually.True(() => engine.Processed == 1 && clock.ArmedTimers == 1, "the serializer armed the linger timer");

        clock.Advance(interval - TimeSpan.FromTicks(1));
        Assert.Equal(0, clock.Fired);
        Assert.Empty(transport.Batches);

        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, clock.Fired);
        await Eventually.True(() => transport.Batches.Count == 1, "the lingering batch was delivered");
        Assert.Equal(1, transport.Batches[0].EventCount);
    }

    [Fact]
    public async Task Linger_seals_each_partition_on_its_own_clock()
    {
        var clock = new ManualTimeProvider();
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock, FlushInterval = TimeSpan.FromSeconds(10) }, transport);

        new TestEvent(0, false, "").SendTo(engine);
        await Eventually.True(() => engine.Processed == 1 && clock.ArmedTimers == 1, "linger armed for the track batch");
        clock.Advance(TimeSpan.FromSeconds(4));
        new TestEvent(1, true, "").SendTo(engine);
        await Eventually.True(() => engine.Processed == 2, "the serializer opened the page batch at t = 4 s");

        clock.Advance(TimeSpan.FromSeconds(6)); // t = 10 s: the track batch is due, the page batch is not
        await Eventually.True(() => transport.Batches.Count == 1, "the track batch was sealed");
        Assert.Equal("/api/track", transport.Batches[0].EndpointPath);

        await Eventually.True(() => clock.ArmedTimers == 1, "linger re-armed for the page batch");
        clock.Advance(TimeSpan.FromSeconds(4)); // t = 14 s: the page batch is due
        await Eventually.True(() => transport.Batches.Count == 2, "the page batch was sealed");
        Assert.Equal("/api/page", transport.Batches[1].EndpointPath);
    }

    [Fact]
    public async Task A_full_queue_returns_QueueFull_and_counts_it_and_nothing_accepted_is_lost()
    {
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 4, MaxBatchEvents = 1, MaxConcurrentSends = 1 }, gate);
        int accepted = 0, full = 0;
        for (int i = 0; i < 200; i++)
        {
            var r = new TestEvent(i, false, "").SendTo(engine);
            if (r == EnqueueStatus.Accepted) accepted++;
            else if (r == EnqueueStatus.QueueFull) full++;
            else Assert.Fail($"unexpected {r}");
        }

        Assert.True(full > 0, "The queue filled while the transport was blocked.");
        Assert.Equal(full, engine.GetCounters().RefusedQueueFull);
        gate.Open();
        var result = await engine.ShutdownAsync();
        Assert.Equal(accepted, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.InFlight);
    }

    [Fact]
    public async Task DropOldest_evicts_queued_events_and_counts_them()
    {
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 4, MaxBatchEvents = 1, MaxConcurrentSends = 1, FullMode = FullMode.DropOldest }, gate);
        for (int i = 0; i < 200; i++)
            Assert.Equal(EnqueueStatus.Accepted, new TestEvent(i, false, "").SendTo(engine));
        gate.Open();
        var result = await engine.ShutdownAsync();

        var c = result.Counters;
        Assert.Equal(200, c.Accepted);
        Assert.True(c.Evicted > 0);
        Assert.Equal(200, c.Evicted + c.Delivered);
        // The newest event always survives eviction.
        Assert.Contains(gate.Batches, b => BatchJson.Events(b).Any(e => e.GetProperty("properties").GetProperty("seq").GetInt32() == 199));
    }

    [Fact]
    public async Task A_drop_oldest_call_that_finds_the_queue_closing_evicts_nothing_for_an_event_it_then_refuses()
    {
        // The queue is full; the caller evicts the oldest, and the shutdown closes the queue before the new event is in (here
        // from the eviction's own OnBatchSettled, a documented place to shut down from): the new event was refused, and an
        // accepted event dropped for nothing. The new event's place is now claimed first: it is in, and delivered.
        var hold = new SerializerHold();
        SluiceEngine? engine = null;
        Task<ShutdownResult>? shutdown = null;
        var fates = new FateLog();
        var options = new SluiceOptions { QueueCapacity = 4, FullMode = FullMode.DropOldest, OnDiagnostic = hold.OnDiagnostic };
        options.OnBatchSettled = (in SettledEvents settled) =>
        {
            fates.Callback(in settled);
            if (settled.Outcomes[0] == EventOutcome.Evicted)
                shutdown ??= engine!.ShutdownAsync();
        };
        engine = new SluiceEngine(options, new InMemoryTransport());
        hold.Arm();
        Assert.True(engine.Track(SerializerHold.HoldUserId(options), "e").IsAccepted);
        Assert.True(hold.WaitHeld(TimeSpan.FromSeconds(30)), "the serializer is held");
        for (int i = 0; i < 4; i++)
            Assert.Equal(EnqueueStatus.Accepted, new TestEvent(i, false, "").SendTo(engine));

        var evicting = new TestEvent(4, false, "").SendTo(engine);
        Assert.NotNull(shutdown);
        hold.Release();
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EnqueueStatus.Accepted, evicting.Status);
        var c = result.Counters;
        Assert.Equal((1L, 4L, 0L), (c.Evicted, c.Delivered, c.RefusedShutdown));
        Conservation.AssertBalanced(c);
        Assert.Equal(EventOutcome.Evicted, fates.BySequence()[1].Outcome); // the hold event is sequence 0
    }

    [Fact]
    public async Task Wait_mode_blocks_then_refuses_after_the_timeout()
    {
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 2, MaxBatchEvents = 1, MaxConcurrentSends = 1, FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromMilliseconds(20) }, gate);
        var results = Enumerable.Range(0, 20).Select(i => new TestEvent(i, false, "").SendTo(engine)).ToList();
        Assert.Contains(results, r => r.Status == EnqueueStatus.QueueFull);
        gate.Open();
        var result = await engine.ShutdownAsync();
        Assert.Equal(results.Count(r => r == EnqueueStatus.Accepted), result.Counters.Delivered);
        Assert.Equal(results.Count(r => r.Status == EnqueueStatus.QueueFull), result.Counters.RefusedQueueFull);
    }

    [Fact]
    public async Task Wait_mode_times_out_in_real_time_even_when_the_engines_clock_is_a_manual_one()
    {
        // FullModeWaitTimeout bounds how long a calling thread is blocked: a test's manual clock, which nobody advances
        // while the test's own thread is blocked in Track, must not block it for good (the engine fuzzer's producer hung so).
        var clock = new ManualTimeProvider();
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, QueueCapacity = 2, MaxBatchEvents = 1, MaxConcurrentSends = 1,
            FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromMilliseconds(20),
        }, gate);

        var results = await Task.Run(() => Enumerable.Range(0, 20).Select(i => new TestEvent(i, false, "").SendTo(engine)).ToList())
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains(results, r => r.Status == EnqueueStatus.QueueFull);
        gate.Open();
        var result = await engine.ShutdownAsync();
        Assert.Equal(results.Count(r => r.IsAccepted), result.Counters.Delivered);
    }

    [Fact]
    public async Task At_the_shutdown_deadline_events_in_flight_have_an_unknown_outcome_and_the_unsent_ones_are_lost()
    {
        var clock = new ManualTimeProvider();
        var gate = new GateTransport(); // never opened
        var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 2, ShutdownTimeout = TimeSpan.FromSeconds(3) }, gate);
        for (int i = 0; i < 95; i++)
            new TestEvent(i, false, "").SendTo(engine);

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => gate.Waiting == 2, "both senders hold a request in flight");
        // Sends start as batches fill, before the shutdown (which runs on the pool) arms its deadline:
        // passing the time before the deadline exists would leave it 3 s ahead, never due.
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(3)), "the shutdown deadline");
        Assert.False(shutdown.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(3));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.TimedOut);
        Assert.Equal(20, result.OutcomeUnknown); // two full batches were being sent: the server may have them
        Assert.Equal(75, result.LostAtShutdown);  // never sent
        Assert.Equal(0, result.Counters.InFlight);
        Assert.Empty(gate.Batches);
        Assert.Equal(0, engine.HeldBatchBodies);
    }

    [Theory]
    [InlineData(1)] // the last attempt: it expired
    [InlineData(3)] // attempts left: a retry was announced after the deadline
    public async Task A_send_the_deadline_cancels_is_of_unknown_outcome_whatever_exception_the_transport_ends_it_with(int maxAttempts)
    {
        // A transport honours the token its own way: an RPC client's cancelled status, a socket's IOException. The request
        // was in flight when the deadline passed, so its events are of unknown outcome (IBatchTransport's contract), like
        // those of a transport that throws OperationCanceledException; not expired, and not retried.
        var clock = new ManualTimeProvider();
        var transport = new CancelledAsIOExceptionTransport();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 1, MaxSendAttempts = maxAttempts, ShutdownTimeout = TimeSpan.FromSeconds(3),
            OnDiagnostic = diagnostics.Enqueue,
        }, transport);
        for (int i = 0; i < 10; i++)
            new TestEvent(i, false, "").SendTo(engine);

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => transport.Waiting == 1, "the batch in flight");
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(3)), "the shutdown deadline");
        clock.Advance(TimeSpan.FromSeconds(3));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        Assert.Equal(10, result.OutcomeUnknown);
        Assert.Equal(0, result.Counters.Expired);
        Assert.Equal(0, result.Counters.Retries);
        Assert.DoesNotContain(diagnostics, d => d.Kind is DiagnosticKind.SendFailed or DiagnosticKind.BatchFailed);
        Conservation.AssertBalanced(result.Counters);
    }

    /// <summary>Waits for the token, then ends the send with an IOException, as an aborted socket would.</summary>
    private sealed class CancelledAsIOExceptionTransport : Sluice.Delivery.IBatchTransport
    {
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public async ValueTask<Sluice.Delivery.SendResult> SendAsync(Sluice.Batching.Batch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new IOException("The I/O operation has been aborted.");
            }

            return Sluice.Delivery.SendResult.Delivered;
        }
    }

    [Fact]
    public async Task A_send_stuck_in_a_transport_that_ignores_cancellation_is_written_off_as_of_unknown_outcome_after_a_grace()
    {
        var clock = new ManualTimeProvider();
        var stuck = new StuckTransport();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 1, ShutdownTimeout = TimeSpan.FromSeconds(3), OnDiagnostic = diagnostics.Enqueue,
        }, stuck);
        for (int i = 0; i < 35; i++)
            new TestEvent(i, false, "").SendTo(engine);

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => stuck.Stuck == 1, "a send stuck in the transport");
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(3)), "the shutdown deadline");
        clock.Advance(TimeSpan.FromSeconds(3));
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(1)), "the grace after the deadline");
        Assert.False(shutdown.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.TimedOut);
        Assert.Equal(10, result.OutcomeUnknown);  // the stuck request: the server may have it
        Assert.Equal(25, result.LostAtShutdown);  // the batches behind it, never sent (regression: those still queued were never settled)
        Assert.Equal(0, result.Counters.InFlight);
        Assert.Equal(1, engine.HeldBatchBodies);  // the stuck batch's memory is left to the transport still reading it
        Assert.Equal(10, diagnostics.Where(d => d.Kind == DiagnosticKind.OutcomeUnknown).Sum(d => d.EventCount));

        stuck.Release(); // the late answer changes nothing: its events are settled already
        await Eventually.True(() => engine.HeldBatchBodies == 0, "the stuck batch released once its send returns");
        Assert.Equal(0, engine.GetCounters().Delivered);
    }

    [Fact]
    public async Task Dispose_called_from_a_diagnostic_on_the_serializers_thread_starts_the_shutdown_without_waiting_for_itself()
    {
        // A host that disposes the engine from its OnDiagnostic sink: the serializer reports an oversize event on its own
        // thread, and the shutdown waits for the serializer. Blocking there hung the serializer and every shutdown for good,
        // whatever ShutdownTimeout (the manual clock here never lets the deadline pass, so only the drain can end it).
        var clock = new ManualTimeProvider();
        var transport = new InMemoryTransport();
        SluiceEngine? engine = null;
        var disposeReturned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SluiceOptions { TimeProvider = clock, FlushInterval = TimeSpan.FromHours(1) };
        options.OnDiagnostic = d =>
        {
            if (d.Kind != DiagnosticKind.EventOversize)
                return;
            engine!.Dispose();
            disposeReturned.TrySetResult();
        };
        engine = new SluiceEngine(options, transport);
        for (int i = 0; i < 5; i++)
            new TestEvent(i, false, "").SendTo(engine);
        Assert.True(engine.Track(SerializerHold.HoldUserId(options), "e").IsAccepted);

        await disposeReturned.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var result = await engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.TimedOut);
        Assert.Equal(5, result.Counters.Delivered);
        Assert.Equal(1, result.Counters.RejectedOversize);
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(EnqueueStatus.ShuttingDown, engine.Track("late", "e").Status);
    }

    [Fact]
    public async Task Dispose_called_from_OnBatchSettled_on_a_senders_thread_starts_the_shutdown_without_waiting_for_itself()
    {
        // The same from a sender: the shutdown waits for the senders, so a sender blocked in Dispose could only be
        // written off after the deadline and its grace (never, with this clock), its batch settled as of unknown outcome.
        var clock = new ManualTimeProvider();
        var transport = new GateTransport(); // opened once every event is accepted: Dispose then refuses none of them
        SluiceEngine? engine = null;
        var disposeReturned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fates = new FateLog();
        var options = new SluiceOptions { TimeProvider = clock, MaxBatchEvents = 2, MaxConcurrentSends = 1 };
        options.OnBatchSettled = (in SettledEvents settled) =>
        {
            fates.Callback(in settled);
            if (disposeReturned.Task.IsCompleted)
                return;
            engine!.Dispose();
            disposeReturned.TrySetResult();
        };
        engine = new SluiceEngine(options, transport);
        for (int i = 0; i < 6; i++)
            Assert.Equal(EnqueueStatus.Accepted, new TestEvent(i, false, "").SendTo(engine));
        transport.Open();

        await disposeReturned.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var result = await engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.TimedOut);
        Assert.Equal(6, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.OutcomeUnknown);
        Conservation.AssertBalanced(result.Counters);
        Assert.All(fates.BySequence().Values, f => Assert.Equal(EventOutcome.Delivered, f.Outcome));
    }

    [Fact]
    public async Task A_transport_that_throws_is_retried_then_its_batches_expire_and_the_engine_goes_on()
    {
        var diagnostics = new List<DiagnosticEvent>();
        var transport = new ThrowingTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            MaxBatchEvents = 5, MaxSendAttempts = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1), OnDiagnostic = d => { lock (diagnostics) diagnostics.Add(d); },
        }, transport);
        for (int i = 0; i < 23; i++)
            new TestEvent(i, false, "").SendTo(engine);
        var result = await engine.ShutdownAsync();

        // The transport contract: an exception is a transient failure, retried within the attempt budget.
        Assert.Equal(23, result.Counters.Expired);
        Assert.Equal(10, transport.Calls);
        Assert.Equal(0, result.Counters.InFlight);
        Assert.Contains(diagnostics, d => d.Kind == DiagnosticKind.SendFailed && d.Exception is IOException);
    }

    [Fact]
    public async Task The_file_transport_writes_each_batch_byte_for_byte_as_the_in_memory_one_receives_it()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sluice-file-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var memory = new InMemoryTransport();
            // The last batches span several pooled blocks: the file is written from all of them.
            var events = Enumerable.Range(0, 30).Select(i => new TestEvent(i, i % 3 == 0, new string('é', i)))
                .Concat(Enumerable.Range(30, 8).Select(i => new TestEvent(i, false, new string('x', 40_000)))).ToArray();
            foreach (var transport in new Sluice.Delivery.IBatchTransport[] { memory, new FileTransport(dir) })
            {
                var engine = new SluiceEngine(new SluiceOptions { MaxBatchEvents = 4 }, transport);
                foreach (var e in events)
                    e.SendTo(engine);
                await engine.DisposeAsync();
            }

            var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(memory.Batches.Count, files.Length);
            Assert.Contains(memory.Batches, b => b.Body.Length > Sluice.Batching.BatchMemory.BlockSize);
            foreach (var batch in memory.Batches)
            {
                string name = $"{batch.Sequence:D8}-{batch.EndpointPath.Trim('/').Replace('/', '-')}.json";
                Assert.Equal(batch.Body, await File.ReadAllBytesAsync(Path.Combine(dir, name)));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
