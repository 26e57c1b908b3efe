using System.Diagnostics;

namespace Sluice.Producing;

/// <summary>
/// A slab of property entries (and raw JSON bytes) that one producer thread fills and the
/// serializer reads. Ownership: the producer appends and never rewrites committed entries; a record
/// points into the chunk only if it holds entries there. When the producer moves to a new chunk,
/// one that published records point into is hung on the new one (<see cref="Retired"/>): because a
/// producer's records leave the ring in order, the serializer reaching the first record in the new
/// chunk proves every reader of the old one is done, so it may recycle it. One that no published
/// record ever pointed into goes back to the pool at once. No reference counts, no interlocked
/// operations. Debug builds check the ownership (<see cref="Owner"/>, <see cref="Generation"/>).
/// </summary>
internal sealed class ArenaChunk
{
    public const int DefaultEntries = 2048;   // 2048 x 32 B = 64 KB, below the LOH threshold

    // The raw JSON area, made on first need (most events hold no raw bytes: strings are kept by
    // reference). Sized for the pre-serialized API: the standard event's two objects (2 entries,
    // 140 bytes) fill 64 KB after about 470 events, using under half the entries. A 16 KB area
    // filled after 117 of them: a backlog of 32,768 such events took 280 chunks, past the pool's
    // retention, and the calling thread allocated 1 B per call in the benchmark.
    public const int DefaultBytes = 64 * 1024;

    public ArenaChunk(int entries, int bytes, bool pooled)
    {
        Entries = new PropertyEntry[entries];
        Bytes = bytes == 0 ? [] : new byte[bytes];
        Pooled = pooled;
    }

    public PropertyEntry[] Entries { get; }

    public byte[] Bytes { get; private set; }

    /// <summary>
    /// Producer: gives a chunk without a byte area one of <paramref name="bytes"/>. Records published
    /// later (a release) are the only way the serializer reaches it; earlier ones hold no raw bytes.
    /// </summary>
    public void AddBytes(int bytes)
    {
        Debug.Assert(Bytes.Length == 0, "A byte area is made once.");
        Bytes = new byte[bytes];
    }

    /// <summary>False for one-off chunks sized for a single huge event: those are left to the GC.</summary>
    public bool Pooled { get; }

    // Entries written, for the clearing at recycling. Set by the producer when it gives the chunk up,
    // not per event (see ProducerState), before any record that leads the serializer to recycle it.
    public int EntryCount;

    // The chunk its producer used before this one, still to be recycled. Set by the producer before
    // any record pointing into this chunk is published; taken (and cleared) by the serializer at the
    // first such record it reads, or when this chunk is itself recycled.
    public ArenaChunk? Retired;

    // Debug builds only (kept by the [Conditional("DEBUG")] methods below). Owner: the producer
    // renting the chunk, null while it is in the pool; written by the producer at rent and by
    // whoever returns it. Generation: how many times it was recycled; written at return. A record
    // carries the generation it was published at, so reading it after a recycling is caught.
    public object? Owner;
    public int Generation;

    public void Reset()
    {
        // Drop references to callers' strings so a pooled chunk keeps nothing alive.
        Array.Clear(Entries, 0, EntryCount);
        EntryCount = 0;
        Retired = null;
    }

    [Conditional("DEBUG")]
    public void AssertRentedBy(object producer)
        => Debug.Assert(ReferenceEquals(Owner, producer), "A producer writes and publishes only into a chunk it rented.");

    [Conditional("DEBUG")]
    public void MarkRented(object producer)
    {
        Debug.Assert(Owner is null, "A chunk is rented by one producer at a time.");
        Owner = producer;
    }

    [Conditional("DEBUG")]
    public void MarkReturned()
    {
        Debug.Assert(Owner is not null, "A chunk is returned once per rent.");
        Owner = null;
        Generation++;
    }
}
