using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Sluice.Serialization;
using Sluice.Batching;
using Sluice.Delivery.Transports;
using Sluice.Benchmarks;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// The allocation-free API allocates nothing on the calling thread once the engine is warm: the
/// arena chunks a full queue needed are kept for the next burst. (Bytes are counted, never time.)
/// These run alone, not beside the other test classes: a call that wakes the serializer queues it
/// to the thread pool, and a pool starved by parallel tests may start a worker thread right there,
/// on the calling thread, which the runtime allocates for (seen once in CI: 8,112 B).
/// </summary>
[Collection(nameof(AllocationTests))]
public class AllocationTests
{
    [Fact]
    public async Task Track_with_a_static_callback_allocates_nothing_in_steady_state()
        => Assert.Equal(0, await AllocatedByHeldBurstOnceWarm(StandardEvent.Track, 40_000, 30_000));

    [Fact]
    public void The_result_of_a_call_is_a_sixteen_byte_struct()
    {
        // docs/producing.md: "a 16-byte readonly struct, returned in registers: nothing is allocated".
        Assert.True(typeof(EnqueueResult).IsValueType);
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<EnqueueResult>());
    }

    [Fact]
    public async Task TrackJson_allocates_nothing_in_steady_state()
    {
        // Pre-serialized objects are copied into the arena's byte areas: 140 bytes per standard event,
        // so a queued burst needs byte room more than entries. 40,000 queued events filled 342 chunks
        // with 16 KB areas, more than the pool keeps (256), and allocated 2.1 MB here.
        var properties = StandardEvent.PropertiesJson(3);
        var context = StandardEvent.ContextJson();
        Assert.Equal(0, await AllocatedByHeldBurstOnceWarm((engine, i) => engine.TrackJson(StandardEvent.UserId(i), StandardEvent.Name, properties, context), 50_000, 40_000));
    }

    [Fact]
    public async Task Ingesting_standard_events_allocates_nothing_per_line_on_the_reading_thread()
    {
        // The same run with 20,000 and with 40,000 lines: what one call allocates whatever its length (the
        // ids' strings, made once per ingest, the summary's task) cancels out; what is left is per line.
        var transport = new GateTransport();
        await using var engine = new SluiceEngine(new SluiceOptions(), transport);
        long shorter = -1, longer = -1, lines = 0;
        var reader = new Thread(() =>
        {
            lines += Ingest(50_000).Lines; // warm-up, held like the others: the arena pool ends up holding what a full queue needed

            // Steady state: a pair of runs in which the runtime did one-off work of its own on this thread
            // (a worker thread started for a pool the parallel tests starve) is measured again, four times at most.
            for (int round = 0; round < 5 && (shorter < 0 || longer != shorter); round++)
            {
                var a = Ingest(20_000);
                var b = Ingest(40_000);
                (shorter, longer, lines) = (a.Allocated, b.Allocated, lines + a.Lines + b.Lines);
            }
        });
        reader.Start();
        reader.Join();

        Assert.True(shorter > 0, "the measurement ran");
        Assert.True(longer - shorter == 0, $"20,000 lines: {shorter:N0} B; 40,000 lines: {longer:N0} B");
        Assert.Equal(lines, engine.GetCounters().Delivered);

        (long Allocated, int Lines) Ingest(int lines)
        {
            var input = PipeReader.Create(new ReadOnlySequence<byte>(StandardLines(lines)));
            transport.Close();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var summary = engine.IngestAsync(input).GetAwaiter().GetResult();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            transport.Open();
            engine.FlushAsync().GetAwaiter().GetResult();
            Assert.Equal(lines, summary.Accepted);
            return (allocated, lines);
        }
    }

    [Fact]
    public async Task A_second_ingest_of_the_same_users_finds_their_ids_again_instead_of_making_new_strings()
    {
        // The engine keeps the ingest's identifier cache: a replay's next file (1,024 users here) costs
        // its call's few objects, not a string per user again (that was 172 KB per call). The events
        // have no properties, so the arena (whose chunks may get their byte areas on this thread) is
        // not involved: what is left is the ids.
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        byte[] lines = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5_000).Select(i =>
            $$"""{"user_id":"{{StandardEvent.UserId(i)}}","event_name":"feature_used","timestamp":"2024-10-20T15:51:35.059Z"}""" + "\n")));
        long fewest = long.MaxValue;
        var reader = new Thread(() =>
        {
            // After the first ingest, the fewest bytes of three more: a round in which the runtime did
            // one-off work of its own on this thread is not the ingest's cost.
            for (int round = 0; round < 4; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var summary = engine.IngestAsync(PipeReader.Create(new ReadOnlySequence<byte>(lines))).GetAwaiter().GetResult();
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (round > 0)
                    fewest = Math.Min(fewest, allocated);
                Assert.Equal(5_000, summary.Accepted);
                engine.FlushAsync().GetAwaiter().GetResult();
            }
        });
        reader.Start();
        reader.Join();

        Assert.True(fewest < 16 * 1024, $"an ingest of known users allocated {fewest:N0} B");
        Assert.Equal(20_000, engine.GetCounters().Delivered);
    }

    /// <summary>Standard events as NDJSON lines, timestamps included.</summary>
    private static byte[] StandardLines(int count)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, EventWriter.WriterOptions);
        for (int i = 0; i < count; i++)
        {
            StandardEvent.WriteJson(writer, i, TestEvent.Timestamp.UtcTicks + i);
            writer.Flush();
            writer.Reset();
            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// What the calling thread allocates for <paramref name="measured"/> calls queued at once, after
    /// <paramref name="warm"/> queued at once and delivered. One thread throughout: a thread's first
    /// call creates its producer state (once per thread and engine).
    /// </summary>
    private static async Task<long> AllocatedByHeldBurstOnceWarm(Func<SluiceEngine, long, EnqueueResult> track, int warm, int measured)
    {
        var transport = new GateTransport();
        await using var engine = new SluiceEngine(new SluiceOptions(), transport);
        long allocated = -1;
        int rounds = 0;
        var producer = new Thread(() =>
        {
            // Warm-up with the transport held: the serializer stops once the sealed-batch queue is full,
            // so the events behind it stay queued and their arena chunks are all in use at once.
            for (long i = 0; i < warm; i++)
                Assert.Equal(EnqueueStatus.Accepted, track(engine, i));
            transport.Open();
            engine.FlushAsync().GetAwaiter().GetResult();

            // Held again: these events stay queued too, needing about as many chunks as the warm-up left in the pool.
            // A burst in which the runtime did one-off work of its own on this thread (a worker thread started for a
            // pool that a busy machine starves) is measured again, four times at most. what the engine allocates per call
            // (30,000 calls) or per burst would show in every round.
            for (int round = 0; round < 3 && allocated != 0; round++)
            {
                transport.Close();
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (long i = 0; i < measured; i++)
                    track(engine, i);
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                transport.Open();
                engine.FlushAsync().GetAwaiter().GetResult();
                rounds++;
            }
        });
        producer.Start();
        producer.Join();

        await engine.FlushAsync();
        Assert.Equal(warm + (measured * (long)rounds), engine.GetCounters().Delivered);
        return allocated;
    }

    [Fact]
    public async Task Waking_the_parked_serializer_allocates_nothing_on_the_calling_thread()
    {
        var transport = new GateTransport();
        await using var engine = new SluiceEngine(new SluiceOptions(), transport);
        long allocated = -1;
        var rounds = new List<long>();

        // One thread throughout (a thread's first call creates its producer state).
        var producer = new Thread(() =>
        {
            // Warm-up as above: the arena pool ends up holding what a full queue needed.
            for (long i = 0; i < 40_000; i++)
                StandardEvent.Track(engine, i);
            transport.Open();
            allocated = 0;
            for (int round = 0; round < 20; round++)
            {
                // Each round's first Track finds the serializer parked idle, so it is the one that wakes it.
                engine.FlushAsync().GetAwaiter().GetResult();
                Assert.True(SpinWait.SpinUntil(() => engine.SerializerIdle, TimeSpan.FromSeconds(10)), "the serializer parks idle on the empty queue");
                long before = GC.GetAllocatedBytesForCurrentThread();
                StandardEvent.Track(engine, round);
                long delta = GC.GetAllocatedBytesForCurrentThread() - before;
                allocated += delta;
                rounds.Add(delta);
            }
        });
        producer.Start();
        producer.Join();

        Assert.True(allocated == 0, string.Join(",", rounds));
        await engine.FlushAsync();
        Assert.Equal(40_020, engine.GetCounters().Delivered);
    }
}

/// <summary>Runs <see cref="AllocationTests"/> after the parallel classes, with nothing beside them.</summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public class AllocationTestsAlone;
