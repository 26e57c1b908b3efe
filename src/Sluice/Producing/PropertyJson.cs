using System.Text.Json;
using Sluice.Delivery.WireFormats;

namespace Sluice.Producing;

/// <summary>Writes a snapshot's entries as JSON. The serializer's inner loop: one switch per token.</summary>
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

            // Three ways to name a value: none (an array element), a cached pre-encoded name, the caller's string.
            string? key = e.Key;
            JsonEncodedText name = default;
            bool encoded = key is not null && names.TryGet(key, position + i, out name);
            switch (e.Tag)
            {
                case EntryTag.String:
                    if (encoded) w.WriteString(name, e.Text);
                    else if (key is null) w.WriteStringValue(e.Text);
                    else w.WriteString(key, e.Text);
                    break;
                case EntryTag.Int64:
                    if (encoded) w.WriteNumber(name, e.Bits);
                    else if (key is null) w.WriteNumberValue(e.Bits);
                    else w.WriteNumber(key, e.Bits);
                    break;
                case EntryTag.UInt64:
                    if (encoded) w.WriteNumber(name, (ulong)e.Bits);
                    else if (key is null) w.WriteNumberValue((ulong)e.Bits);
                    else w.WriteNumber(key, (ulong)e.Bits);
                    break;
                case EntryTag.Double:
                    if (encoded) w.WriteNumber(name, BitConverter.Int64BitsToDouble(e.Bits));
                    else if (key is null) w.WriteNumberValue(BitConverter.Int64BitsToDouble(e.Bits));
                    else w.WriteNumber(key, BitConverter.Int64BitsToDouble(e.Bits));
                    break;
                case EntryTag.True:
                case EntryTag.False:
                    if (encoded) w.WriteBoolean(name, e.Tag == EntryTag.True);
                    else if (key is null) w.WriteBooleanValue(e.Tag == EntryTag.True);
                    else w.WriteBoolean(key, e.Tag == EntryTag.True);
                    break;
                case EntryTag.Null:
                    if (encoded) w.WriteNull(name);
                    else if (key is null) w.WriteNullValue();
                    else w.WriteNull(key);
                    break;
                case EntryTag.DateTime:
                    WriteDateTime(w, e.Bits, key, encoded, name);
                    break;
                case EntryTag.StartObject:
                    if (encoded) w.WriteStartObject(name);
                    else if (key is null) w.WriteStartObject();
                    else w.WriteStartObject(key);
                    break;
                case EntryTag.StartArray:
                    if (encoded) w.WriteStartArray(name);
                    else if (key is null) w.WriteStartArray();
                    else w.WriteStartArray(key);
                    break;
                case EntryTag.EndObject:
                    w.WriteEndObject();
                    break;
                case EntryTag.EndArray:
                    w.WriteEndArray();
                    break;
                case EntryTag.Raw:
                case EntryTag.RawObject:
                    if (encoded) w.WritePropertyName(name);
                    else if (key is not null) w.WritePropertyName(key);
                    w.WriteRawValue(chunk.Bytes.AsSpan((int)(e.Bits >> 32), (int)e.Bits), skipInputValidation: true);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown entry tag {e.Tag}.");
            }
        }
    }

    // Out of line: its buffer is not worth zeroing for every snapshot.
    private static void WriteDateTime(Utf8JsonWriter w, long ticks, string? key, bool encoded, JsonEncodedText name)
    {
        Span<byte> text = stackalloc byte[Timestamps.Length];
        Timestamps.Format(ticks, text);
        if (encoded) w.WriteString(name, text);
        else if (key is null) w.WriteStringValue(text);
        else w.WriteString(key, text);
    }
}
