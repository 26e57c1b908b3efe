using System.Text;
using Sluice.Producing;

namespace Sluice.Tests.Producing;

/// <summary>
/// How a producer's arena moves between chunks (<see cref="ProducerState.Grow"/>) and what the pool
/// keeps, driven directly: chunks of 8 entries and a 256-byte area, one producer, no serializer.
/// </summary>
public class ArenaOwnershipTests
{
    private const int Entries = 8;
    private static readonly int Bytes = new ArenaPool(1, Entries).ChunkBytes;

    private readonly ArenaPool _pool = new(maxRetained: 4, chunkEntries: Entries);
    private readonly ProducerState _state;

    public ArenaOwnershipTests() => _state = new ProducerState(new object(), _pool, maxEventBytes: 1 << 20);

    [Fact]
    public void A_chunk_is_a_proportional_slice_of_the_default_one() => Assert.Equal(ArenaChunk.DefaultBytes * Entries / ArenaChunk.DefaultEntries, Bytes);

    [Fact]
    public void Events_that_exactly_fill_a_chunk_stay_in_it_and_the_next_entry_moves_on_hanging_it_for_the_serializer()
    {
        Publish((ref PropertiesWriter w) => Numbers(ref w, 5));
        var first = _state.Chunk!;
        Publish((ref PropertiesWriter w) => Numbers(ref w, 3));
        Assert.Same(first, _state.Chunk);

        Publish((ref PropertiesWriter w) => Numbers(ref w, 1));
        Assert.NotSame(first, _state.Chunk);
        Assert.Same(first, _state.Chunk!.Retired); // published records point into it
        Assert.Equal(Entries, first.EntryCount);
    }

