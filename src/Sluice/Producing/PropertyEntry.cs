using System.Runtime.InteropServices;

namespace Sluice.Producing;

/// <summary>What a <see cref="PropertyEntry"/> holds.</summary>
internal enum EntryTag : byte
{
    String,
    Int64,
    UInt64,
    Double,

    /// <summary>A <c>float</c>, written as System.Text.Json writes one (<c>0.1f</c> as <c>0.1</c>); <see cref="PropertyEntry.Bits"/> holds its 32 bits.</summary>
    Single,
    True,
    False,
    Null,
    DateTime,
    StartObject,
    EndObject,
    StartArray,
    EndArray,

    /// <summary>Validated UTF-8 JSON copied into the chunk's byte area; <see cref="PropertyEntry.Bits"/> packs offset and length.</summary>
    Raw,

    /// <summary>Like <see cref="Raw"/>, but the bytes are the whole properties (or context) object: the only entry of its snapshot.</summary>
    RawObject,
}

/// <summary>
/// One token of a properties/context snapshot, written by a producer into its arena chunk and read
/// once by the serializer. Strings are immutable, so holding the caller's reference is a snapshot.
/// A null <see cref="Key"/> means an array element.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct PropertyEntry
{
    public string? Key;
    public string? Text;
    public long Bits;
    public EntryTag Tag;
}
