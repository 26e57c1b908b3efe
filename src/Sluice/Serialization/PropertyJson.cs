using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>Writes a snapshot's entries as JSON. The serializer's inner loop: one switch and, for a cached name, one writer call per member.</summary>
internal static class PropertyJson
{
    /// <param name="w">The writer.</param>
    /// <param name="chunk">The arena chunk holding the snapshot.</param>
    /// <param name="start">The snapshot's first entry.</param>
    /// <param name="count">The snapshot's entry count.</param>
    /// <param name="names">Pre-encoded names.</param>
    /// <param name="position">Where this snapshot's entries stand in <paramref name="names"/>' positional level.</param>
    public static void Write(Utf8JsonWriter w, ArenaChunk chunk, int start, int count, PropertyNameCache names, int position)
    {
        var entries = chunk.Entries.AsSpan(start, count);
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly PropertyEntry e = ref entries[i];

            // Three ways to name a value: none (an array element or a closing bracket), a cached encoded name, the caller's string.
            if (e.Key is not { } key)
            {
                WriteValue(w, chunk, in e);
                continue;
            }

            // Stryker disable once Arithmetic : the position only predicts which cache slot holds the name; any slot finds it through the hash level, with the same bytes written
            if (names.TryGet(key, position + i, out var name))
            {
                WriteMember(w, name, chunk, in e);
            }
            else
            {
                w.WritePropertyName(key);
                WriteValue(w, chunk, in e);
            }
        }
    }

    /// <summary>Writes a pre-serialized entry (validated JSON) as the next value, as it is.</summary>
    public static void WriteRaw(Utf8JsonWriter w, ArenaChunk chunk, int index) => Raw(w, chunk, chunk.Entries[index].Bits);

    /// <summary>A member with a pre-encoded name: name and value in one call where the writer has one.</summary>
    private static void WriteMember(Utf8JsonWriter w, JsonEncodedText name, ArenaChunk chunk, in PropertyEntry e)
    {
        switch (e.Tag)
        {
            case EntryTag.String:
                w.WriteString(name, e.Text);
                break;
            case EntryTag.Int64:
                w.WriteNumber(name, e.Bits);
                break;
            case EntryTag.UInt64:
                w.WriteNumber(name, (ulong)e.Bits);
                break;
            case EntryTag.Double:
                w.WriteNumber(name, BitConverter.Int64BitsToDouble(e.Bits));
                break;
            case EntryTag.Single:
                w.WriteNumber(name, BitConverter.Int32BitsToSingle((int)e.Bits));
                break;
            case EntryTag.True:
            case EntryTag.False:
                w.WriteBoolean(name, e.Tag == EntryTag.True);
                break;
            case EntryTag.Null:
                w.WriteNull(name);
                break;
            case EntryTag.StartObject:
                w.WriteStartObject(name);
                break;
            case EntryTag.StartArray:
                w.WriteStartArray(name);
                break;
            default:
                w.WritePropertyName(name);
                WriteValue(w, chunk, in e);
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter w, ArenaChunk chunk, in PropertyEntry e)
    {
        switch (e.Tag)
        {
            case EntryTag.String:
                w.WriteStringValue(e.Text);
                break;
            case EntryTag.Int64:
                w.WriteNumberValue(e.Bits);
                break;
            case EntryTag.UInt64:
                w.WriteNumberValue((ulong)e.Bits);
                break;
            case EntryTag.Double:
                w.WriteNumberValue(BitConverter.Int64BitsToDouble(e.Bits));
                break;
            case EntryTag.Single:
                w.WriteNumberValue(BitConverter.Int32BitsToSingle((int)e.Bits));
                break;
            case EntryTag.True:
            case EntryTag.False:
                w.WriteBooleanValue(e.Tag == EntryTag.True);
                break;
            case EntryTag.Null:
                w.WriteNullValue();
                break;
            case EntryTag.DateTime:
                Span<byte> text = stackalloc byte[Timestamps.Length];
                Timestamps.Format(e.Bits, text);
                w.WriteStringValue(text);
                break;
            case EntryTag.StartObject:
                w.WriteStartObject();
                break;
            case EntryTag.StartArray:
                w.WriteStartArray();
                break;
            case EntryTag.EndObject:
                w.WriteEndObject();
                break;
            case EntryTag.EndArray:
                w.WriteEndArray();
                break;
            case EntryTag.Raw:
            case EntryTag.RawObject:
                Raw(w, chunk, e.Bits);
                break;
            default:
                throw new InvalidOperationException($"Unknown entry tag {e.Tag}.");
        }
    }

    /// <summary>The pre-serialized JSON a raw entry's <paramref name="bits"/> point to: its offset in the chunk's bytes (high half) and length (low half).</summary>
    public static ReadOnlySpan<byte> RawBytes(ArenaChunk chunk, long bits)
    {
        // Stryker disable once Bitwise : the offset is below 2^31, so the sign bit is clear and >> and >>> shift alike
        return chunk.Bytes.AsSpan((int)(bits >> 32), (int)bits);
    }

    /// <summary>Raw JSON, already validated when copied (docs/input-rules.md): written as it is.</summary>
    private static void Raw(Utf8JsonWriter w, ArenaChunk chunk, long bits)
    {
        // Stryker disable once Boolean : validating the bytes again would only cost time; they were validated when copied
        w.WriteRawValue(RawBytes(chunk, bits), skipInputValidation: true);
    }
}
