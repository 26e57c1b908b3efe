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

    // How much of Chunk published records use. Kept here, not in the chunk, until the chunk is retired:
    // the serializer reads the chunk object for every record, and a write to it per event would pull
    // that cache line back and forth between the two cores on every call.
    private int _committedEntries;
    private int _committedBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginEvent()
    {
        EventStart = Pos = _committedEntries;
        EventByteStart = BytePos = _committedBytes;
    }

    /// <summary>The event was enqueued: its entries are now the serializer's to read.</summary>
    public void CommitEvent()
    {
        _committedEntries = Pos;
        _committedBytes = BytePos;
    }

    /// <summary>Forgets the chunk (the engine closed): a thread may outlive the engine, and must not pin it.</summary>
    public void Drop()
    {
        Chunk = null;
        _committedEntries = _committedBytes = 0;
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
            if (old.Bytes.Length == 0 && bytes <= ArenaChunk.DefaultBytes)
            {
                old.AddBytes();
                return;
            }
        }

        int needEntries = usedEntries + entries;
        int needBytes = usedBytes + bytes;
        var fresh = needEntries <= ArenaChunk.DefaultEntries && needBytes <= ArenaChunk.DefaultBytes
            ? pool.Rent()
            : new ArenaChunk(Math.Max(needEntries * 2, ArenaChunk.DefaultEntries), needBytes == 0 ? 0 : Math.Max(needBytes, ArenaChunk.DefaultBytes), pooled: false);
        if (needBytes > fresh.Bytes.Length)
            fresh.AddBytes();

        if (old is not null)
        {
            old.Entries.AsSpan(EventStart, usedEntries).CopyTo(fresh.Entries);
            old.Bytes.AsSpan(EventByteStart, usedBytes).CopyTo(fresh.Bytes);
            if (usedBytes > 0)
                RebaseRaw(fresh.Entries.AsSpan(0, usedEntries), EventByteStart);

            // What the serializer's recycling clears: every entry written, the moved event's included.
            old.EntryCount = EventStart + usedEntries;
            if (_committedEntries > 0 || _committedBytes > 0)
            {
                // Published records point into it: the serializer recycles it once past them.
                fresh.Retired = old;
            }
            else
            {
                // No record points into it, so the serializer has not seen it: pass on what it was to retire.
                fresh.Retired = old.Retired;
                old.Retired = null;
                pool.Return(old);
            }
        }

        Chunk = fresh;
        _committedEntries = _committedBytes = 0;
        EventStart = 0;
        Pos = usedEntries;
        EventByteStart = 0;
        BytePos = usedBytes;
        Debug.Assert(Pos + entries <= fresh.Entries.Length && BytePos + bytes <= fresh.Bytes.Length, "Grow made room.");
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
