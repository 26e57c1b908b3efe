using System.Text.Json;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// The spool through the engine: batches a server does not take within the retry budget, or by the shutdown deadline, stay
/// in the spool (counted as spooled, never expired or lost); the next engine on the directory sends them first, as written,
/// with send-time fields stamped again; damage is counted and skipped; the cap evicts oldest first; one engine per directory.
/// </summary>
public sealed class EngineSpoolTests : IDisposable
{
    private readonly TempDirectory _directory = new("sluice-engine-spool");
    private readonly ManualTimeProvider _time = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        _directory.Dispose();
    }

    private static ScriptedTransport Down() => new(_ => SendResult.Retry("503 Service Unavailable", statusCode: 503));

    private static ScriptedTransport Up() => new(_ => SendResult.Delivered);

    // Ten events of these tests take about 1.2 KB; a byte limit this low lets a spool of a few KB hold a full batch.
    private const int SmallBatchBytes = 4_000;

    private SluiceEngine Engine(IBatchTransport transport, Action<SpoolOptions>? spool = null, ISpoolFileIO? io = null)
    {
        var spoolOptions = new SpoolOptions { DirectoryPath = _directory.Path };
        spool?.Invoke(spoolOptions);
        return new SluiceEngine(new SluiceOptions
        {
            WireFormat = new SegmentFormat(),
            MaxBatchEvents = 10,
            MaxBatchBytes = SmallBatchBytes,
            FlushInterval = TimeSpan.FromDays(1),
            MaxSendAttempts = 1, // the first transient failure spends the retry budget: an outage longer than it, without waiting
            TimeProvider = _time,
            OnDiagnostic = d =>
            {
                lock (_diagnostics)
                    _diagnostics.Add(d);
            },
            Spool = spoolOptions,
            SpoolFileIO = io ?? SpoolFileIO.Instance,
        }, transport);
    }

    private List<DiagnosticEvent> DiagnosticsOf(DiagnosticKind kind)
    {
        lock (_diagnostics)
            return [.. _diagnostics.Where(d => d.Kind == kind)];
    }

    /// <summary>The message ids of the attempts' bodies, in the order the engine sealed (or replayed) the batches.</summary>
    private static List<string> MessageIds(IEnumerable<ScriptedTransport.Attempt> attempts) =>
        [.. attempts.OrderBy(a => a.Batch.Sequence).SelectMany(a => BatchJson.Events(a.Batch, "batch")).Select(e => e.GetProperty("messageId").GetString()!)];

    private static DateTimeOffset SentAt(ScriptedTransport.Attempt attempt)
    {
        using var doc = JsonDocument.Parse(attempt.Batch.Body);
        return doc.RootElement.GetProperty("sentAt").GetDateTimeOffset();
    }

    private static void Track(SluiceEngine engine, int from, int count)
    {
        for (int i = from; i < from + count; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("user-1", $"event-{i}").Status);
    }

    [Fact]
    public async Task Batches_a_server_down_longer_than_the_retry_budget_did_not_take_stay_in_the_spool_and_the_next_engine_sends_them_first_as_written()
    {
        var down = Down();
        await using (var first = Engine(down))
        {
            Track(first, 0, 25);
            await first.FlushAsync();
            var result = await first.ShutdownAsync();

            Assert.Equal(25, result.Spooled);
            Assert.Equal(0, result.Counters.Expired);
            Assert.Equal(0, result.LostAtShutdown);
            Assert.Equal(0, result.Counters.InFlight);
            Assert.Equal(25, DiagnosticsOf(DiagnosticKind.Spooled).Sum(d => d.EventCount));
            Assert.Empty(DiagnosticsOf(DiagnosticKind.BatchFailed));
        }

        var written = MessageIds(down.Attempts);
        Assert.Equal(25, written.Distinct().Count());
        var firstSentAt = down.Attempts.Select(SentAt).ToList();

        _time.Advance(TimeSpan.FromHours(3));
        var up = Up();
        await using (var second = Engine(up))
        {
            Track(second, 100, 5);
            await second.FlushAsync();
            var result = await second.ShutdownAsync();

            Assert.Equal(30, result.Counters.Delivered);
            Assert.Equal(25, result.Counters.Replayed);
            Assert.Equal(3, result.Counters.BatchesReplayed);
            Assert.Equal(5, result.Counters.Accepted);
            Assert.Equal(0, result.Counters.InFlight);
            Assert.Equal(0, result.Spooled);
            Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolReplayed));
        }

        // First, in order, with the same message ids; then the new events.
        var delivered = MessageIds(up.Attempts);
        Assert.Equal(written, delivered.Take(25));
        Assert.Equal(5, delivered.Skip(25).Except(written).Count());
        Assert.Equal([0, 1, 2, 3], up.Attempts.Select(a => (int)a.Batch.Sequence).Order());

        // sentAt is the time of each send, not of the first run's.
        Assert.All(up.Attempts, a => Assert.Equal(_time.GetUtcNow(), SentAt(a)));
        Assert.All(firstSentAt, at => Assert.True(at < _time.GetUtcNow()));

        // Everything acknowledged: nothing is left for a third engine to send.
        var left = await SpoolStatusAsync();
        Assert.Equal((0L, 0L), (left.Batches, left.Events));

        // Senders that take each batch as it comes never leave one waiting on disk only.
        Assert.Empty(DiagnosticsOf(DiagnosticKind.SpoolBacklog));
    }

    [Fact]
    public async Task Delivered_and_rejected_batches_are_acknowledged_and_not_sent_again()
    {
        var transport = new ScriptedTransport(a => a.Contains("event-3") ? SendResult.Rejected("bad event", 400) : SendResult.Delivered);
        await using (var first = Engine(transport))
        {
            Track(first, 0, 20);
            var result = await first.ShutdownAsync();
            Assert.Equal(19, result.Counters.Delivered);
            Assert.Equal(1, result.Counters.RejectedByServer);
            Assert.Equal(0, result.Spooled);
        }

        // Nothing is left to send: every record was acknowledged (a next engine shut down at once would not show it).
        var status = await SpoolStatusAsync();
        Assert.Equal((0L, 0L), (status.Batches, status.Events));
    }

    /// <summary>
    /// An engine whose one sender is stuck on its first batch: the sealed queue holds ten more behind it (two for the
    /// sender, eight for the spool's sync window), then the serializer waits for room. Shutdown deadline: 5 s.
    /// </summary>
    private SluiceEngine StuckEngine(GateTransport stuck, TimeSpan? flushInterval = null, long spoolBytes = 1L << 30) =>
        StuckEngineOn(SpoolFileIO.Instance, stuck, flushInterval, spoolBytes);

    private long SpoolSuspendedGauge()
    {
        using var gauge = new MetricCollector<long>(_meters, SluiceMetrics.MeterName, "sluice.spool.suspended");
        gauge.RecordObservableInstruments();
        return gauge.LastMeasurement!.Value;
    }

    private SluiceEngine StuckEngineOn(ISpoolFileIO io, IBatchTransport stuck, TimeSpan? flushInterval = null, long spoolBytes = 1L << 30, TimeSpan? syncInterval = null) => new(new SluiceOptions
    {
        SpoolFileIO = io,
        MeterFactory = _meters,
        WireFormat = new SegmentFormat(),
        MaxBatchEvents = 10,
        MaxBatchBytes = SmallBatchBytes,
        MaxConcurrentSends = 1,
        FlushInterval = flushInterval ?? TimeSpan.FromDays(1),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        TimeProvider = _time,
        OnDiagnostic = d =>
        {
            lock (_diagnostics)
                _diagnostics.Add(d);
        },
        Spool = new SpoolOptions
        {
            DirectoryPath = _directory.Path, MaxBytes = spoolBytes, SegmentBytes = Math.Min(spoolBytes / 2, 16L << 20), SyncInterval = syncInterval ?? TimeSpan.FromSeconds(1),
        },
    }, stuck);

    private ValueTask<SpoolStatus> SpoolStatusAsync() => SpoolInspector.InspectAsync(_directory.Path, _time);

    /// <summary>The event names of what <paramref name="transport"/> received, in the order it received them.</summary>
    private static List<string> EventNames(GateTransport transport) =>
        [.. transport.Batches.SelectMany(b => BatchJson.Events(b, "batch")).Select(e => e.GetProperty("event").GetString()!)];

    /// <summary>Shuts <paramref name="engine"/> down, checks the spool holds <paramref name="events"/> before the deadline, then lets the deadline pass.</summary>
    private async Task<ShutdownResult> ShutDownPastTheDeadlineAsync(SluiceEngine engine, long read, long events)
    {
        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => _time.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the shutdown deadline is armed");

        // Durable before the deadline, not at it: a crash now would lose nothing accepted.
        await Eventually.True(() => engine.Processed == read, "the serializer read the rest of the queue");
        await Eventually.True(async () => (await SpoolInspector.InspectAsync(_directory.Path, _time)).Events == events, "the spool holds every event");

        _time.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.TimedOut);
        Assert.Equal(0, result.LostAtShutdown);
        Assert.Equal(0, result.OutcomeUnknown);
        return result;
    }

    /// <summary>A fresh engine on the spool, its server up, delivers <paramref name="events"/> events, each once.</summary>
    private async Task NextEngineDeliversEachOnceAsync(int events)
    {
        var up = Up();
        await using (var next = Engine(up))
        {
            await next.FlushAsync();
            Assert.Equal(events, next.GetCounters().Delivered);
        }

        Assert.Equal(events, MessageIds(up.Attempts).Distinct().Count());
    }

    [Fact]
    public async Task A_batch_pending_at_the_shutdown_deadline_stays_in_the_spool_instead_of_being_lost()
    {
        var stuck = new GateTransport();
        var first = StuckEngine(stuck);
        Track(first, 0, 10);
        await Eventually.True(() => stuck.Waiting == 1, "the batch is being sent");

        var result = await ShutDownPastTheDeadlineAsync(first, read: 10, events: 10);

        Assert.Equal(10, result.Spooled);
        await NextEngineDeliversEachOnceAsync(10);
    }

    [Fact]
    public async Task Shutting_down_with_the_sealed_queue_full_writes_every_queued_event_to_the_spool_at_once_and_loses_none_at_the_deadline()
    {
        // The serializer waits for room with the twelfth batch; 85 events are still in the event queue, the last 5 of them
        // for a batch that is not full. Without the spool all 85 are lost at the deadline.
        var stuck = new GateTransport();
        var first = StuckEngine(stuck);
        Track(first, 0, 205);
        await Eventually.True(() => stuck.Waiting == 1 && first.Processed == 120, "one batch is being sent, ten are queued and the serializer holds the twelfth");
        Assert.Equal(12, (await SpoolInspector.InspectAsync(_directory.Path, _time)).Batches);

        var result = await ShutDownPastTheDeadlineAsync(first, read: 205, events: 205);

        Assert.Equal(205, result.Spooled);
        await NextEngineDeliversEachOnceAsync(205);
    }

    /// <summary>Advances the clock a flush interval at a time until the event queue is empty and the spool holds <paramref name="events"/>.</summary>
    /// <summary>
    /// Advances the clock until the spool holds <paramref name="events"/> events, none waits in the event queue, and all but
    /// the 110 delivery holds (one batch being sent, ten queued) wait on disk only: a batch is appended to the spool just
    /// before it joins the backlog, so the spool's count alone may be read between the two.
    /// </summary>
    private async Task BacklogOnDiskAsync(SluiceEngine engine, TimeSpan flushInterval, long events) =>
        await Eventually.True(async () =>
        {
            _time.Advance(flushInterval);
            return engine.QueueLength == 0 && (await SpoolStatusAsync()).Events == events && engine.EventsWaitingOnDisk == events - 110;
        }, $"the spool holds {events} events, none waits in the event queue, and all but the 110 delivery holds wait on disk");

    [Fact]
    public async Task A_batch_read_back_from_the_backlog_on_disk_is_bisected_by_its_own_event_ends_when_the_server_refuses_one_event()
    {
        // A batch waiting on disk only gives its event ends back to the pool with its body, so that a backlog costs no memory
        // per event; read back, it gets both from the spool again, and a 400 for one of its events is bisected down to it.
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngineOn(SpoolFileIO.Instance, new RefusingOne(stuck, "event-157"), flushInterval);
        Track(engine, 0, 205);
        await Eventually.True(() => stuck.Waiting == 1 && engine.Processed == 120, "one batch is being sent, ten are queued and the serializer holds the twelfth");
        await BacklogOnDiskAsync(engine, flushInterval, 205);

        stuck.Open();
        await Eventually.True(() => engine.GetCounters().Delivered == 204, "the backlog is read back and delivered but the refused event");

        var counters = engine.GetCounters();
        Assert.Equal((1L, 0L), (counters.RejectedByServer, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 205).Where(i => i != 157).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Equal(0, (await SpoolStatusAsync()).Events);
        await engine.ShutdownAsync();
        Assert.Equal(0, engine.HeldBatchBodies);
    }

    /// <summary>Refuses (400) every request holding the event named <paramref name="poison"/>; the others go through <paramref name="inner"/>.</summary>
    private sealed class RefusingOne(GateTransport inner, string poison) : IBatchTransport
    {
        public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken) =>
            System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, batch.Body).Contains($"\"{poison}\"", StringComparison.Ordinal)
                ? ValueTask.FromResult(SendResult.Rejected("bad event", 400))
                : inner.SendAsync(batch, cancellationToken);
    }

    [Fact]
    public async Task While_the_senders_take_no_batch_for_the_flush_interval_new_batches_wait_on_disk_only_and_are_sent_in_order_once_each_when_they_resume()
    {
        // One batch is being sent, ten are queued, the serializer holds the twelfth and 85 events wait in the event queue.
        // Without the backlog on disk those 85, and every event tracked after them, wait in memory for as long as the
        // sender is stuck (a crash loses them); with it, the serializer goes on after the flush interval.
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval);
        Track(engine, 0, 205);
        await Eventually.True(() => stuck.Waiting == 1 && engine.Processed == 120, "one batch is being sent, ten are queued and the serializer holds the twelfth");
        long inMemory = engine.BatchMemoryInUse; // the eleven batches delivery holds and the twelfth, a block each

        await BacklogOnDiskAsync(engine, flushInterval, 205);
        var backlog = Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolBacklog));
        Assert.Equal(DiagnosticSeverity.Warning, backlog.Severity);
        Assert.Equal(10, backlog.EventCount);
        Assert.Contains($"took no batch for 30 s (the endpoint is failing or slow): new batches wait in the spool '{_directory.Path}' only, not in memory", backlog.Message, StringComparison.Ordinal);

        // Events tracked while the sender is still stuck go straight to disk too, and none of them holds memory.
        Track(engine, 205, 50);
        await BacklogOnDiskAsync(engine, flushInterval, 255);
        Assert.Equal(255 - 110, engine.EventsWaitingOnDisk); // all but the eleven batches delivery holds
        using (var backlogGauge = new MetricCollector<long>(_meters, SluiceMetrics.MeterName, "sluice.spool.backlog"))
        {
            backlogGauge.RecordObservableInstruments();
            Assert.Equal(255 - 110, backlogGauge.LastMeasurement!.Value);
        }

        Assert.InRange(engine.BatchMemoryInUse, BatchMemory.BlockSize, inMemory); // nothing grew with the backlog of fifteen batches
        Assert.Equal(1, stuck.Waiting);

        // No event and no flush comes, and the serializer is parked idle (no timer of its own): the room the sender makes
        // wakes it for the backlog.
        await Eventually.True(() => engine.SerializerIdle, "the serializer parks idle");
        stuck.Open();
        await Eventually.True(() => engine.GetCounters().Delivered == 255, "the backlog is read back and delivered");
        Assert.Equal(0, engine.EventsWaitingOnDisk);
        Assert.Equal(Enumerable.Range(0, 255).Select(i => $"event-{i}"), EventNames(stuck));

        // A second outage: the same again.
        stuck.Close();
        Track(engine, 255, 205);
        await Eventually.True(() => stuck.Waiting == 1, "the sender is stuck again");
        await BacklogOnDiskAsync(engine, flushInterval, 205);
        await Eventually.True(() => engine.SerializerIdle, "the serializer parks idle");
        stuck.Open();
        await Eventually.True(() => engine.GetCounters().Delivered == 460, "the second backlog is delivered");

        var counters = engine.GetCounters();
        Assert.Equal((460L, 0L, 0L, 0L), (counters.Delivered, counters.Spooled, counters.LostAtShutdown, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 460).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Equal(0, (await SpoolStatusAsync()).Events);
        Assert.Equal(2, DiagnosticsOf(DiagnosticKind.SpoolBacklog).Count);
        await engine.ShutdownAsync();
        Assert.Equal(0, engine.HeldBatchBodies);
    }

    [Fact]
    public async Task A_batch_whose_sync_failed_before_its_send_is_not_counted_as_kept_in_the_spool_at_the_deadline()
    {
        var io = new FailingFileIO();
        var stuck = new GateTransport();
        var engine = StuckEngineOn(io, stuck);
        io.FlushFails = true; // the device fails the sync before the first send: the batch goes, but is not known to be on disk
        Track(engine, 0, 10);
        await Eventually.True(() => stuck.Waiting == 1, "the batch is being sent");
        io.FlushFails = false;

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => _time.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the shutdown deadline is armed");
        _time.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        var c = result.Counters;
        Assert.Equal((0L, 0L, 10L, 10L), (c.Spooled, c.LeftInSpool, c.OutcomeUnknown + c.LostAtShutdown, c.SpoolEvicted));
        Assert.Contains(DiagnosticsOf(DiagnosticKind.SpoolEvicted), d => d.Message.Contains("could not sync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_the_per_batch_policy_a_batch_whose_sync_fails_as_it_would_wait_on_disk_only_waits_in_memory_and_is_delivered()
    {
        // As below, but the sync that was to make the twelfth or the thirteenth batch durable before its memory goes fails: the
        // spool gives it up, so its memory is all that holds it.
        var io = new FailingFileIO();
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(10);
        await using var engine = StuckEngineOn(io, stuck, flushInterval, syncInterval: TimeSpan.FromMinutes(1));
        try
        {
            Track(engine, 0, 130);
            await Eventually.True(() => stuck.Waiting == 1 && engine.Processed == 120, "the serializer holds the twelfth batch");
            io.FlushFails = true;
            await Eventually.True(() =>
            {
                _time.Advance(flushInterval);
                return DiagnosticsOf(DiagnosticKind.SpoolEvicted).Count == 1;
            }, "a sync before a batch was to wait on disk only failed");
            io.FlushFails = false;
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var c = engine.GetCounters();
        Assert.Equal((130L, 0L, 0L), (c.Delivered, c.LostAtShutdown, c.Spooled));
        Assert.Equal(Enumerable.Range(0, 130).Select(i => $"event-{i}"), EventNames(stuck));
    }

    [Fact]
    public async Task Under_the_per_batch_policy_a_batch_is_synced_before_it_waits_on_disk_only()
    {
        // The first send's sync covered the twelve batches appended by then; the thirteenth is appended after it. No send
        // will sync it (there is none until the outage ends) and the periodic sync is a minute away.
        var io = new FailingFileIO();
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(10);
        await using var engine = StuckEngineOn(io, stuck, flushInterval, syncInterval: TimeSpan.FromMinutes(1));
        try
        {
            Track(engine, 0, 130);
            await Eventually.True(() => stuck.Waiting == 1 && engine.Processed == 120, "the serializer holds the twelfth batch");
            int synced = io.Flushes;
            await Eventually.True(() =>
            {
                _time.Advance(flushInterval);
                return engine.EventsWaitingOnDisk == 20;
            }, "the twelfth and thirteenth batches wait on disk");

            Assert.True(io.Flushes > synced, "the thirteenth batch was synced before it went to disk only");
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(130, engine.GetCounters().Delivered);
    }

    [Fact]
    public async Task Batches_the_spool_cannot_write_never_wait_on_disk_they_wait_in_memory_for_room()
    {
        var io = new FailingFileIO { DiskFull = true };
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngineOn(io, stuck, flushInterval);
        try
        {
            Track(engine, 0, 205);
            await Eventually.True(() => stuck.Waiting == 1 && engine.Processed == 120, "the serializer holds the twelfth batch");
            for (int i = 0; i < 5; i++)
                _time.Advance(flushInterval);
            await Task.Delay(100);

            Assert.Empty(DiagnosticsOf(DiagnosticKind.SpoolBacklog));
            Assert.Equal(120, engine.Processed); // still waiting for room with the twelfth, from memory
            Assert.Equal(85, engine.QueueLength);
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(205, engine.GetCounters().Delivered);
        Assert.Equal(Enumerable.Range(0, 205).Select(i => $"event-{i}"), EventNames(stuck));
    }

    [Fact]
    public async Task Batches_sealed_while_a_backlog_waits_on_disk_and_the_disk_fails_wait_in_memory_behind_it_in_order()
    {
        var io = new FailingFileIO();
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngineOn(io, stuck, flushInterval);
        try
        {
            Track(engine, 0, 205);
            await BacklogOnDiskAsync(engine, flushInterval, 205);

            io.DiskFull = true;
            Track(engine, 205, 100);
            for (int i = 0; i < 5; i++)
                _time.Advance(flushInterval);
            await Eventually.True(() => engine.Processed > 205, "the serializer read on");
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var counters = engine.GetCounters();
        Assert.Equal((305L, 0L, 0L), (counters.Delivered, counters.Failed, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 305).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Empty(DiagnosticsOf(DiagnosticKind.InternalError));
    }

    [Fact]
    public async Task A_backlog_on_disk_grows_again_once_a_failed_disk_is_written_again_during_the_same_outage()
    {
        // The disk fails for one batch while a backlog waits on disk, then works again. The spool stops writing for
        // RetryWritesAfter, not for as long as the outage lasts: once that has passed, that batch and the ones after it
        // join the backlog on disk and the event queue drains again, while the sender is still stuck.
        var io = new FailingFileIO();
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngineOn(io, stuck, flushInterval);
        try
        {
            Track(engine, 0, 205);
            await BacklogOnDiskAsync(engine, flushInterval, 205);

            io.DiskFull = true;
            Track(engine, 205, 10);
            await Eventually.True(() => engine.Processed == 215 && DiagnosticsOf(DiagnosticKind.SpoolSuspended).Count == 1, "the batch the disk could not take was sealed");
            Assert.Equal(1, SpoolSuspendedGauge());
            io.DiskFull = false;
            _time.Advance(DiskSpool.RetryWritesAfter);

            Track(engine, 215, 50);
            await BacklogOnDiskAsync(engine, flushInterval, 265);
            Assert.Equal(1, stuck.Waiting);
            Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolResumed));
            Assert.Equal(0, SpoolSuspendedGauge());
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var counters = engine.GetCounters();
        Assert.Equal((265L, 0L, 0L, 0L), (counters.Delivered, counters.Spooled, counters.SpoolEvicted, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 265).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Equal(0, (await SpoolStatusAsync()).Events);
    }

    [Fact]
    public async Task A_batch_damaged_on_disk_while_it_waits_there_stays_spooled_and_the_rest_is_delivered()
    {
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval);
        Track(engine, 0, 205);
        await BacklogOnDiskAsync(engine, flushInterval, 205);

        // The thirteenth batch (events 120–129) waits on disk only: flip a byte of its body there.
        var segment = Directory.GetFiles(_directory.Path, "*.segment").Single();
        byte[] bytes = File.ReadAllBytes(segment);
        int at = Find(bytes, "\"event-125\""u8);
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = at + 2;
            file.WriteByte((byte)'X');
        }

        stuck.Open();
        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var counters = engine.GetCounters();
        Assert.Equal((195L, 10L, 0L), (counters.Delivered, counters.Spooled, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 205).Where(i => i is < 120 or >= 130).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolFileFailed));
        Assert.Empty(DiagnosticsOf(DiagnosticKind.InternalError));

        static int Find(byte[] haystack, ReadOnlySpan<byte> needle)
        {
            int index = haystack.AsSpan().IndexOf(needle);
            Assert.True(index >= 0, "the event is in the segment");
            return index;
        }
    }

    [Fact]
    public async Task A_backlog_whose_segment_can_no_longer_be_opened_stays_spooled_and_a_flush_still_completes()
    {
        // The segment the backlog waits in cannot be opened any more (access denied: what a permission change on the
        // directory does; a directory in its place does it even for root). Each batch waiting there is settled as spooled,
        // reported, and nothing is left unaccounted for.
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval);
        Track(engine, 0, 205);
        await BacklogOnDiskAsync(engine, flushInterval, 205);
        Assert.Equal(95, engine.EventsWaitingOnDisk);

        string segment = Directory.GetFiles(_directory.Path, "*.segment").Single();
        File.Move(segment, segment + ".moved"); // the engine's open handle writes on into it
        Directory.CreateDirectory(segment);

        stuck.Open();
        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));

        var counters = engine.GetCounters();
        Assert.Equal((110L, 95L, 0L), (counters.Delivered, counters.Spooled, counters.InFlight));
        Assert.Empty(DiagnosticsOf(DiagnosticKind.InternalError));
        Assert.NotEmpty(DiagnosticsOf(DiagnosticKind.SpoolFileFailed));
        Assert.Equal(0, engine.EventsWaitingOnDisk);

        // No shutdown happened: the diagnostics say why these events were not sent, not that a deadline passed.
        var spooled = DiagnosticsOf(DiagnosticKind.Spooled);
        Assert.Equal(95, spooled.Sum(d => d.EventCount));
        Assert.All(spooled, d => Assert.Contains("were not sent (its record could not be read back from the spool, reported)", d.Message, StringComparison.Ordinal));
        Assert.All(spooled, d => Assert.DoesNotContain("deadline", d.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_backlog_on_disk_that_reaches_the_spool_cap_waits_for_room_instead_of_evicting_its_own_batches()
    {
        // A batch of ten is about 1.6 KB on disk: a 64 KiB cap holds the twelve the sender and its queue hold, and a backlog
        // of about thirty more; 100 batches are tracked.
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval, spoolBytes: 64 * 1024);
        try
        {
            Track(engine, 0, 1000);
            await Eventually.True(() => stuck.Waiting == 1, "the first batch is being sent");
            await Eventually.True(async () =>
            {
                _time.Advance(flushInterval);
                var filling = await SpoolStatusAsync();
                // Full: no room for one more batch (and a segment header), not merely close to it; a serializer paused for a
                // sync meanwhile would write on once the clock moves again.
                return filling.Batches > 0 && (64 * 1024) - filling.Bytes < (filling.Bytes / filling.Batches) + 200 && engine.Processed == filling.Events + 10;
            }, "the spool is full and the serializer holds the batch that did not fit");

            // It stays stopped where the spool was full: the rest waits in memory, nothing was evicted.
            var status = await SpoolStatusAsync();
            for (int i = 0; i < 3; i++)
                _time.Advance(flushInterval);
            await Task.Delay(50);
            var later = await SpoolStatusAsync();
            Assert.Equal((status.Batches, status.Events, status.Bytes), (later.Batches, later.Events, later.Bytes));
            Assert.InRange(status.Bytes, 1, 64 * 1024);
            Assert.Equal(status.Events + 10, engine.Processed); // the batch that did not fit waits in memory, sealed, not written
            Assert.True(engine.QueueLength > 0, "the serializer waits for room once the spool is full");
            Assert.Equal(0, engine.GetCounters().SpoolEvicted);
        }
        finally
        {
            stuck.Open();
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var counters = engine.GetCounters();
        Assert.Equal((1000L, 0L, 0L), (counters.Delivered, counters.SpoolEvicted, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"event-{i}"), EventNames(stuck));
    }

    [Fact]
    public async Task Shutting_down_with_a_backlog_that_filled_the_spool_evicts_none_of_it_to_spool_the_queue_and_all_is_delivered()
    {
        // The backlog on disk fills the spool's cap and the rest of the 1,000 events wait in memory. Shutting down writes
        // what is queued to the spool if it can, but not by evicting the backlog: those batches are on disk only, so
        // evicting them loses them even if the endpoint comes back before the deadline, as it does here.
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval, spoolBytes: 64 * 1024);
        Task<ShutdownResult> shutdown;
        try
        {
            Track(engine, 0, 1000);
            await Eventually.True(() => stuck.Waiting == 1, "the first batch is being sent");
            await Eventually.True(async () =>
            {
                _time.Advance(flushInterval);
                var filling = await SpoolStatusAsync();
                return filling.Batches > 0 && filling.Bytes > (64 * 1024) - (3 * filling.Bytes / filling.Batches) && engine.EventsWaitingOnDisk > 0 && engine.Processed == filling.Events + 10;
            }, "the backlog filled the spool and the serializer holds the batch that did not fit");

            shutdown = engine.ShutdownAsync();
            await Eventually.True(() => engine.Processed == 1000, "the serializer read the rest of the queue for the spool");
        }
        finally
        {
            stuck.Open();
        }

        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.TimedOut);
        var counters = result.Counters;
        Assert.Equal((1000L, 0L, 0L, 0L, 0L), (counters.Delivered, counters.LostAtShutdown, counters.Spooled, counters.SpoolEvicted, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"event-{i}"), EventNames(stuck));
    }

    [Fact]
    public async Task Shutting_down_with_batches_waiting_on_disk_keeps_them_spooled_and_the_next_engine_delivers_each_once()
    {
        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        var first = StuckEngine(stuck, flushInterval);
        Track(first, 0, 205);
        await Eventually.True(async () =>
        {
            _time.Advance(flushInterval);
            return first.QueueLength == 0 && (await SpoolStatusAsync()).Events == 205;
        }, "every accepted event is in the spool");

        var result = await ShutDownPastTheDeadlineAsync(first, read: 205, events: 205);

        Assert.Equal(205, result.Spooled);
        Assert.Equal(0, result.Counters.InFlight);
        await NextEngineDeliversEachOnceAsync(205);
    }

    [Fact]
    public async Task A_restart_during_an_outage_keeps_the_replayed_batches_on_disk_too_and_sends_them_before_the_new_events_once_it_ends()
    {
        // An earlier run left 15 batches; this one starts while the endpoint is still stuck. The replay's batches the
        // sender has no room for wait on disk (not read into memory while they wait), so the serializer gets to the new
        // events, which follow them to disk.
        await using (var earlier = Engine(Down()))
        {
            Track(earlier, 0, 150);
            await earlier.FlushAsync();
        }

        var stuck = new GateTransport();
        var flushInterval = TimeSpan.FromSeconds(30);
        await using var engine = StuckEngine(stuck, flushInterval);
        try
        {
            await Eventually.True(() => stuck.Waiting == 1 && engine.GetCounters().BatchesReplayed == 12, "the replay waits for room with its twelfth batch");
            Track(engine, 150, 55);
            await BacklogOnDiskAsync(engine, flushInterval, 205);
            Assert.Equal(15, engine.GetCounters().BatchesReplayed);
        }
        finally
        {
            stuck.Open(); // also when an assertion failed: the engine's disposal waits for the stuck send
        }

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var counters = engine.GetCounters();
        Assert.Equal((205L, 150L, 55L, 0L), (counters.Delivered, counters.Replayed, counters.Accepted, counters.InFlight));
        Assert.Equal(Enumerable.Range(0, 205).Select(i => $"event-{i}"), EventNames(stuck));
        Assert.Equal(0, (await SpoolStatusAsync()).Events);
    }

    [Fact]
    public async Task Shutting_down_while_the_replay_waits_for_room_writes_the_new_events_to_the_spool_too()
    {
        // An earlier run left 15 batches; this one replays them to a stuck sender and waits for room with the twelfth,
        // while 25 new events wait in the event queue behind the replay.
        await using (var earlier = Engine(Down()))
        {
            Track(earlier, 0, 150);
            await earlier.FlushAsync();
        }

        var stuck = new GateTransport();
        var second = StuckEngine(stuck);
        await Eventually.True(() => stuck.Waiting == 1 && second.GetCounters().BatchesReplayed == 12, "the replay waits for room with its twelfth batch");
        Track(second, 150, 25);

        var result = await ShutDownPastTheDeadlineAsync(second, read: 25, events: 175);

        Assert.Equal(120 + 25, result.Spooled); // the replayed batches not delivered, and the new events; the other three were never read back
        await NextEngineDeliversEachOnceAsync(175);
    }

    [Fact]
    public async Task A_torn_tail_and_a_flipped_byte_in_the_segment_are_counted_and_every_intact_batch_is_delivered()
    {
        var down = Down();
        await using (var first = Engine(down))
        {
            Track(first, 0, 40); // four batches of ten
            Assert.Equal(40, (await first.ShutdownAsync()).Spooled);
        }

        var ids = MessageIds(down.Attempts);
        string segment = Directory.GetFiles(_directory.Path, "*.segment").Single();
        byte[] bytes = File.ReadAllBytes(segment);
        int inSecond = IndexOf(bytes, ids[15]);
        bytes[inSecond] ^= 0x20; // a bit flip inside batch 2's body
        File.WriteAllBytes(segment, bytes[..^7]); // and batch 4's record cut short

        var up = Up();
        await using (var second = Engine(up))
        {
            await second.FlushAsync();
            var counters = second.GetCounters();
            Assert.Equal(2, counters.SpoolDamaged);
            Assert.Equal(20, counters.Replayed);
            Assert.Equal(20, counters.Delivered);
        }

        Assert.Equal([.. ids[..10], .. ids[20..30]], MessageIds(up.Attempts));
        Assert.Equal(2, DiagnosticsOf(DiagnosticKind.SpoolDamaged).Count);
    }

    [Fact]
    public async Task A_spool_filled_past_its_cap_evicts_the_oldest_batches_and_counts_exactly_the_events_it_evicted()
    {
        var down = Down();
        long evicted;
        await using (var first = Engine(down, o => (o.SegmentBytes, o.MaxBytes) = (4096, 3 * 4096)))
        {
            Track(first, 0, 400); // forty batches of about 1.2 KB: about 48 KB for a cap of 12 KB
            var result = await first.ShutdownAsync();
            evicted = result.Counters.SpoolEvicted;
            Assert.InRange(evicted, 1, 399);

            // A batch evicted before its retry budget ran out expires (it is nowhere to keep); the rest are spooled.
            Assert.Equal(400, result.Spooled + result.Counters.Expired);
            Assert.InRange(result.Counters.Expired, 0, evicted);
            Assert.Equal(0, result.Counters.InFlight);
            Assert.Equal(evicted, DiagnosticsOf(DiagnosticKind.SpoolEvicted).Sum(d => (long)d.EventCount));
        }

        var ids = MessageIds(down.Attempts);
        var up = Up();
        await using (var second = Engine(up, o => (o.SegmentBytes, o.MaxBytes) = (4096, 3 * 4096)))
        {
            await second.FlushAsync();
            Assert.Equal(400 - evicted, second.GetCounters().Replayed);
        }

        // Oldest first: what is left is exactly the newest events, in order.
        Assert.Equal(ids[(int)evicted..], MessageIds(up.Attempts));
    }

    [Fact]
    public async Task A_full_disk_degrades_to_memory_only_delivery_with_a_diagnostic_and_no_exception_to_the_caller()
    {
        var io = new FailingFileIO();
        var up = Up();
        await using (var engine = Engine(up, io: io))
        {
            io.DiskFull = true;
            Track(engine, 0, 30); // three batches: the first write fails and suspends the spool, the others go from memory at once
            await engine.FlushAsync();
            var result = await engine.ShutdownAsync();

            Assert.Equal(30, result.Counters.Delivered);
            Assert.Equal(0, result.Counters.InFlight);
            Assert.Equal(0, result.Spooled);
        }

        var suspended = Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolSuspended));
        Assert.Contains("the disk is full", suspended.Message, StringComparison.Ordinal);
        Assert.Equal(30, MessageIds(up.Attempts).Distinct().Count());

        // Nothing of it was spooled: a restart sends nothing again.
        var left = await SpoolStatusAsync();
        Assert.Equal((0L, 0L), (left.Batches, left.Events));
    }

    [Fact]
    public async Task Batches_not_spooled_because_the_disk_is_full_expire_as_without_a_spool()
    {
        var io = new FailingFileIO();
        await using var engine = Engine(Down(), io: io);
        io.DiskFull = true;
        Track(engine, 0, 20);
        var result = await engine.ShutdownAsync();

        Assert.Equal(20, result.Counters.Expired);
        Assert.Equal(0, result.Spooled);
        Assert.Equal(0, result.Counters.InFlight);
    }

    [Fact]
    public async Task A_second_engine_on_the_same_directory_is_refused_with_an_error_naming_the_directory()
    {
        await using var first = Engine(Up());
        var error = Assert.Throws<IOException>(() => Engine(Up()));
        Assert.Contains(_directory.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("another Sluice engine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_spool_options_are_reported_with_the_engine_options_naming_the_property()
    {
        var error = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions
        {
            MaxBatchEvents = 0,
            Spool = new SpoolOptions { DirectoryPath = " ", SegmentBytes = 1 },
        }, Up()));
        Assert.Contains("MaxBatchEvents", error.Message, StringComparison.Ordinal);
        Assert.Contains("Spool.DirectoryPath is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Spool.SegmentBytes", error.Message, StringComparison.Ordinal);
    }

    private static int IndexOf(byte[] haystack, string needle)
    {
        int at = haystack.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(needle));
        Assert.True(at >= 0, $"'{needle}' is not in the file.");
        return at;
    }
}
