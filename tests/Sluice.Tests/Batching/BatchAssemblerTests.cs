using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Batching;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>
/// The serializer's batching rules at their exact edges, without an engine around it: an event alone at
/// the limit and one byte over, a batch filled to the byte, the next batch opened by exactly the event
/// that does not fit (and by no other), limits lowered after a 413, the count limit, linger, and the
/// accounting of each.
/// </summary>
public class BatchAssemblerTests
{
    // A custom format, which may take batches beyond the built-in APIs' limits (bodies of several pool blocks).
    private static readonly WireFormat BeyondTheApiLimits = new WrappedFormat(ThriveStackFormat.Instance);

    private const int Limit = 1_000;
    private const int Envelope = 2; // ThriveStack: "[" and "]"

    [Fact]
    public void An_event_alone_exactly_at_the_limit_is_accepted_whole()
    {
        var run = new Run();
        run.Add(Sized(Limit - Envelope));
        run.Assembler.SealAll();

        var batch = Assert.Single(run.Sealed());
        Assert.Equal(Limit, batch.Length);
        Assert.Equal(0, run.Counters.RejectedOversize);
    }

    [Fact]
    public void An_event_alone_one_byte_over_the_limit_is_refused_with_its_exact_size()
    {
        var run = new Run();
        run.Add(Sized(Limit - Envelope + 1));
        run.Assembler.SealAll();

        Assert.Empty(run.Sealed());
        Assert.Equal(1, run.Counters.RejectedOversize);
        var refusal = Assert.Single(run.Diagnostics);
        Assert.Equal(DiagnosticKind.EventOversize, refusal.Kind);
        Assert.Contains("An event of 1,001 bytes (with the batch envelope) exceeds the batch limit of 1,000 bytes", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversize_event_as_the_first_of_a_batch_leaves_it_empty_for_the_next()
    {
        var run = new Run();
        run.Add(Sized(Limit));
        run.Add(Sized(100));
        run.Assembler.SealAll();

        AssertEvents(Assert.Single(run.Sealed()), 100);
        Assert.Equal(1, run.Counters.RejectedOversize);
    }

    [Fact]
    public void An_open_batch_left_empty_gives_its_blocks_back_at_a_flush()
    {
        var run = new Run();
        Assert.False(run.Assembler.HasSealed);
        run.Add(Sized(Limit)); // opens the batch, then is refused
        Assert.True(run.Assembler.Partition(0).IsOpen);
        Assert.NotEqual(0, run.Memory.SmallPoolInUseSize);

        run.Assembler.SealAll();

        Assert.False(run.Assembler.HasSealed);
        Assert.False(run.Assembler.Partition(0).IsOpen);
        Assert.Equal(0, run.Memory.SmallPoolInUseSize);
    }

    [Fact]
    public void An_event_whose_known_bytes_alone_exceed_the_limit_is_refused_before_it_is_written()
    {
        // MinBytes is a lower bound: one byte more than the room left, and the event is refused unwritten.
        var run = new Run();
        var record = Sized(300);
        record.MinBytes = Limit - Envelope + 1;
        run.Add(record);

        Assert.Equal(1, run.Counters.RejectedOversize);
        Assert.Contains("An event of at least 1,001 bytes", Assert.Single(run.Diagnostics).Message, StringComparison.Ordinal);
        Assert.False(run.Assembler.Partition(0).IsOpen);
    }

    [Fact]
    public void An_event_whose_known_bytes_fill_the_batch_exactly_is_written_and_accepted()
    {
        var run = new Run();
        var record = Sized(Limit - Envelope);
        record.MinBytes = Limit - Envelope; // a bound may be exact
        run.Add(record);
        run.Assembler.SealAll();

        Assert.Equal(Limit, Assert.Single(run.Sealed()).Length);
        Assert.Equal(0, run.Counters.RejectedOversize);
    }

    [Fact]
    public void Two_events_filling_the_batch_to_the_byte_share_it()
    {
        var run = new Run();
        run.Add(Sized(400));
        run.Add(Sized(Limit - Envelope - 400 - 1)); // 1: the comma
        run.Assembler.SealAll();

        var batch = Assert.Single(run.Sealed());
        Assert.Equal(2, batch.EventCount);
        Assert.Equal(Limit, batch.Length);
    }

    [Fact]
    public void The_event_one_byte_too_many_for_the_batch_opens_the_next_and_waits_there()
    {
        var run = new Run();
        run.Add(Sized(400));
        run.Add(Sized(Limit - Envelope - 400));

        var first = Assert.Single(run.Sealed());
        Assert.Equal(1, first.EventCount);
        Assert.Equal(400 + Envelope, first.Length);
        Assert.Equal(1, run.Assembler.Partition(0).Count); // not sealed: the next event may still fit

        run.Assembler.SealAll();
        Assert.Equal(Limit - 400, Assert.Single(run.Sealed()).Length);
        Assert.Equal(0, run.Counters.RejectedOversize);
    }

    [Fact]
    public void An_event_exactly_at_the_limit_after_others_closes_their_batch_and_is_accepted_alone()
    {
        var run = new Run();
        run.Add(Sized(100));
        run.Add(Sized(200));
        run.Add(Sized(Limit - Envelope));
        run.Add(Sized(100));

        var sealedBatches = run.Sealed();
        Assert.Equal([2, 1], sealedBatches.Select(b => b.EventCount));
        Assert.Equal([100 + 1 + 200 + Envelope, Limit], sealedBatches.Select(b => (int)b.Length));
        Assert.Equal(0, run.Counters.RejectedOversize);
        AssertEvents(sealedBatches[0], 100, 200);
        AssertEvents(sealedBatches[1], Limit - Envelope);
    }

    [Fact]
    public void An_oversize_event_between_others_closes_nothing()
    {
        // a, an event too large even alone (written, measured, cut off again), b, c: one batch [a, b, c].
        var run = new Run();
        run.Add(Sized(100));
        run.Add(Sized(Limit));
        run.Add(Sized(101));
        run.Add(Sized(102));
        run.Assembler.SealAll();

        var batch = Assert.Single(run.Sealed());
        AssertEvents(batch, 100, 101, 102);
        Assert.Equal(1, run.Counters.RejectedOversize);
        Assert.Contains("An event of 1,002 bytes", Assert.Single(run.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_count_limit_seals_at_exactly_MaxBatchEvents()
    {
        var run = new Run(maxEvents: 3);
        for (int i = 0; i < 3; i++)
            run.Add(Sized(100 + i));
        Assert.Equal(3, Assert.Single(run.Sealed()).EventCount);

        run.Add(Sized(120));
        Assert.Empty(run.Sealed());
        Assert.Equal(1, run.Assembler.Partition(0).Count);
    }

    [Fact]
    public void Above_a_lowered_limit_but_within_the_configured_one_an_event_goes_alone()
    {
        // A 413 lowered the partition's limit to 500: a 700-byte event cannot share a batch, but the
        // configured limit is only the server's guess, so it goes alone and the server decides.
        var run = new Run();
        run.Assembler.Partition(0).LowerMaxBytes(500, 0);
        run.Add(Sized(100));
        run.Add(Sized(698));
        var sealedBatches = run.Sealed();
        Assert.Equal([1, 1], sealedBatches.Select(b => b.EventCount));
        Assert.Equal(700, sealedBatches[1].Length);

        run.Add(Sized(101));
        Assert.Empty(run.Sealed());
        Assert.Equal(1, run.Assembler.Partition(0).Count);
    }

    [Fact]
    public void An_event_alone_exactly_at_the_configured_limit_goes_alone_under_a_lowered_limit()
    {
        var run = new Run();
        run.Assembler.Partition(0).LowerMaxBytes(500, 0);
        run.Add(Sized(Limit - Envelope));
        run.Add(Sized(Limit - Envelope + 1));

        Assert.Equal(Limit, Assert.Single(run.Sealed()).Length);
        Assert.Equal(1, run.Counters.RejectedOversize);
    }

    [Fact]
    public void An_event_alone_exactly_at_a_lowered_limit_stays_open_for_the_next()
    {
        var run = new Run();
        run.Assembler.Partition(0).LowerMaxBytes(500, 0);
        run.Add(Sized(500 - Envelope));
        Assert.Empty(run.Sealed());

        run.Add(Sized(100));
        Assert.Equal(500, Assert.Single(run.Sealed()).Length);
    }

    [Fact]
    public void A_lowering_never_raises_the_limit_and_each_call_returns_the_limit_in_force()
    {
        var open = new Run().Assembler.Partition(0);
        Assert.Equal(Limit, open.LowerMaxBytes(Limit, 0));
        Assert.Equal(600, open.LowerMaxBytes(600, 0));
        Assert.Equal(600, open.LowerMaxBytes(800, 0));
        Assert.Equal(600, open.LowerMaxBytes(600, 0));
        Assert.Equal(599, open.LowerMaxBytes(599, 0));
        Assert.Equal(599, open.MaxBytes);
    }

    [Fact]
    public void The_limit_is_restored_once_the_last_413_is_old_enough_even_one_that_lowered_nothing()
    {
        var clock = new ManualTimeProvider();
        var open = new Run().Assembler.Partition(0);
        var after = TimeSpan.FromMinutes(10);
        Assert.Null(open.RestoreMaxBytes(clock, after)); // never lowered
        open.LowerMaxBytes(600, clock.GetTimestamp());
        clock.Advance(after);
        open.LowerMaxBytes(800, clock.GetTimestamp()); // a body sealed before the lowering, refused too: the limit still holds
        Assert.Null(open.RestoreMaxBytes(clock, after));
        clock.Advance(after - TimeSpan.FromTicks(1));
        Assert.Null(open.RestoreMaxBytes(clock, after));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(600, open.RestoreMaxBytes(clock, after));
        Assert.Equal((Limit, null), (open.MaxBytes, open.RestoreMaxBytes(clock, after)));
    }

    [Fact]
    public void A_batch_read_back_from_the_spool_takes_the_next_sequence_number_and_the_next_sealed_one_follows_it()
    {
        var run = new Run();
        run.Add(Sized(100));
        run.Assembler.SealAll();
        Assert.Equal(0, Assert.Single(run.Sealed()).Sequence);

        var body = run.Memory.GetStream();
        body.Write("[{}]"u8);
        var adopted = run.Assembler.Adopt(0, 1, [3], body);
        Assert.Equal(1, adopted.Sequence);
        Assert.Equal("{}", Encoding.UTF8.GetString(adopted.GetEvent(0)));

        run.Add(Sized(100));
        run.Assembler.SealAll();
        Assert.Equal(2, Assert.Single(run.Sealed()).Sequence);
        Assert.Equal(2, run.Counters.BatchesSealed); // the batch read back was sealed by an earlier run
    }

    [Fact]
    public void Sealing_counts_the_batches_their_events_and_their_bytes()
    {
        var run = new Run(maxEvents: 2);
        for (int i = 0; i < 5; i++)
            run.Add(Sized(100 + i));
        run.Assembler.SealAll();

        var sealedBatches = run.Sealed();
        Assert.Equal([2, 2, 1], sealedBatches.Select(b => b.EventCount));
        Assert.Equal([0L, 1, 2], sealedBatches.Select(b => b.Sequence));
        Assert.Equal(3, run.Counters.BatchesSealed);
        Assert.Equal(5, run.Counters.EventsSealed);
        Assert.Equal(sealedBatches.Sum(b => b.Length), run.Counters.BytesSealed);
        Assert.Equal((100 + 101 + 1 + 2) + (102 + 103 + 1 + 2) + (104 + 2), run.Counters.BytesSealed);
        Assert.Equal(3, run.Assembler.SealedCount);
        Assert.Equal(5, run.Assembler.Processed);
    }

    [Fact]
    public void Abandoning_counts_every_event_the_open_batches_hold()
    {
        var run = new Run();
        for (int i = 0; i < 3; i++)
            run.Add(Sized(100));
        for (int i = 0; i < 2; i++)
            run.Add(Page(50));

        Assert.Equal(5, run.Assembler.AbandonOpen());
        Assert.Equal(0, run.Assembler.AbandonOpen());
        Assert.Equal(0, run.Memory.SmallPoolInUseSize); // the bodies went back to the pool
    }

    [Fact]
    public void Linger_seals_only_the_batches_whose_first_event_has_waited_long_enough()
    {
        var clock = new ManualTimeProvider();
        var run = new Run(clock: clock);
        var linger = TimeSpan.FromSeconds(5);
        Assert.Null(run.Assembler.SealExpired(linger));

        run.Add(Sized(100));
        Assert.True(run.Assembler.TakeOpenedFlag());
        Assert.False(run.Assembler.TakeOpenedFlag());
        clock.Advance(TimeSpan.FromSeconds(2));
        run.Add(Page(50));
        run.Add(Sized(100)); // a second event does not restart the linger
        Assert.Equal(TimeSpan.FromSeconds(3), run.Assembler.SealExpired(linger));

        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(2), run.Assembler.SealExpired(linger));
        Assert.Equal([2], run.Sealed().Select(b => b.EventCount));

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(run.Assembler.SealExpired(linger));
        Assert.Equal("/api/page", Assert.Single(run.Sealed()).EndpointPath);

        // The soonest due comes first whichever partition it is in.
        run.Add(Page(50));
        clock.Advance(TimeSpan.FromSeconds(2));
        run.Add(Sized(100));
        Assert.False(run.Assembler.HasSealed);
        Assert.Equal(TimeSpan.FromSeconds(3), run.Assembler.SealExpired(linger));
    }

    [Fact]
    public void A_failing_format_loses_only_its_event_and_the_batch_goes_on_valid()
    {
        var run = new Run(format: new FailingFormat());
        run.Add(Sized(100));
        run.Add(Sized(200, name: "throw"));
        run.Add(Sized(200, name: "unclosed"));
        run.Add(Sized(101));
        run.Assembler.SealAll();

        AssertEvents(Assert.Single(run.Sealed()), 100, 101);
        Assert.Equal(2, run.Counters.Failed);
        Assert.Equal([DiagnosticKind.EventFailed, DiagnosticKind.EventFailed], run.Diagnostics.Select(d => d.Kind));
        Assert.Contains("left 1 object(s) or array(s) open", run.Diagnostics[1].Message, StringComparison.Ordinal);
        Assert.Equal(4, run.Assembler.Processed);
    }

    [Fact]
    public void Each_event_gets_the_next_number_whatever_becomes_of_it()
    {
        var run = new Run(format: new SegmentFormat());
        run.Add(Sized(100));
        var oversize = Sized(100);
        oversize.MinBytes = Limit;
        run.Add(oversize);
        run.Add(Sized(100));
        run.Assembler.SealAll();

        var ids = BatchJson.Events(Received(Assert.Single(run.Sealed())), "batch").Select(e => e.GetProperty("messageId").GetString()![^12..]).ToList();
        Assert.Equal(["000000000000", "000000000002"], ids);
    }

    [Fact]
    public void The_serializer_returns_the_arena_chunks_a_producer_retired_once_past_them()
    {
        var arenas = new ArenaPool(8);
        var run = new Run(arenas: arenas);
        var producer = new object();
        var oldest = arenas.Rent(producer);
        var older = arenas.Rent(producer);
        var current = arenas.Rent(producer);
        older.Retired = oldest; // none of older's records was read: it still holds its own predecessor
        current.Retired = older;
        var record = Sized(100);
        record.Chunk = current;

        run.Add(record);

        Assert.Null(current.Retired);
        Assert.Null(older.Retired);
        Assert.Same(oldest, arenas.Rent(producer)); // returned last, so rented first
        Assert.Same(older, arenas.Rent(producer));
        Assert.NotSame(current, arenas.Rent(producer));
    }

    [Fact]
    public void Pending_bytes_never_span_a_block_edge_once_an_event_is_committed()
    {
        // The stream hands the writer a temporary block at a block edge; the event that crosses the edge
        // hands it back, so the writer goes on in pooled blocks (and nothing is copied twice).
        var options = new SluiceOptions { MaxBatchBytes = 4 * 1024 * 1024, MaxBatchEvents = 100_000, WireFormat = BeyondTheApiLimits }.Validated();
        var open = new OpenBatch(0, options.MaxBatchBytes, 1, 1, BatchMemory.CreateManager(options));
        var format = ThriveStackFormat.Instance;
        open.Open(format.BatchPrefix(0), options.MaxBatchEvents);
        int edges = 0, pendingAfter = 0;
        for (int i = 0; i < 8_000; i++)
        {
            var record = Sized(100 + (i % 400));
            long before = open.Position;
            open.Write(format, ref record, i);
            open.Commit();
            long end = open.Position;
            if (before / BatchMemory.BlockSize != end / BatchMemory.BlockSize)
                edges++;
            Assert.True(open.Committed == end || open.Committed / BatchMemory.BlockSize == (end - 1) / BatchMemory.BlockSize,
                $"event {i}: bytes {open.Committed}..{end} are pending across a block edge");
            if (open.Committed < end)
                pendingAfter++;
        }

        Assert.InRange(edges, 30, 100);
        Assert.True(pendingAfter > 7_000, $"only {pendingAfter} of 8,000 events left bytes pending: the writer is flushed too often");
        open.Abandon();
    }

    [Fact]
    public void An_event_ending_exactly_at_a_block_edge_leaves_its_bytes_pending()
    {
        // Its bytes lie in one block: handing them over now would be a flush for nothing.
        var options = new SluiceOptions { MaxBatchBytes = 4 * 1024 * 1024, MaxBatchEvents = 100_000, WireFormat = BeyondTheApiLimits }.Validated();
        var open = new OpenBatch(0, options.MaxBatchBytes, 1, 1, BatchMemory.CreateManager(options));
        var format = ThriveStackFormat.Instance;
        open.Open(format.BatchPrefix(0), options.MaxBatchEvents);
        for (int i = 0; open.Position + 1 + 1_000 + 1 + 500 < BatchMemory.BlockSize; i++)
        {
            var filler = Sized(1_000);
            open.Write(format, ref filler, i);
            open.Commit();
        }

        var last = Sized((int)(BatchMemory.BlockSize - open.Position - 1)); // 1: the comma before it
        open.Write(format, ref last, 0);
        open.Commit();

        Assert.Equal(BatchMemory.BlockSize, open.Position);
        Assert.True(open.Committed < open.Position, $"flushed to {open.Committed}");
        open.Abandon();
    }

    [Fact]
    public void Abandoning_a_body_returns_every_block_whatever_the_writer_holds()
    {
        // Events with long strings make the writer ask for more room than a block's end has left:
        // some of these bodies are abandoned while it writes into a temporary block.
        var options = new SluiceOptions { MaxBatchBytes = 4 * 1024 * 1024, MaxBatchEvents = 1_000, WireFormat = BeyondTheApiLimits }.Validated();
        var memory = BatchMemory.CreateManager(options);
        var open = new OpenBatch(0, options.MaxBatchBytes, 1, 1, memory);
        var format = ThriveStackFormat.Instance;
        for (int events = 60; events < 140; events++)
        {
            open.Open(format.BatchPrefix(0), options.MaxBatchEvents);
            for (int i = 0; i < events; i++)
            {
                var record = Sized(1_000 + (i % 7));
                open.Write(format, ref record, i);
                open.Commit();
            }

            open.Abandon();
            Assert.Equal(0, memory.SmallPoolInUseSize);
        }
    }

    /// <summary>A track whose JSON is exactly <paramref name="bytes"/> bytes (its name pads it).</summary>
    private static EventRecord Sized(int bytes, string name = "")
    {
        var record = Track(name);
        int padding = bytes - EventBytes(record);
        Assert.True(padding >= 0, $"{bytes} bytes is shorter than the event without a name");
        record = Track(name + new string('n', padding));
        Assert.Equal(bytes, EventBytes(record));
        return record;
    }

    private static EventRecord Track(string name) => new()
    {
        Kind = EventKind.Track,
        Id = "u",
        Name = name,
        TimestampTicks = TestRecords.Time,
        PropCount = -1,
        CtxCount = -1,
        MinBytes = 1 + name.Length,
    };

    private static EventRecord Page(int nameLength) => new()
    {
        Kind = EventKind.Page,
        Id = "s",
        IdIsSession = true,
        Name = new string('p', nameLength),
        TimestampTicks = TestRecords.Time,
        PropCount = -1,
        CtxCount = -1,
        MinBytes = 1,
    };

    private static int EventBytes(EventRecord record)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new EventWriter();
        writer.Attach(output);
        writer.Write(ThriveStackFormat.Instance, ref record, 0);
        return (int)writer.Written;
    }

    /// <summary>Fails unless the batch holds, in order, events of exactly these sizes.</summary>
    private static void AssertEvents(Batch batch, params int[] sizes)
        => Assert.Equal(sizes, Enumerable.Range(0, batch.EventCount).Select(i => (int)batch.GetEvent(i).Length));

    private static Sluice.Delivery.Transports.ReceivedBatch Received(Batch batch)
        => new(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray());

    /// <summary>An assembler with scaled-down limits, its counters and diagnostics.</summary>
    private sealed class Run
    {
        public Run(int maxEvents = 1_000, WireFormat? format = null, ManualTimeProvider? clock = null, ArenaPool? arenas = null)
        {
            var options = new SluiceOptions
            {
                MaxBatchBytes = Limit,
                MaxBatchEvents = maxEvents,
                WireFormat = format ?? ThriveStackFormat.Instance,
                TimeProvider = clock ?? new ManualTimeProvider(),
            }.Validated();
            Memory = BatchMemory.CreateManager(options);
            Assembler = new BatchAssembler(options, Memory, arenas ?? new ArenaPool(4), Counters, Diagnostics.Add);
        }

        public BatchAssembler Assembler { get; }

        public Microsoft.IO.RecyclableMemoryStreamManager Memory { get; }

        public EngineCounters Counters { get; } = new();

        public List<DiagnosticEvent> Diagnostics { get; } = [];

        public void Add(EventRecord record) => Assembler.Add(ref record, _nextSequence++);

        private long _nextSequence;

        /// <summary>The batches sealed since the last call, each checked to be valid JSON.</summary>
        public List<Batch> Sealed()
        {
            var batches = new List<Batch>();
            while (Assembler.TryTakeSealed(out var batch))
            {
                using (JsonDocument.Parse(batch.Body))
                {
                }

                batches.Add(batch);
            }

            return batches;
        }
    }

    /// <summary>ThriveStack, except for events named "throw" (throws halfway) and "unclosed" (leaves its object open).</summary>
    private sealed class FailingFormat() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            if (e.Name!.StartsWith("throw", StringComparison.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("partial", Encoding.UTF8.GetBytes(e.Name));
                throw new InvalidOperationException("halfway");
            }

            if (e.Name.StartsWith("unclosed", StringComparison.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("name", e.Name);
                return;
            }

            base.WriteEvent(writer, e);
        }
    }
}
