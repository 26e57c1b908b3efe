using System.Text.Json;
using Sluice.Delivery.WireFormats;

namespace Sluice.Producing;

/// <summary>Writes a snapshot's entries as JSON. The serializer's inner loop: one switch per token.</summary>
internal static class PropertyJson
{
    public static void Write(Utf8JsonWriter w, ArenaChunk chunk, int start, int count)
    {
        var entries = chunk.Entries.AsSpan(start, count);
        Span<byte> text = stackalloc byte[Timestamps.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly PropertyEntry e = ref entries[i];
            string? key = e.Key;
            switch (e.Tag)
            {
                case EntryTag.String:
                    if (key is null) w.WriteStringValue(e.Text);
                    else w.WriteString(key, e.Text);
                    break;
                case EntryTag.Int64:
                    if (key is null) w.WriteNumberValue(e.Bits);
                    else w.WriteNumber(key, e.Bits);
                    break;
                case EntryTag.UInt64:
                    if (key is null) w.WriteNumberValue((ulong)e.Bits);
                    else w.WriteNumber(key, (ulong)e.Bits);
                    break;
                case EntryTag.Double:
                    if (key is null) w.WriteNumberValue(BitConverter.Int64BitsToDouble(e.Bits));
                    else w.WriteNumber(key, BitConverter.Int64BitsToDouble(e.Bits));
                    break;
                case EntryTag.True:
                case EntryTag.False:
                    if (key is null) w.WriteBooleanValue(e.Tag == EntryTag.True);
                    else w.WriteBoolean(key, e.Tag == EntryTag.True);
                    break;
                case EntryTag.Null:
                    if (key is null) w.WriteNullValue();
                    else w.WriteNull(key);
                    break;
                case EntryTag.DateTime:
                    Timestamps.Format(e.Bits, text);
                    if (key is null) w.WriteStringValue(text);
                    else w.WriteString(key, text);
                    break;
                case EntryTag.StartObject:
                    if (key is null) w.WriteStartObject();
                    else w.WriteStartObject(key);
                    break;
                case EntryTag.StartArray:
                    if (key is null) w.WriteStartArray();
                    else w.WriteStartArray(key);
                    break;
                case EntryTag.EndObject:
                    w.WriteEndObject();
                    break;
                case EntryTag.EndArray:
                    w.WriteEndArray();
                    break;
                case EntryTag.Raw:
                    if (key is not null) w.WritePropertyName(key);
                    w.WriteRawValue(chunk.Bytes.AsSpan((int)(e.Bits >> 32), (int)e.Bits), skipInputValidation: true);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown entry tag {e.Tag}.");
            }
        }
    }
}
