using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Batching;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>
/// Per-event fates, as an <c>OnBatchSettled</c> listener sees them: each event of a sealed batch reported once with its
/// own sequence number and outcome, events refused before a batch reported alone, and an open batch's events reported
/// lost at a forced shutdown, each with its partition and cause.
/// </summary>
public class BatchFateTests
{
    [Fact]
    public void Each_event_of_a_batch_is_reported_with_its_own_sequence_outcome_and_message()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}", "{}", "{}"], sequence: 9, eventSequences: [10, 11, 13, 14]);
        Assert.True(batch.RecordsOutcomes);

        batch.RecordOutcome(0, 2, EventOutcome.Delivered, null);
        Assert.False(batch.OutcomesWritten(2));
        batch.RecordOutcome(2, 1, EventOutcome.Rejected, "bad event");
        Assert.False(batch.OutcomesWritten(1));
        batch.RecordOutcome(3, 1, EventOutcome.Delivered, null);
        batch.LastFailure = "HTTP 503: busy";
        Assert.True(batch.OutcomesWritten(1));

        var settled = batch.Settled();
        Assert.Equal(9, settled.BatchSequence);
        Assert.Equal(ThriveStackFormat.TrackPartition, settled.Partition);
        Assert.Equal([10L, 11, 13, 14], settled.Sequences.ToArray());
        Assert.Equal([EventOutcome.Delivered, EventOutcome.Delivered, EventOutcome.Rejected, EventOutcome.Delivered], settled.Outcomes.ToArray());
        Assert.Equal(new string?[] { null, null, "bad event", null }.AsEnumerable(), MessagesOf(settled));
        Assert.Equal("HTTP 503: busy", settled.LastFailure);
        batch.ReturnOutcomes();
        Assert.False(batch.RecordsOutcomes);
        batch.Release();
    }

    [Fact]
    public void A_batch_without_a_listener_records_no_outcomes()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}"]);
        Assert.False(batch.RecordsOutcomes);
        batch.Release();
    }

    [Fact]
    public void A_forced_shutdown_writes_off_only_the_events_whose_outcome_is_not_written_yet()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}", "{}", "{}"], eventSequences: [0, 1, 2, 3]);
        batch.RecordOutcome(1, 2, EventOutcome.Delivered, null); // a sender's part, written first

        batch.RecordOutcome(0, 4, EventOutcome.Lost, "shutdown", unsetOnly: true);

        var settled = batch.Settled();
        Assert.Equal([EventOutcome.Lost, EventOutcome.Delivered, EventOutcome.Delivered, EventOutcome.Lost], settled.Outcomes.ToArray());
        Assert.Equal(new string?[] { "shutdown", null, null, "shutdown" }.AsEnumerable(), MessagesOf(settled));
        batch.ReturnOutcomes();
        batch.Release();
    }

    [Fact]
    public void Messages_of_two_settlers_land_in_one_list()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}"], eventSequences: [5, 6]);
        batch.RecordOutcome(0, 1, EventOutcome.Rejected, "first");
        batch.RecordOutcome(1, 1, EventOutcome.Failed, "second");

        var settled = batch.Settled();
        Assert.Equal("first", settled.MessageOf(0));
        Assert.Equal("second", settled.MessageOf(1));
        batch.ReturnOutcomes();
        batch.Release();
    }

    [Fact]
    public void A_listener_hears_of_each_refused_or_unserializable_event_alone_with_its_partition_and_sequence()
    {
        var run = new FateRun();
        run.Add(run.Records.SessionPage("s", "p"));                  // 0: page partition, kept
        run.Add(run.Records.Track("u", new string('n', 2_000)));     // 1: oversize, refused before it is written
        run.Add(run.Records.Track("u", "ok"));                       // 2: kept

        var refused = Assert.Single(run.Reports);
        Assert.Equal(ThriveStackFormat.TrackPartition, refused.Partition);
        Assert.Equal(-1, refused.BatchSequence);
        Assert.Equal([1L], refused.Sequences);
        Assert.Equal([EventOutcome.Oversize], refused.Outcomes);
        Assert.StartsWith("An event of at least 2,00", refused.Messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void At_a_forced_shutdown_each_open_batch_reports_its_events_lost_with_its_own_cause()
    {
        var run = new FateRun();
        run.Add(run.Records.Track("u", "a"));        // 0
        run.Add(run.Records.SessionPage("s", "p"));  // 1
        run.Add(run.Records.Track("u", "b"));        // 2
        run.Add(run.Records.Track("u", "c"));        // 3

        long lost = run.Assembler.AbandonOpen(partition => partition == ThriveStackFormat.PagePartition ? "page endpoint down" : "track endpoint down");

        Assert.Equal(4, lost);
        Assert.Equal(2, run.Reports.Count);
        var track = run.Reports.Single(r => r.Partition == ThriveStackFormat.TrackPartition);
        Assert.Equal([0L, 2, 3], track.Sequences);
        Assert.Equal([EventOutcome.Lost, EventOutcome.Lost, EventOutcome.Lost], track.Outcomes);
        Assert.Equal("track endpoint down", track.LastFailure);
        var page = run.Reports.Single(r => r.Partition == ThriveStackFormat.PagePartition);
        Assert.Equal([1L], page.Sequences);
        Assert.Equal("page endpoint down", page.LastFailure);
    }

    [Fact]
    public void A_sealed_batch_carries_its_events_sequences_when_someone_listens()
    {
        var run = new FateRun(maxEvents: 2);
        run.Add(run.Records.Track("u", "a"));   // 0
        run.Add(run.Records.SessionPage("s"));  // 1
        run.Add(run.Records.Track("u", "b"));   // 2: fills the track batch

        Assert.True(run.Assembler.TryTakeSealed(out var batch));
        Assert.True(batch.RecordsOutcomes);
        batch.RecordOutcome(0, 2, EventOutcome.Delivered, null);
        Assert.Equal([0L, 2], batch.Settled().Sequences.ToArray());
        batch.ReturnOutcomes();
        batch.Release();
    }

    private static string?[] MessagesOf(in SettledEvents settled)
    {
        var messages = new string?[settled.Count];
        for (int i = 0; i < messages.Length; i++)
            messages[i] = settled.MessageOf(i);
        return messages;
    }

    [Fact]
    public void A_listener_hears_of_an_event_its_wire_format_could_not_write_as_failed()
    {
        var run = new FateRun(format: new ThrowingFormat());
        run.Add(run.Records.Track("u", "ok"));     // 0
        run.Add(run.Records.Track("u", "throw"));  // 1

        var failed = Assert.Single(run.Reports);
        Assert.Equal([1L], failed.Sequences);
        Assert.Equal([EventOutcome.Failed], failed.Outcomes);
        Assert.Equal("no such field", Assert.Single(failed.Messages));
    }

    [Fact]
    public void The_batch_an_overflowing_event_opens_carries_its_sequence_when_someone_listens()
    {
        var run = new FateRun();
        run.Add(run.Records.Track("u", new string('a', 500)));  // 0
        run.Add(run.Records.Track("u", new string('b', 500)));  // 1: does not fit, opens the next batch
        run.Add(run.Records.Track("u", "c"));                   // 2
        run.Assembler.SealAll();

        Assert.Equal([[0L], [1L, 2L]], SealedSequences(run.Assembler));
    }

    [Fact]
    public void Without_a_listener_no_batch_records_outcomes_however_it_was_opened()
    {
        var options = new SluiceOptions { MaxBatchBytes = 1_000, TimeProvider = new ManualTimeProvider() }.Validated();
        var assembler = new BatchAssembler(options, BatchMemory.CreateManager(options), new ArenaPool(4), new EngineCounters(), _ => { }, new FateReporter(null, _ => { }));
        var records = new TestRecords();
        foreach (var name in new[] { new string('a', 500), new string('b', 500) })
        {
            var record = records.Track("u", name);
            assembler.Add(ref record, 0);
        }

        assembler.SealAll();
        int batches = 0;
        while (assembler.TryTakeSealed(out var batch))
        {
            Assert.False(batch.RecordsOutcomes);
            batches++;
        }

        Assert.Equal(2, batches);
    }

    [Fact]
    public void A_batch_in_reused_pooled_memory_starts_with_no_outcome_written()
    {
        // The outcomes array comes from a pool: one a settled batch filled and gave back is rented again.
        // The thread's cached array of this size is taken first, so the one given back is the next rented.
        var drained = ArrayPool<EventOutcome>.Shared.Rent(3);
        var memory = TestBatches.Memory();
        var first = TestBatches.Seal(memory, ["{}", "{}", "{}"], eventSequences: [0, 1, 2]);
        first.RecordOutcome(0, 3, EventOutcome.Delivered, null);
        first.ReturnOutcomes();

        var second = TestBatches.Seal(memory, ["{}", "{}", "{}"], eventSequences: [3, 4, 5]);
        second.RecordOutcome(0, 3, EventOutcome.Lost, null, unsetOnly: true);

        Assert.Equal([EventOutcome.Lost, EventOutcome.Lost, EventOutcome.Lost], second.Settled().Outcomes.ToArray());
        second.ReturnOutcomes();
        first.Release();
        second.Release();
        ArrayPool<EventOutcome>.Shared.Return(drained);
    }

    [Fact]
    public void An_event_settled_without_a_message_has_none_even_when_the_pool_hands_back_a_used_array()
    {
        // Another user of the shared pool gave back an array without clearing it.
        var drained = ArrayPool<string?>.Shared.Rent(2);
        var used = new string?[16];
        used.AsSpan().Fill("someone else's");
        ArrayPool<string?>.Shared.Return(used);
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}"], eventSequences: [0, 1]);

        batch.RecordOutcome(0, 1, EventOutcome.Delivered, null);
        batch.RecordOutcome(1, 1, EventOutcome.Rejected, "bad event");

        Assert.Equal(new string?[] { null, "bad event" }.AsEnumerable(), MessagesOf(batch.Settled()));
        batch.ReturnOutcomes();
        batch.Release();
        ArrayPool<string?>.Shared.Return(drained);
    }

    [Fact]
    public void Reporting_a_batch_gives_its_fate_arrays_back_to_the_pool_holding_no_message()
    {
        // The thread's cached arrays of these sizes are taken first, so the ones given back are the next rented.
        var drainedSequences = ArrayPool<long>.Shared.Rent(2);
        var drainedOutcomes = ArrayPool<EventOutcome>.Shared.Rent(2);
        var drainedMessages = ArrayPool<string?>.Shared.Rent(2);
        // The messages array is rented only when a message is written: given to the pool first, it is the one the batch takes.
        var messages = new string?[16];
        ArrayPool<string?>.Shared.Return(messages);
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}"], eventSequences: [0, 1]);
        batch.RecordOutcome(0, 2, EventOutcome.Rejected, "bad event");
        Assert.Equal("bad event", messages[1]); // the batch holds its messages in that array
        var settled = batch.Settled();
        ref long sequences = ref Unsafe.AsRef(in MemoryMarshal.GetReference(settled.Sequences));
        ref EventOutcome outcomes = ref Unsafe.AsRef(in MemoryMarshal.GetReference(settled.Outcomes));

        batch.ReturnOutcomes();

        Assert.True(Unsafe.AreSame(ref sequences, ref ArrayPool<long>.Shared.Rent(2)[0]), "the sequences went back to the pool");
        Assert.True(Unsafe.AreSame(ref outcomes, ref ArrayPool<EventOutcome>.Shared.Rent(2)[0]), "the outcomes went back to the pool");
        Assert.Same(messages, ArrayPool<string?>.Shared.Rent(2)); // the messages went back to the pool
        Assert.All(messages, Assert.Null); // cleared: the pool keeps no event's words alive
        batch.Release();
        ArrayPool<long>.Shared.Return(drainedSequences);
        ArrayPool<EventOutcome>.Shared.Return(drainedOutcomes);
        ArrayPool<string?>.Shared.Return(drainedMessages);
    }

    private static List<long[]> SealedSequences(BatchAssembler assembler)
    {
        var sequences = new List<long[]>();
        while (assembler.TryTakeSealed(out var batch))
        {
            Assert.True(batch.RecordsOutcomes);
            sequences.Add(batch.Settled().Sequences.ToArray());
            batch.ReturnOutcomes();
            batch.Release();
        }

        return sequences;
    }

    /// <summary>A settled report copied out of the callback.</summary>
    private sealed record Report(int Partition, long BatchSequence, long[] Sequences, EventOutcome[] Outcomes, string?[] Messages, string? LastFailure);

    /// <summary>An assembler (ThriveStack, 1,000-byte batches) whose fates a listener hears.</summary>
    private sealed class FateRun
    {
        private long _next;

        public FateRun(int maxEvents = 1_000, WireFormat? format = null)
        {
            var options = new SluiceOptions { MaxBatchBytes = 1_000, MaxBatchEvents = maxEvents, TimeProvider = new ManualTimeProvider(), WireFormat = format ?? ThriveStackFormat.Instance }.Validated();
            var fates = new FateReporter((in SettledEvents s) => Reports.Add(new Report(s.Partition, s.BatchSequence, s.Sequences.ToArray(), s.Outcomes.ToArray(),
                MessagesOf(s), s.LastFailure)), _ => { });
            Assembler = new BatchAssembler(options, BatchMemory.CreateManager(options), new ArenaPool(4), new EngineCounters(), _ => { }, fates);
        }

        public TestRecords Records { get; } = new();

        public BatchAssembler Assembler { get; }

        public List<Report> Reports { get; } = [];

        public void Add(EventRecord record) => Assembler.Add(ref record, _next++);
    }

    /// <summary>ThriveStack, except that an event named "throw" fails to be written.</summary>
    private sealed class ThrowingFormat() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override void WriteEvent(System.Text.Json.Utf8JsonWriter writer, in EventView e)
        {
            if (e.Name == "throw")
                throw new InvalidOperationException("no such field");
            base.WriteEvent(writer, e);
        }
    }
}
