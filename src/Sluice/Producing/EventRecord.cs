using System.Runtime.InteropServices;

namespace Sluice.Producing;

/// <summary>
/// The small record a Track/Page call enqueues. Everything mutable the caller passed has been
/// copied into <see cref="Chunk"/>; the strings referenced here are immutable.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct EventRecord
{
    public string? UserId;
    public string? SessionId;

    /// <summary>Event name for a track; optional page name for a page.</summary>
    public string? Name;

    public ArenaChunk? Chunk;

    /// <summary>A chunk its producer has finished with; the serializer recycles it after this record.</summary>
    public ArenaChunk? Retired;

    public long TimestampTicks;

    /// <summary>
    /// A lower bound of the event's JSON size, to refuse a huge event before writing it: one byte per
    /// character of the ids, the track's name, property keys and strings, the raw JSON's bytes, and
    /// the brackets and separators of properties and context. It assumes the wire format writes what
    /// it is given of these (see <see cref="Delivery.WireFormats.WireFormat.WriteEvent"/>).
    /// </summary>
    public long MinBytes;

    public int PropStart;
    public int PropCount;   // -1: no properties
    public int CtxStart;
    public int CtxCount;    // -1: no context
    public EventKind Kind;
}
