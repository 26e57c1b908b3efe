namespace Sluice.Producing;

/// <summary>
/// Recycles <see cref="ArenaChunk"/>s between producers (rent) and the serializer (return).
/// Touched once per chunk (hundreds of events), so a plain lock is cheaper than being clever.
/// Retention is capped; chunks past the cap go to the GC.
/// </summary>
internal sealed class ArenaPool(int maxRetained)
{
    /// <summary>Entries per queued event the retention provides for (the standard event needs 6).</summary>
    public const int EntriesPerQueuedEvent = 8;

    /// <summary>
    /// Enough chunks for a full queue of events of up to <see cref="EntriesPerQueuedEvent"/> entries:
    /// a queue that has been full once refills without allocating. Chunks are created only when
    /// needed, so an engine whose queue never fills never holds that many.
    /// </summary>
    public static int RetentionFor(int queueCapacity)
        => (int)Math.Max(64, (long)queueCapacity * EntriesPerQueuedEvent / ArenaChunk.DefaultEntries);

    private readonly Lock _lock = new();
    private readonly Stack<ArenaChunk> _free = new();

    public ArenaChunk Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var chunk))
                return chunk;
        }

        return new ArenaChunk(ArenaChunk.DefaultEntries, bytes: 0, pooled: true);
    }

    public void Return(ArenaChunk chunk)
    {
        if (!chunk.Pooled)
            return;
        chunk.Reset();
        lock (_lock)
        {
            if (_free.Count < maxRetained)
                _free.Push(chunk);
        }
    }
}
