using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sluice.Producing;

/// <summary>
/// The small record a Track/Page call enqueues. Everything mutable the caller passed has been
/// copied into <see cref="Chunk"/>; the strings referenced here are immutable. Kept small (three
/// references, 56 bytes): it is copied into the ring on every call, behind a GC write barrier.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct EventRecord
{
    /// <summary>The user id; for a page given only a session, the session id (see <see cref="IdIsSession"/>).</summary>
    public string? Id;

    /// <summary>Event name for a track; optional page name for a page.</summary>
    public string? Name;

    /// <summary>The chunk holding the event's property entries; null if it holds none (see <see cref="ArenaChunk"/>).</summary>
    public ArenaChunk? Chunk;

    public long TimestampTicks;

    /// <summary>
    /// A lower bound of the event's JSON size (saturated at int.MaxValue), to refuse a huge event before
    /// writing it: one byte per character of the ids, the track's name, property keys and strings, the
    /// raw JSON's bytes, and the brackets and separators of properties and context. It assumes the wire
    /// format writes what it is given of these (see <see cref="Serialization.WireFormat.WriteEvent"/>).
    /// </summary>
    public int MinBytes;

    public int PropStart;
    public int PropCount;   // -1: no properties
    public int CtxCount;    // -1: no context; its entries follow the properties'
    public EventKind Kind;
    public bool IdIsSession;

#if DEBUG
    /// <summary>Debug builds: <see cref="ArenaChunk.Generation"/> of <see cref="Chunk"/> when the record was made.</summary>
    public int ChunkGeneration;
#endif

    public readonly string? UserId => IdIsSession ? null : Id;

    public readonly string? SessionId => IdIsSession ? Id : null;

    public readonly int CtxStart => PropStart + Math.Max(PropCount, 0);

    /// <summary>Debug builds: notes the generation of the record's chunk, which the serializer checks when it is done with the record.</summary>
    [Conditional("DEBUG")]
    public static void StampChunkGeneration(ref EventRecord record)
    {
#if DEBUG
        record.ChunkGeneration = record.Chunk?.Generation ?? 0;
#endif
    }

    /// <summary>Copies every field: faster than a struct assignment (see <see cref="Buffering.RingChannel{T}"/>).</summary>
    public readonly void CopyTo(ref EventRecord destination)
    {
        destination.Id = Id;
        destination.Name = Name;
        destination.Chunk = Chunk;
        destination.TimestampTicks = TimestampTicks;
        destination.MinBytes = MinBytes;
        destination.PropStart = PropStart;
        destination.PropCount = PropCount;
        destination.CtxCount = CtxCount;
        destination.Kind = Kind;
        destination.IdIsSession = IdIsSession;
#if DEBUG
        destination.ChunkGeneration = ChunkGeneration;
#endif
    }
}
