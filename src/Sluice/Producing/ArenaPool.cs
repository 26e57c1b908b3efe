namespace Sluice.Producing;

/// <summary>
/// Recycles <see cref="ArenaChunk"/>s between producers (rent) and the serializer (return).
/// Touched once per chunk (hundreds of events), so a plain lock is cheaper than being clever.
/// Retention is capped; chunks past the cap go to the GC.
/// </summary>
internal sealed class ArenaPool(int maxRetained)
{
    private readonly Lock _lock = new();
    private readonly Stack<ArenaChunk> _free = new();

    public ArenaChunk Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var chunk))
                return chunk;
        }

        return new ArenaChunk(ArenaChunk.DefaultEntries, ArenaChunk.DefaultBytes, pooled: true);
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
