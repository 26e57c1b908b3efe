using Sluice.Batching;
using Sluice.Buffering;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Diagnostics;

/// <summary>
/// <see cref="SluiceOptions.OnBatchSettled"/> in process: sequence numbers from the call's result, events that never
/// reached a batch reported without one, a throwing callback harmless, and nothing allocated per event for it.
/// </summary>
public class BatchSettledCallbackTests
{
    [Fact]
    public async Task Accepted_calls_return_dense_increasing_sequence_numbers_and_refused_ones_none()
    {
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 4, MaxBatchEvents = 1, MaxConcurrentSends = 1 }, gate);
        var results = Enumerable.Range(0, 40).Select(i => engine.Track($"u{i}", "e")).ToList();
        var accepted = results.Where(r => r.IsAccepted).ToList();
        Assert.Equal(Enumerable.Range(0, accepted.Count).Select(i => (long)i), accepted.Select(r => r.Sequence));
        Assert.Contains(results, r => r.Status == EnqueueStatus.QueueFull);
        Assert.All(results.Where(r => !r.IsAccepted), r => Assert.Equal(-1, r.Sequence));
        Assert.Equal("Accepted #3", accepted[3].ToString());
        gate.Open();
        var shutdown = await engine.ShutdownAsync();
        Assert.Equal(EnqueueStatus.ShuttingDown, engine.Track("late", "e"));
        Assert.Equal(accepted.Count, shutdown.Counters.Delivered);
    }

    [Fact]
    public void Ring_tickets_stay_unique_when_writers_evict_and_every_ticket_is_read_or_evicted_once()
    {
        // Four writers on a ring of 8 evicting the oldest: each accepted item's ticket is handed out once, and the
        // reader and the evicting writers between them take each ticket exactly once, with the item enqueued under it.
        var ring = new RingChannel<long>(8, evictingWriters: true);
        var handedOut = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        var taken = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        var writers = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            for (long i = 0; i < 20_000; i++)
            {
                long item = (w * 1_000_000L) + i;
                long ticket;
                while (ring.TryEnqueue(item, out ticket) != RingStatus.Ok)
                {
                    if (ring.TryDequeue(out long evicted, out long evictedTicket))
                        Assert.True(taken.TryAdd(evictedTicket, evicted));
                }

                Assert.True(handedOut.TryAdd(ticket, item));
            }
        })).ToList();
        writers.ForEach(t => t.Start());
        while (writers.Any(t => t.IsAlive) || ring.TotalDequeued < ring.TotalEnqueued)
        {
            if (ring.TryDequeue(out long item, out long ticket))
                Assert.True(taken.TryAdd(ticket, item));
        }

        writers.ForEach(t => t.Join());
        Assert.Equal(80_000, handedOut.Count);
        Assert.Equal(Enumerable.Range(0, 80_000).Select(i => (long)i), handedOut.Keys.Order());
        Assert.Equal(handedOut.OrderBy(p => p.Key), taken.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Events_a_drop_oldest_queue_evicts_are_reported_evicted_without_a_batch_and_the_rest_delivered()
    {
        var fates = new FateLog();
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            QueueCapacity = 4, MaxBatchEvents = 1, MaxConcurrentSends = 1, FullMode = FullMode.DropOldest, OnBatchSettled = fates.Callback,
        }, gate);
        var sequences = Enumerable.Range(0, 200).Select(i => engine.Track($"u{i}", "e").Sequence).ToList();
        gate.Open();
        var result = await engine.ShutdownAsync();

        var bySequence = fates.BySequence();
        Assert.Equal(sequences, bySequence.Keys.Order());
        var evicted = bySequence.Values.Where(f => f.Outcome == EventOutcome.Evicted).ToList();
        Assert.True(evicted.Count > 0);
        Assert.Equal(result.Counters.Evicted, evicted.Count);
        Assert.All(evicted, f => Assert.Equal((-1, -1L), (f.Partition, f.BatchSequence)));
        Assert.Equal(result.Counters.Delivered, bySequence.Values.Count(f => f.Outcome == EventOutcome.Delivered));
        Assert.Equal(200, evicted.Count + result.Counters.Delivered);
    }

    [Fact]
    public async Task The_shutdown_result_waits_for_an_eviction_whose_fate_is_being_reported()
    {
        // "OnBatchSettled receives every accepted event's terminal state, exactly once": a drop-oldest caller takes
        // the oldest record from the ring, then counts it and reports its fate on its own thread. The serializer can
        // find the ring drained in between; the shutdown's result must still come after that fate (and count it).
        var clock = new ManualTimeProvider(); // the shutdown deadline never passes here
        var fates = new FateLog();
        using var inCallback = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, QueueCapacity = 2, MaxBatchEvents = 1, MaxConcurrentSends = 1, FullMode = FullMode.DropOldest,
            OnBatchSettled = (in SettledEvents settled) =>
            {
                if (!settled.IsBatch && settled.Outcomes[0] == EventOutcome.Evicted && !inCallback.IsSet)
                {
                    inCallback.Set();
                    release.Wait();
                }

                fates.Callback(in settled);
            },
        }, gate);
        var calls = Task.Run(() => Enumerable.Range(0, 50).Select(i => engine.Track($"u{i}", "e")).ToList());
        Assert.True(inCallback.Wait(TimeSpan.FromSeconds(30)), "a call evicted the oldest event");

        var shutdown = engine.ShutdownAsync();
        gate.Open();
        await Eventually.True(() => shutdown.IsCompleted || engine.ShutdownAwaitsEvictions, "the drain finished");
        Assert.False(shutdown.IsCompleted, "no result while an evicted event's fate is being reported");

        release.Set();
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));
        var accepted = (await calls).Where(r => r.IsAccepted).Select(r => r.Sequence).ToList();
        Assert.Equal(0, result.Counters.InFlight);
        Assert.Equal(accepted, fates.BySequence().Keys.Order());
        Assert.Equal(result.Counters.Evicted, fates.Fates.Count(f => f.Outcome == EventOutcome.Evicted));
    }

    [Fact]
    public async Task At_the_deadline_the_request_in_flight_is_of_unknown_outcome_and_events_still_queued_are_reported_lost_without_a_batch()
    {
        // One sender held on its first batch, a sealed-batch queue of two: the serializer waits for room with
        // everything after the third event still queued. The deadline cancels the held request (unknown), the
        // queued batches are lost, and the events never read are reported lost with no batch.
        var clock = new ManualTimeProvider();
        var fates = new FateLog();
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, QueueCapacity = 64, MaxBatchEvents = 1, MaxConcurrentSends = 1, FlushInterval = TimeSpan.FromDays(1),
            ShutdownTimeout = TimeSpan.FromSeconds(3), OnBatchSettled = fates.Callback,
        }, gate);
        var sequences = Enumerable.Range(0, 40).Select(i => engine.Track($"u{i}", "e").Sequence).ToList();
        await Eventually.True(() => gate.Waiting == 1 && engine.Processed >= 3, "the sender holds a batch and the serializer waits for room");

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(3)), "the shutdown deadline");
        clock.Advance(TimeSpan.FromSeconds(3));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        var bySequence = fates.BySequence();
        Assert.Equal(sequences, bySequence.Keys.Order());
        Assert.Equal(EventOutcome.OutcomeUnknown, bySequence[0].Outcome);
        Assert.Equal(0, bySequence[0].Partition);
        Assert.All(sequences.Skip(1), s => Assert.Equal(EventOutcome.Lost, bySequence[s].Outcome));
        var unbatched = bySequence.Values.Where(f => f.BatchSequence < 0).ToList();
        Assert.NotEmpty(unbatched);
        Assert.All(unbatched, f => Assert.Equal(-1, f.Partition));
        Assert.Equal(result.Counters.LostAtShutdown, bySequence.Values.Count(f => f.Outcome == EventOutcome.Lost));
        Assert.Equal(1, result.Counters.OutcomeUnknown);
    }

    [Fact]
    public async Task A_throwing_callback_is_reported_and_delivery_goes_on()
    {
        var transport = new Sluice.Delivery.Transports.InMemoryTransport();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        int calls = 0;
        var engine = new SluiceEngine(new SluiceOptions
        {
            MaxBatchEvents = 10,
            OnDiagnostic = diagnostics.Enqueue,
            OnBatchSettled = (in SettledEvents s) =>
            {
                Interlocked.Increment(ref calls);
                throw new InvalidOperationException("wrapper bug");
            },
        }, transport);
        for (int i = 0; i < 100; i++)
            Assert.True(engine.Track($"u{i}", "e").IsAccepted);
        var result = await engine.ShutdownAsync();

        Assert.Equal(100, result.Counters.Delivered);
        Assert.Equal(100, transport.Batches.Sum(b => b.EventCount));
        Assert.Equal(10, calls);
        var failed = diagnostics.Where(d => d.Kind == DiagnosticKind.CallbackFailed).ToList();
        Assert.Equal(10, failed.Count);
        Assert.All(failed, d =>
        {
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("wrapper bug", d.Message, StringComparison.Ordinal);
            Assert.IsType<InvalidOperationException>(d.Exception);
        });
    }

    [Fact]
    public void An_event_too_large_for_any_batch_is_reported_oversize_with_its_partition()
    {
        var fates = new FateLog();
        var options = new SluiceOptions { OnBatchSettled = fates.Callback }.Validated();
        var reporter = new FateReporter(options.OnBatchSettled, _ => { });
        var assembler = new BatchAssembler(options, BatchMemory.CreateManager(options), new ArenaPool(4), new EngineCounters(), _ => { }, reporter);
        var record = new TestRecords().Track(new string('x', options.MaxBatchBytes), "e");
        assembler.Add(ref record, 41);

        var fate = Assert.Single(fates.Fates);
        Assert.Equal((41L, EventOutcome.Oversize, 0, -1L), (fate.Sequence, fate.Outcome, fate.Partition, fate.BatchSequence));
        Assert.Contains("exceeds the batch limit", fate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recording_and_reporting_each_events_fate_allocates_nothing_per_event()
    {
        // The serializer and the settlement as the engine runs them, batches of 100: with no listener nothing per
        // event is written; with one, sequences and outcomes live in pooled arrays and the report is a ref struct.
        long without = SettleMany(listening: false);
        long with = SettleMany(listening: true);
        Assert.True(with - without < 4_000, $"{with - without:N0} B more with a listener for 40,000 events in 400 batches (no listener: {without:N0} B)");
    }

    private static long SettleMany(bool listening)
    {
        long sum = 0;
        var options = new SluiceOptions { MaxBatchEvents = 100, OnBatchSettled = listening ? (in SettledEvents s) => sum += s.Sequences[^1] : null }.Validated();
        var counters = new EngineCounters();
        var reporter = new FateReporter(options.OnBatchSettled, _ => { });
        var assembler = new BatchAssembler(options, BatchMemory.CreateManager(options), new ArenaPool(4), counters, _ => { }, reporter);
        var settle = new Settlement(counters, new DeliveryTracker(), new LastFailures(options.WireFormat.PartitionCount), options.WireFormat, _ => { }, reporter);
        var records = Serialization.WireFormatAllocationTests.StandardRecords();
        long sequence = 0;

        void Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var record = records[i % records.Length];
                assembler.Add(ref record, sequence++);
                while (assembler.TryTakeSealed(out var batch))
                {
                    settle.Delivered(batch, new PendingRange(0, batch.EventCount, 0));
                    batch.Release();
                }
            }
        }

        Run(40_000); // warm up: the JIT, the pools
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(40_000);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(listening, sum > 0);
        return fewest;
    }
}
