using System.Runtime.CompilerServices;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// Arena chunks travel from producers to the serializer and back to the pool. Whatever happens to
/// the records in between (refused, evicted, spread over many chunks), every delivered event must
/// carry exactly the properties it was given.
/// </summary>
public class ArenaTests
{
    [Theory]
    [InlineData(FullMode.DropNewest)]
    [InlineData(FullMode.DropOldest)]
    public async Task Refused_and_evicted_events_never_corrupt_the_properties_of_delivered_ones(FullMode mode)
    {
        var transport = new GateTransport();
        SluiceCounters counters;
        var accepted = new List<int>();
        await using (var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 64, FullMode = mode, MaxBatchEvents = 8 }, transport))
        {
            // Sizes that move events across chunks often: some events alone fill most of a chunk.
            for (int i = 0; i < 3_000; i++)
            {
                int size = i % 97 == 0 ? 1_500 : (i % 5) + 1;
                var result = engine.Track("u", "e", (i, size), static (ref PropertiesWriter w, (int I, int Size) s) =>
                {
                    w.WriteNumber("i", s.I);
                    w.WriteStartArray("values");
                    for (int k = 0; k < s.Size; k++)
                        w.WriteNumberValue(s.I + k);
                    w.WriteEndArray();
                });
                if (result == EnqueueStatus.Accepted)
                    accepted.Add(i);
                if (i == 1_500)
                    transport.Open();
            }

            await engine.FlushAsync();
            counters = engine.GetCounters();
        }

        var events = transport.Batches.OrderBy(b => b.Sequence).SelectMany(BatchJson.Events).ToList();
        foreach (var e in events)
        {
            var props = e.GetProperty("properties");
            int i = props.GetProperty("i").GetInt32();
            int size = i % 97 == 0 ? 1_500 : (i % 5) + 1;
            Assert.Equal(Enumerable.Range(i, size), props.GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        }

        Assert.Equal(counters.Delivered, events.Count);
        Assert.Equal(accepted.Count, counters.Accepted);
        Assert.Equal(counters.Accepted, counters.Delivered + counters.Evicted);
        Assert.True(mode == FullMode.DropNewest ? counters.RefusedQueueFull > 0 : counters.Evicted > 0, "The queue overflowed.");
    }

    [Fact]
    public async Task A_recycled_chunk_keeps_none_of_the_callers_strings_alive()
    {
        // 8 strings per event: the first 256 events fill the first chunk exactly, the next ones retire it.
        const int PerEvent = 8, Events = (ArenaChunk.DefaultEntries / PerEvent) + 50;
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var strings = TrackFreshStrings(engine, Events, PerEvent);
        await engine.FlushAsync();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // The serializer recycled the first chunk once it read the first record in the next; the pool
        // holds it, cleared. (The producer's current chunk still holds the last events' strings.)
        int firstChunk = ArenaChunk.DefaultEntries / PerEvent;
        var alive = Enumerable.Range(0, firstChunk * PerEvent).Where(k => strings[k].IsAlive).ToList();
        Assert.True(alive.Count == 0, $"{alive.Count} strings of recycled entries are still reachable, the first at entry {alive.FirstOrDefault()}.");
        Assert.Contains(strings[^1..], s => s.IsAlive); // the check can see a live string
    }

    [Fact]
    public async Task A_shut_down_engine_keeps_no_pooled_chunks()
    {
        // Each thread that called Track keeps its producer state, and through it the engine's arena pool, in a
        // thread-static cache after the engine is gone: a pool that kept its chunks then kept megabytes alive.
        var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        TrackFreshStrings(engine, ArenaChunk.DefaultEntries / 8 * 3, 8); // three chunks' worth: chunks go back to the pool
        await engine.FlushAsync();
        Assert.True(engine.ArenaFreeChunks > 0, "The pool kept chunks while the engine ran.");

        await engine.ShutdownAsync();
        Assert.Equal(0, engine.ArenaFreeChunks);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] TrackFreshStrings(SluiceEngine engine, int events, int perEvent)
    {
        var strings = new string[events * perEvent];
        for (int k = 0; k < strings.Length; k++)
            strings[k] = $"value {k}";
        for (int i = 0; i < events; i++)
        {
            var result = engine.Track("u", "e", (strings, i * perEvent, perEvent), static (ref PropertiesWriter w, (string[] All, int First, int Count) s) =>
            {
                for (int k = 0; k < s.Count; k++)
                    w.WriteString(PropertyKeys[k], s.All[s.First + k]);
            });
            Assert.Equal(EnqueueStatus.Accepted, result);
        }

        return strings.Select(s => new WeakReference(s)).ToArray();
    }

    private static readonly string[] PropertyKeys = ["a", "b", "c", "d", "e", "f", "g", "h"];

    public enum Unpublished
    {
        Threw,
        Refused,
    }

    [Theory]
    [InlineData(Unpublished.Threw)]
    [InlineData(Unpublished.Refused)]
    public async Task A_recycled_chunk_keeps_none_of_the_strings_of_a_call_that_was_not_published(Unpublished how)
    {
        var hold = new SerializerHold();
        using var producer = new PinnedThread("producer");
        await using var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 4, OnDiagnostic = hold.OnDiagnostic }, new InMemoryTransport());
        Assert.Equal(EnqueueStatus.Accepted, producer.Run(() => engine.Track("u", "first", new Dictionary<string, object?> { ["k"] = "v" })));

        // 1,000 entries written past the published one, then the call throws or is refused.
        WeakReference[] strings;
        if (how == Unpublished.Threw)
        {
            strings = producer.Run(() => TrackFreshStringsThenNaN(engine, 1_000));
        }
        else
        {
            hold.Arm();
            Assert.Equal(EnqueueStatus.Accepted, engine.Track(SerializerHold.HoldUserId(engine.Options), "hold"));
            Assert.True(hold.WaitHeld(TimeSpan.FromSeconds(10)));
            while (engine.Track("filler", "e") == EnqueueStatus.Accepted)
            {
            }

            strings = producer.Run(() => TrackFreshStrings(engine, 1_000, EnqueueStatus.QueueFull));
            hold.Release();
        }

        // Raw JSON larger than the chunk's byte area moves the producer on before it reaches those entries again.
        var raw = System.Text.Encoding.UTF8.GetBytes($$"""{"big":"{{new string('x', ArenaChunk.DefaultBytes)}}"}""");
        await Eventually.True(() => producer.Run(() => engine.TrackJson("u", "raw", raw)) == EnqueueStatus.Accepted, "the queue took the event");
        await engine.FlushAsync();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int alive = strings.Count(s => s.IsAlive);
        Assert.True(alive == 0, $"{alive} strings of the unpublished call are still reachable from the recycled chunk.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] TrackFreshStringsThenNaN(SluiceEngine engine, int count)
    {
        var strings = Enumerable.Range(0, count).Select(k => $"unpublished {k}").ToArray();
        Assert.Throws<ArgumentException>(() => engine.Track("u", "e", strings, static (ref PropertiesWriter w, string[] all) =>
        {
            foreach (var s in all)
                w.WriteString("k", s);
            w.WriteNumber("nan", double.NaN);
        }));
        return strings.Select(s => new WeakReference(s)).ToArray();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] TrackFreshStrings(SluiceEngine engine, int count, EnqueueStatus expected)
    {
        var strings = Enumerable.Range(0, count).Select(k => $"unpublished {k}").ToArray();
        Assert.Equal(expected, engine.Track("u", "e", strings, static (ref PropertiesWriter w, string[] all) =>
        {
            foreach (var s in all)
                w.WriteString("k", s);
        }));
        return strings.Select(s => new WeakReference(s)).ToArray();
    }

    [Fact]
    public async Task A_page_given_an_empty_user_id_and_a_session_is_sent_with_the_session()
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
            engine.Page("", "1rwttH3IN");

        var e = Assert.Single(transport.Batches.SelectMany(BatchJson.Events));
        Assert.Equal("1rwttH3IN", e.GetProperty("session_id").GetString());
        Assert.False(e.TryGetProperty("user_id", out _));
    }
}
