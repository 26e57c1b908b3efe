namespace Sluice.Producing;

/// <summary>
/// A slab of property entries (and raw JSON bytes) that one producer thread fills and the
/// serializer reads. Ownership: the producer appends and never rewrites committed entries; when it
/// moves to a new chunk it hands this one back through the next record it enqueues
/// (<see cref="EventRecord.Retired"/>). Because a producer's records leave the ring in order, the
/// serializer reaching that record proves every earlier reader of this chunk is done, so it may
/// recycle it. No reference counts, no interlocked operations on the hot path.
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

    // Written only by the owning producer thread.
    public int EntryCount;
    public int ByteCount;

    // Set by the owning producer when it retires this chunk; read by the serializer that recycles it.
    public ArenaChunk? NextRetired;

    public void Reset()
    {
        // Drop references to callers' strings so a pooled chunk keeps nothing alive.
        Array.Clear(Entries, 0, EntryCount);
        EntryCount = 0;
        ByteCount = 0;
        NextRetired = null;
    }
}
