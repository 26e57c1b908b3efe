using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Serialization;

/// <summary>
/// Property names already encoded (<see cref="JsonEncodedText"/>), found by the caller's string
/// reference. Analytics events repeat a few keys, usually string literals, so most names are written
/// pre-encoded instead of being transcoded and escape-checked for every event. Two levels: by position
/// (the name the entry at this position of a properties object had last time: one reference
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

    /// <summary>Whether <paramref name="name"/> (this very string) is cached and encoded; then <paramref name="encoded"/> is its encoding.</summary>
    /// <param name="name">The property name.</param>
    /// <param name="position">Where the entry stands in its snapshot (any number: it is wrapped).</param>
    /// <param name="encoded">The encoded name, if cached.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(string name, int position, out JsonEncodedText encoded)
    {
        ref var predicted = ref _byPosition[position & (Positions - 1)];
        if (ReferenceEquals(predicted.Name, name))
        {
            encoded = predicted.Encoded;
            return true;
        }

        return Lookup(ref predicted, name, out encoded);
    }

    private bool Lookup(ref Slot predicted, string name, out JsonEncodedText encoded)
    {
        ref var slot = ref _byHash[RuntimeHelpers.GetHashCode(name) & (Slots - 1)];
        if (ReferenceEquals(slot.Name, name))
        {
            // Second sighting in a row: worth encoding.
            if (!slot.Ready)
            {
                slot.Encoded = JsonEncodedText.Encode(name, encoder);
                slot.Ready = true;
            }

            predicted = slot; // only ready names are predicted
            encoded = slot.Encoded;
            return true;
        }

        // First sighting (or a collision): remember it, encode nothing yet. Names with surrogates are
        // never cached: JsonEncodedText refuses a lone one, which the writer's string path turns into U+FFFD.
        if (name.Length <= MaxLength && !name.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
            slot = new Slot { Name = name };
        encoded = default;
        return false;
    }

    private struct Slot
    {
        public string? Name;

        /// <summary>The encoded name, once <see cref="Ready"/> (after the second sighting).</summary>
        public JsonEncodedText Encoded;

        public bool Ready;
    }
}