    [Fact]
    public void The_last_entry_of_a_chunk_may_bring_it_a_byte_area_of_its_own_size()
    {
        Publish((ref PropertiesWriter w) => Numbers(ref w, Entries - 1));
        var first = _state.Chunk!;
        Assert.Empty(first.Bytes);

        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(Bytes), loneSurrogates: false));
        Assert.Same(first, _state.Chunk);
        Assert.Equal(Bytes, first.Bytes.Length);
    }

    [Fact]
    public void Raw_bytes_that_exactly_fill_the_byte_area_stay_and_one_byte_more_moves_on()
    {
        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(Bytes - 20), loneSurrogates: false));
        var first = _state.Chunk!;
        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(20), loneSurrogates: false));
        Assert.Same(first, _state.Chunk);

        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(10), loneSurrogates: false));
        Assert.NotSame(first, _state.Chunk);
        Assert.Same(first, _state.Chunk!.Retired);
    }

    [Fact]
    public void An_event_of_a_whole_chunk_moves_to_a_pooled_chunk_and_a_larger_one_to_a_chunk_of_its_own()
    {
        Publish((ref PropertiesWriter w) => Numbers(ref w, 1));
        Publish((ref PropertiesWriter w) => Numbers(ref w, Entries));
        Assert.True(_state.Chunk!.Pooled);
        Assert.Equal(Entries, _state.Chunk.Entries.Length);

        Publish((ref PropertiesWriter w) => Numbers(ref w, Entries + 1));
        Assert.False(_state.Chunk!.Pooled);
        Assert.Equal(2 * (Entries + 1), _state.Chunk.Entries.Length);
        Assert.Empty(_state.Chunk.Bytes); // no raw bytes, no byte area
    }

    [Fact]
    public void Raw_JSON_of_a_whole_byte_area_moves_to_a_pooled_chunk_and_larger_to_a_chunk_of_its_own()
    {
        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(10), loneSurrogates: false));
        var first = _state.Chunk!;
        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(Bytes), loneSurrogates: false));
        Assert.NotSame(first, _state.Chunk);
        Assert.True(_state.Chunk!.Pooled);
        Assert.Equal(Bytes, _state.Chunk.Bytes.Length);

        Publish((ref PropertiesWriter w) => w.WriteRawObject(ObjectOf(Bytes + 1), loneSurrogates: false));
        Assert.False(_state.Chunk!.Pooled);
        Assert.Equal(Bytes + 1, _state.Chunk.Bytes.Length);
    }

    [Fact]
    public void An_event_holding_raw_bytes_moves_to_the_next_chunk_with_them()
    {
        Publish((ref PropertiesWriter w) => w.WriteObject("a", 12.25m)); // "12.25": the byte area's first 5 bytes
        var first = _state.Chunk!;
        Publish((ref PropertiesWriter w) =>
        {
            w.WriteObject("b", 1.5m);
            Numbers(ref w, Entries - 1); // one entry too many for the chunk: the event moves, its raw value with it
        });

        var moved = _state.Chunk!;
        Assert.NotSame(first, moved);
        ref var raw = ref moved.Entries[0];
        Assert.Equal(("b", EntryTag.Raw), (raw.Key, raw.Tag));
        Assert.Equal("1.5", Encoding.UTF8.GetString(moved.Bytes, (int)(raw.Bits >> 32), (int)raw.Bits));
    }

    [Fact]
    public void A_chunk_no_published_record_points_into_goes_back_to_the_pool_at_once()
    {
        // The call threw after its first entry rented a chunk: nothing of it was published.
        _state.BeginEvent();
        var writer = new PropertiesWriter(_state, "properties");
        writer.WriteNumber("n", 1);
        var unpublished = _state.Chunk!;
        _state.AbandonThrownEvent();

        // An event without entries points nowhere, so it does not make the chunk published either.
        Assert.Null(Publish((ref PropertiesWriter w) => { }));
        Publish((ref PropertiesWriter w) => Numbers(ref w, Entries + 1));
        Assert.Null(_state.Chunk!.Retired);
        Assert.Same(unpublished, _pool.Rent(new object()));
        Assert.Equal(0, unpublished.EntryCount); // cleared when it was returned
        Assert.Null(unpublished.Entries[0].Key);
    }

    [Fact]
    public void An_entry_less_event_points_into_no_chunk()
    {
        Publish((ref PropertiesWriter w) => Numbers(ref w, 2));
        Assert.Null(Publish((ref PropertiesWriter w) => { }));
        Assert.NotNull(Publish((ref PropertiesWriter w) => Numbers(ref w, 1)));
    }

    [Fact]
    public void The_pool_keeps_at_most_its_retention_and_never_a_chunk_sized_for_one_event()
    {
        var pool = new ArenaPool(maxRetained: 2, chunkEntries: Entries);
        var owner = new object();
        var rented = new[] { pool.Rent(owner), pool.Rent(owner), pool.Rent(owner) };
        var oneOff = new ArenaChunk(100, 0, pooled: false);
        oneOff.MarkRented(owner);
        pool.Return(oneOff);
        foreach (var chunk in rented)
            pool.Return(chunk);

        var again = new[] { pool.Rent(owner), pool.Rent(owner), pool.Rent(owner) };
        Assert.Equal(2, again.Count(c => rented.Contains(c)));
        Assert.DoesNotContain(oneOff, again);
    }

    [Theory]
    [InlineData(65_536, ArenaChunk.DefaultEntries, 256)] // a full queue of 8-entry events
    [InlineData(1_024, ArenaChunk.DefaultEntries, 64)]   // at least 64
    [InlineData(65_536, 16, 32_768)]
    public void The_retention_provides_for_a_full_queue(int queue, int chunkEntries, int retained)
        => Assert.Equal(retained, ArenaPool.RetentionFor(queue, chunkEntries));

    private delegate void Write(ref PropertiesWriter writer);

    /// <summary>One event through the state as the engine makes it, accepted; returns the chunk its record points into.</summary>
    private ArenaChunk? Publish(Write write)
    {
        _state.BeginEvent();
        var writer = new PropertiesWriter(_state, "properties");
        write(ref writer);
        writer.Complete();
        var chunk = _state.EventChunk;
        _state.CommitEvent(chunk);
        return chunk;
    }

    private static void Numbers(ref PropertiesWriter w, int count)
    {
        for (int i = 0; i < count; i++)
            w.WriteNumber("n", i);
    }

    /// <summary>A JSON object of exactly <paramref name="bytes"/> bytes (at least 8).</summary>
    private static byte[] ObjectOf(int bytes) => Encoding.UTF8.GetBytes("{\"k\":\"" + new string('x', bytes - 8) + "\"}");
}
