namespace Sluice.Producing;

/// <summary>
/// A slab of property entries (and raw JSON bytes) that one producer thread fills and the
/// serializer reads. Ownership: the producer appends and never rewrites committed entries; when it
/// moves to a new chunk it hangs this one on the new one (<see cref="Retired"/>). Because a
/// producer's records leave the ring in order, the serializer reaching the first record in the new
/// chunk proves every reader of the old one is done, so it may recycle it. No reference counts, no
/// interlocked operations, nothing extra in the records.
/// </summary>
internal sealed class ArenaChunk
{
    public const int DefaultEntries = 2048;   // 2048 x 32 B = 64 KB, below the LOH threshold
    public const int DefaultBytes = 16 * 1024;

    public ArenaChunk(int entries, int bytes, bool pooled)
    {
        Entries = new PropertyEntry[entries];
        Bytes = bytes == 0 ? [] : new byte[bytes];
        Pooled = pooled;
    }

    public PropertyEntry[] Entries { get; }

    public byte[] Bytes { get; }

    /// <summary>False for one-off chunks sized for a single huge event: those are left to the GC.</summary>
    public bool Pooled { get; }

    // Entries written, for the clearing at recycling. Set by the producer when it retires the chunk,
    // not per event (see ProducerState), before any record that leads the serializer to recycle it.
    public int EntryCount;

    // The chunk its producer used before this one, still to be recycled. Set by the producer before
    // any record pointing into this chunk is published; taken (and cleared) by the serializer at the
    // first such record it reads, or when this chunk is itself recycled.
    public ArenaChunk? Retired;

    public void Reset()
    {
        // Drop references to callers' strings so a pooled chunk keeps nothing alive.
        Array.Clear(Entries, 0, EntryCount);
        EntryCount = 0;
        Retired = null;
    }
}
