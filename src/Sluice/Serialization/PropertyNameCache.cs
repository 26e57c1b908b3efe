using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Serialization;

/// <summary>
/// Property names already encoded as JSON members (<c>,"name":</c>), found by the caller's string
/// reference. Analytics events repeat a few keys, usually string literals, so most names are written
/// with one copy instead of being transcoded and escape-checked for every event. Two levels: by
/// position (the name the entry at this position of a properties object had last time: one reference
/// comparison, which is what events of a fixed shape hit), then by identity hash. A name is encoded
/// (its only allocations) on its second sighting in a row in its hash slot, so a stream of ever-new
/// keys never allocates. Used only by the serializer thread; one per partition, since each endpoint
/// tends to see one shape.
/// </summary>
internal sealed class PropertyNameCache(JavaScriptEncoder encoder)
{
    /// <summary>Positions per object: the properties object uses the first half, the context the second.</summary>
    public const int Positions = 64;

    private const int Slots = 512;      // a power of two
    private const int MaxLength = 64;   // longer names are rare: not worth the memory

    private readonly Slot[] _byPosition = new Slot[Positions];
    private readonly Slot[] _byHash = new Slot[Slots];

    /// <summary>The member <c>,"name":</c> if <paramref name="name"/> (this very string) is cached and ready, else null.</summary>
    /// <param name="name">The property name.</param>
    /// <param name="position">Where the entry stands in its snapshot (any number: it is wrapped).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[]? TryGet(string name, int position)
    {
        ref var predicted = ref _byPosition[position & (Positions - 1)];
        return ReferenceEquals(predicted.Name, name) ? predicted.Member : Lookup(ref predicted, name);
    }

    private byte[]? Lookup(ref Slot predicted, string name)
    {
        ref var slot = ref _byHash[RuntimeHelpers.GetHashCode(name) & (Slots - 1)];
        if (ReferenceEquals(slot.Name, name))
        {
            // Second sighting in a row: worth encoding.
            slot.Member ??= Member(JsonEncodedText.Encode(name, encoder).EncodedUtf8Bytes);
            predicted = slot; // only ready names are predicted
            return slot.Member;
        }

        // First sighting (or a collision): remember it, encode nothing yet. Names with surrogates are
        // never cached: JsonEncodedText refuses a lone one, which the writer's string path turns into U+FFFD.
        if (name.Length <= MaxLength && !name.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
            slot = new Slot { Name = name };
        return null;
    }

    private static byte[] Member(ReadOnlySpan<byte> encoded)
    {
        var member = new byte[encoded.Length + 4];
        member[0] = (byte)',';
        member[1] = (byte)'"';
        encoded.CopyTo(member.AsSpan(2));
        member[^2] = (byte)'"';
        member[^1] = (byte)':';
        return member;
    }

    private struct Slot
    {
        public string? Name;

        /// <summary><c>,"name":</c>, once encoded (null after the first sighting).</summary>
        public byte[]? Member;
    }
}
