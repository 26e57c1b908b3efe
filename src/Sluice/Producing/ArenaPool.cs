using System.Diagnostics;

namespace Sluice.Producing;

/// <summary>
/// Recycles <see cref="ArenaChunk"/>s between producers (rent) and the serializer (return).
/// Touched once per chunk (hundreds of events), so a plain lock is cheaper than being clever.
/// Retention is capped; chunks past the cap go to the GC.
/// </summary>
/// <param name="maxRetained">Chunks kept for reuse at most.</param>
/// <param name="chunkEntries">Entries per chunk; its byte area is in the same proportion as the default's. Tests shrink it so that events cross chunks often.</param>
internal sealed class ArenaPool(int maxRetained, int chunkEntries = ArenaChunk.DefaultEntries)
{
    /// <summary>Entries per queued event the retention provides for (the standard event needs 6).</summary>
    public const int EntriesPerQueuedEvent = 8;

    /// <summary>
    /// Enough chunks for a full queue of events of up to <see cref="EntriesPerQueuedEvent"/> entries:
    /// a queue that has been full once refills without allocating. Chunks are created only when
    /// needed, so an engine whose queue never fills never holds that many.
    /// </summary>
    public static int RetentionFor(int queueCapacity, int chunkEntries = ArenaChunk.DefaultEntries)
        => (int)Math.Max(64, (long)queueCapacity * EntriesPerQueuedEvent / chunkEntries);

    private readonly Lock _lock = new();
    private readonly Stack<ArenaChunk> _free = new();

    /// <summary>Entries in a pooled chunk.</summary>
    public int ChunkEntries => chunkEntries;

    /// <summary>Bytes in a pooled chunk's raw JSON area, once it has one.</summary>
    public int ChunkBytes { get; } = (int)((long)ArenaChunk.DefaultBytes * chunkEntries / ArenaChunk.DefaultEntries);

    public ArenaChunk Rent(object producer)
    {
        ArenaChunk? chunk;
        lock (_lock)
            _free.TryPop(out chunk);

        chunk ??= new ArenaChunk(chunkEntries, bytes: 0, pooled: true);
        chunk.MarkRented(producer);
        return chunk;
    }

    /// <summary>
    /// Returns a chunk that no queued record points into any more: its producer's, if no published
    /// record ever did; the serializer's, once past the last one.
    /// </summary>
    public void Return(ArenaChunk chunk)
    {
        chunk.MarkReturned();
        if (!chunk.Pooled)
            return;
        chunk.Reset();
        lock (_lock)
        {
            if (_free.Count < maxRetained)
                _free.Push(chunk);
        }
    }

    /// <summary>
    /// Serializer, after reading a record: recycles the chunks its producer used before the record's
    /// chunk. Their records all came earlier, so they have been read (or evicted unread).
    /// </summary>
    public void RecycleRetired(in EventRecord record)
    {
        var chunk = record.Chunk;
        if (chunk is null)
            return;
        AssertNotRecycledSincePublished(in record);
        var retired = chunk.Retired;
        if (retired is null)
            return;
        chunk.Retired = null;

        // A retired chunk may still hold its own predecessor if none of its records was read (all evicted).
        while (retired is not null)
        {
            Debug.Assert(ReferenceEquals(retired.Owner, chunk.Owner), "A producer retires only chunks it rented.");
            var earlier = retired.Retired;
            retired.Retired = null;
            Return(retired);
            retired = earlier;
        }
    }

    [Conditional("DEBUG")]
    private static void AssertNotRecycledSincePublished(in EventRecord record)
    {
#if DEBUG
        Debug.Assert(record.Chunk!.Generation == record.ChunkGeneration,
            "A record's chunk was recycled while the record was queued: its entries were cleared or reused under it.");
#endif
    }
}
