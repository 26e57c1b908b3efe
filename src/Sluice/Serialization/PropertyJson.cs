using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>Writes a snapshot's entries as JSON. The serializer's inner loop: one switch per token.</summary>
internal static class PropertyJson
{
    /// <param name="w">The writer.</param>
    /// <param name="chunk">The arena chunk holding the snapshot.</param>
    /// <param name="start">The snapshot's first entry.</param>
    /// <param name="count">The snapshot's entry count.</param>
    /// <param name="names">Pre-encoded names.</param>
    /// <param name="position">Where this snapshot's entries stand in <paramref name="names"/>' positional level.</param>
    public static void Write(JsonEventWriter w, ArenaChunk chunk, int start, int count, PropertyNameCache names, int position)
    {
        var entries = chunk.Entries.AsSpan(start, count);
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly PropertyEntry e = ref entries[i];

            // Three ways to name a value: none (an array element or a closing bracket), a cached encoded member, the caller's string.
            if (e.Key is { } key)
            {
                var member = names.TryGet(key, position + i);
                if (member is not null && e.Tag == EntryTag.String)
                {
                    // The most common property, in one piece.
                    w.WriteMemberString(member, e.Text!);
                    continue;
                }

                if (member is not null)
                    w.WriteMemberName(member);
                else
                    w.WritePropertyName(key);
            }

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
                case EntryTag.True:
                case EntryTag.False:
                    w.WriteBooleanValue(e.Tag == EntryTag.True);
                    break;
                case EntryTag.Null:
                    w.WriteNullValue();
                    break;
                case EntryTag.DateTime:
                    w.WriteTimestampValue(e.Bits);
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
                    w.WriteRawValue(chunk.Bytes.AsSpan((int)(e.Bits >> 32), (int)e.Bits));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown entry tag {e.Tag}.");
            }
        }
    }
}
