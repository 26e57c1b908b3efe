using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Sluice.Producing;

/// <summary>
/// One producer thread's arena cursor for one engine. Used only by its own thread, except that
/// chunks it retires travel to the serializer inside records.
/// </summary>
internal sealed class ProducerState(object owner, ArenaPool pool, int maxEventBytes)
{
    /// <summary>Identifies the engine (not the engine itself, so a thread-static cache keeps nothing big alive).</summary>
    public object Owner { get; } = owner;

    /// <summary>The engine's batch byte limit: raw JSON larger than this is oversize whatever else the event holds.</summary>
    public int MaxEventBytes { get; } = maxEventBytes;

    public ArenaChunk? Chunk;

    /// <summary>Set while a call is building an event: a properties callback calling Track again would corrupt it.</summary>
    public bool Busy;

    // The event being built: entries [EventStart, Pos) and bytes [EventByteStart, BytePos) of Chunk.
    public int EventStart;
    public int Pos;
    public int EventByteStart;
    public int BytePos;

    // How much of Chunk published records use. Kept here, not in the chunk, until the chunk is given up:
    // the serializer reads the chunk object for every record, and a write to it per event would pull
    // that cache line back and forth between the two cores on every call.
    private int _committedEntries;
    private int _committedBytes;

    // Whether a published record points into Chunk. Then the serializer may still read it, and only the
    // serializer may recycle it (once past those records); otherwise nothing outside this thread refers
    // to it, and it goes back to the pool directly.
    private bool _published;

    // Entries of Chunk written by events that were not published (refused, or whose call threw), past
    // the committed ones: recycling must clear them too, or a pooled chunk keeps callers' strings alive.
    private int _abandoned;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginEvent()
    {
        EventStart = Pos = _committedEntries;
        EventByteStart = BytePos = _committedBytes;
    }

    /// <summary>The chunk the event's record points into: its chunk if the event wrote entries, else none.</summary>
    public ArenaChunk? EventChunk => Pos > EventStart ? Chunk : null;

    /// <summary>The event's record, pointing into <paramref name="chunk"/> (<see cref="EventChunk"/>), was enqueued: its entries are now the serializer's to read.</summary>
    public void CommitEvent(ArenaChunk? chunk)
    {
        _committedEntries = Pos;
        _committedBytes = BytePos;
        if (chunk is not null)
        {
            chunk.AssertRentedBy(this);
            Debug.Assert(ReferenceEquals(chunk, Chunk), "A record points into its producer's current chunk.");
            _published = true;
        }

        AssertInvariants();
    }

    /// <summary>The event was refused: its entries stay unpublished, to be overwritten by the next event.</summary>
    public void AbandonEvent()
    {
        _abandoned = Math.Max(_abandoned, Pos);
        AssertInvariants();
    }

    /// <summary>The call threw while writing the event: how far it wrote is unknown, so recycling clears the whole chunk.</summary>
    public void AbandonThrownEvent()
    {
        if (Chunk is not null)
            _abandoned = Chunk.Entries.Length;
        AssertInvariants();
    }

    /// <summary>Forgets the chunk (the engine closed): a thread may outlive the engine, and must not pin it.</summary>
    public void Drop()
    {
        Chunk = null;
        _committedEntries = _committedBytes = _abandoned = 0;
        _published = false;
    }

    /// <summary>
    /// Makes room for <paramref name="entries"/> more entries and <paramref name="bytes"/> more raw
    /// bytes, moving the event built so far to a fresh chunk if the current one is too full.
    /// </summary>
    public void Grow(int entries, int bytes)
    {
        var old = Chunk;
        int usedEntries = Pos - EventStart;
        int usedBytes = BytePos - EventByteStart;
        if (old is not null && Pos + entries <= old.Entries.Length)
        {
            if (BytePos + bytes <= old.Bytes.Length)
                return;
            if (old.Bytes.Length == 0 && bytes <= pool.ChunkBytes)
            {
                old.AddBytes(pool.ChunkBytes);
                return;
            }
        }

        int needEntries = usedEntries + entries;
        int needBytes = usedBytes + bytes;
        ArenaChunk fresh;
        if (needEntries <= pool.ChunkEntries && needBytes <= pool.ChunkBytes)
        {
            fresh = pool.Rent(this);
        }
        else
        {
            fresh = new ArenaChunk(Math.Max(needEntries * 2, pool.ChunkEntries), needBytes == 0 ? 0 : Math.Max(needBytes, pool.ChunkBytes), pooled: false);
            fresh.MarkRented(this);
        }

        if (needBytes > fresh.Bytes.Length)
            fresh.AddBytes(pool.ChunkBytes);

        if (old is not null)
        {
            old.Entries.AsSpan(EventStart, usedEntries).CopyTo(fresh.Entries);
            old.Bytes.AsSpan(EventByteStart, usedBytes).CopyTo(fresh.Bytes);
            if (usedBytes > 0)
                RebaseRaw(fresh.Entries.AsSpan(0, usedEntries), EventByteStart);
            GiveUp(old, fresh);
        }

        Chunk = fresh;
        _committedEntries = _committedBytes = _abandoned = 0;
        _published = false;
        EventStart = 0;
        Pos = usedEntries;
        EventByteStart = 0;
        BytePos = usedBytes;
        Debug.Assert(Pos + entries <= fresh.Entries.Length && BytePos + bytes <= fresh.Bytes.Length, "Grow made room.");
    }

    /// <summary>Hands the chunk being left over for recycling, through the serializer if it may still read it.</summary>
    private void GiveUp(ArenaChunk old, ArenaChunk fresh)
    {
        // What recycling clears: every entry written, abandoned events' and the moved event's included.
        old.EntryCount = Math.Max(Pos, _abandoned);
        if (_published)
        {
            // The serializer recycles it once it reads the first record pointing into the fresh chunk.
            fresh.Retired = old;
        }
        else
        {
            // No record ever pointed into it, so the serializer has not seen it: pass on what it was to retire.
            fresh.Retired = old.Retired;
            old.Retired = null;
            pool.Return(old);
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_published == _committedEntries > 0, "A record points into the chunk exactly when it holds committed entries there.");
        Debug.Assert(Chunk is null || _abandoned <= Chunk.Entries.Length, "Abandoned entries lie within the chunk.");
    }

    private static void RebaseRaw(Span<PropertyEntry> moved, int byteDelta)
    {
        foreach (ref var e in moved)
        {
            if (e.Tag is EntryTag.Raw or EntryTag.RawObject)
                e.Bits -= (long)byteDelta << 32;
        }
    }
}
