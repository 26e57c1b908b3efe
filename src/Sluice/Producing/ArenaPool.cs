using System.Diagnostics;

namespace Sluice.Producing;

/// <summary>
/// Recycles <see cref="ArenaChunk"/>s between producers (rent) and the serializer (return).
/// Touched once per chunk (hundreds of events), so a plain lock is cheaper than being clever.
/// Retention is capped; chunks past the cap go to the GC. The pool grows off the calling thread:
/// it starts with a reserve of free chunks, and a rent that leaves fewer than that queues a
/// thread-pool item that makes more (up to the retention), so a burst into a fresh engine does not
/// allocate 64 KB chunks on the caller's thread (144 B per call over a 200,000-event burst before).
/// A caller finds the pool empty only if that item falls behind; it then makes its chunk itself.
/// </summary>
/// <param name="maxRetained">Chunks kept for reuse at most.</param>
/// <param name="chunkEntries">Entries per chunk; its byte area is in the same proportion as the default's. Tests shrink it so that events cross chunks often.</param>
/// <param name="reserve">Free chunks kept ready ahead of the producers (at most <paramref name="maxRetained"/>); 0 for none.</param>
internal sealed class ArenaPool(int maxRetained, int chunkEntries = ArenaChunk.DefaultEntries, int reserve = 0) : IThreadPoolWorkItem
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

    /// <summary>The engine's reserve: 16 chunks (1 MB, a burst's first 5,000 standard events), or the whole retention if smaller.</summary>
    public static int ReserveFor(int maxRetained) => Math.Min(16, maxRetained);

    private readonly Lock _lock = new();
    private readonly Stack<ArenaChunk> _free = new();
    private readonly int _reserve = Math.Min(reserve, maxRetained);

    // Pooled chunks made and not dropped past the retention: growth stops at the retention. Under _lock.
    private int _made;

    // 1 while a growth item is queued or running. Set by a renter (exchange), cleared by the item.
    private int _growing;

    // Set by Release (the engine shut down): from then on no chunk is kept. Under _lock.
    private bool _released;

    /// <summary>Entries in a pooled chunk.</summary>
    public int ChunkEntries => chunkEntries;

    /// <summary>Bytes in a pooled chunk's raw JSON area, once it has one.</summary>
    public int ChunkBytes { get; } = (int)((long)ArenaChunk.DefaultBytes * chunkEntries / ArenaChunk.DefaultEntries);

    /// <summary>Free chunks now (for tests).</summary>
    public int FreeCount
    {
        get
        {
            lock (_lock)
                return _free.Count;
        }
    }

    /// <summary>Whether a growth item is queued or running (for tests).</summary>
    public bool Growing => Volatile.Read(ref _growing) != 0;

    /// <summary>Makes the reserve now, on the constructing thread (the engine's constructor).</summary>
    public ArenaPool Prefilled()
    {
        Grow();
        return this;
    }

    public ArenaChunk Rent(object producer)
    {
        ArenaChunk? chunk;
        bool low;
        lock (_lock)
        {
            _free.TryPop(out chunk);
            if (chunk is null)
                _made++;
            low = !_released && _free.Count < _reserve && _made < maxRetained;
        }

        if (low && Interlocked.Exchange(ref _growing, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

        chunk ??= new ArenaChunk(chunkEntries, bytes: 0, pooled: true);
        chunk.MarkRented(producer);
        return chunk;
    }

    /// <summary>On a pool thread: tops the free chunks up to the reserve.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        Grow();
        Volatile.Write(ref _growing, 0);
    }

    /// <summary>Makes chunks (outside the lock) until the reserve is free or the retention made.</summary>
    private void Grow()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_released || _free.Count >= _reserve || _made >= maxRetained)
                    return;
                _made++;
            }

            var chunk = new ArenaChunk(chunkEntries, bytes: 0, pooled: true);
            lock (_lock)
            {
                if (_released)
                {
                    _made--;
                    return;
                }

                _free.Push(chunk);
            }
        }
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
            if (!_released && _free.Count < maxRetained)
                _free.Push(chunk);
            else
                _made--;
        }
    }

    /// <summary>
    /// The engine shut down: drops the free chunks and keeps none returned later. Every thread that called
    /// Track keeps its <see cref="ProducerState"/>, and through it this pool, in a thread-static cache for as
    /// long as it lives (or until it calls Track on another engine); a pool that kept its chunks would keep
    /// up to its retention of them (megabytes) alive after the engine is gone.
    /// </summary>
    public void Release()
    {
        lock (_lock)
        {
            _released = true;
            _made -= _free.Count;
            _free.Clear();
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
