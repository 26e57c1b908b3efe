using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// <see cref="SluiceOptions.DefaultContext"/>, encoded once: each top-level member's name (encoded for the
/// writer and as UTF-8 for comparing with an event's own names) and its value's JSON, written as it is.
/// Immutable; read by the serializer thread.
/// </summary>
internal sealed class DefaultContext
{
    /// <summary>Members at most: each event's context is checked against every one of them.</summary>
    public const int MaxMembers = 64;

    /// <summary>Bytes of JSON at most: they are written into every event.</summary>
    public const int MaxBytes = 64 * 1024;

    private DefaultContext(Member[] members) => Members = members;

    /// <summary>The members, in the order given.</summary>
    public Member[] Members { get; }

    /// <summary>Why <paramref name="json"/> cannot be a default context ("must be …"), or null if it can.</summary>
    public static string? Problem(string json)
    {
        try
        {
            _ = Parse(json);
            return null;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return ex.Message;
        }
    }

    /// <summary>Encodes a JSON object's members.</summary>
    /// <exception cref="ArgumentException">It is not a JSON object, or it is too large.</exception>
    public static DefaultContext Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        if (utf8.Length > MaxBytes)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"must be at most {MaxBytes:N0} bytes of JSON (was {utf8.Length:N0})."));
        JsonReaderOptions options = default;
        try
        {
            // The rules of an event's own context (docs/input-rules.md), since the defaults are part of every one. A lone
            // surrogate escape ("\ud800") is valid grammar but not text: a receiver that reads strings strictly would refuse
            // every batch, and reading the member names here would throw; it becomes U+FFFD (same length, in Sluice's copy).
            if (CheckNestingAndFindLoneSurrogates(utf8))
                LoneSurrogates.ReplaceEscapes(utf8);

            var reader = new Utf8JsonReader(utf8, options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new ArgumentException("must be a JSON object, such as {\"library\":{\"name\":\"my-sdk\",\"version\":\"1.2.0\"}}.");
            var members = new List<Member>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (!names.Add(name))
                    throw new ArgumentException($"must not repeat the member \"{name}\".");
                reader.Read();
                long start = reader.TokenStartIndex;
                reader.Skip();
                long end = reader.BytesConsumed;
                members.Add(new Member(JsonEncodedText.Encode(name, EventWriter.WriterOptions.Encoder), Encoding.UTF8.GetBytes(name), utf8.AsSpan((int)start, (int)(end - start)).ToArray()));
            }

            // Anything after the object makes the reader throw (it reads one value).
            reader.Read();
            if (members.Count > MaxMembers)
                throw new ArgumentException($"must have at most {MaxMembers} members (had {members.Count}).");
            return new DefaultContext([.. members]);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"must be a JSON object: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes the object <c>{default members the event lacks, then the event's context}</c> as the next value.
    /// </summary>
    /// <param name="writer">The event's writer.</param>
    /// <param name="chunk">The event's arena chunk (null if it has no context).</param>
    /// <param name="start">The context's first entry.</param>
    /// <param name="count">The context's entry count (-1: the event has no context).</param>
    /// <param name="names">The partition's pre-encoded names.</param>
    /// <param name="position">Where the context's entries stand in <paramref name="names"/>' positional level.</param>
    /// <param name="scratch">Serializer-owned bytes to merge a pre-serialized context into.</param>
    public void WriteMerged(Utf8JsonWriter writer, ArenaChunk? chunk, int start, int count, PropertyNameCache names, int position, ArrayBufferWriter<byte> scratch)
    {
        Span<bool> overridden = stackalloc bool[Members.Length];
        ReadOnlySpan<byte> raw = default;
        if (count == 1 && chunk!.Entries[start].Tag == EntryTag.RawObject)
        {
            raw = PropertyJson.RawBytes(chunk, chunk.Entries[start].Bits);
            MarkRaw(raw, overridden);
        }
        else if (count > 0)
        {
            MarkEntries(chunk!.Entries.AsSpan(start, count), overridden);
        }

        if (!raw.IsEmpty)
        {
            // A pre-serialized context is one value: defaults and its members are joined into one object first.
            scratch.ResetWrittenCount();
            scratch.Write("{"u8);
            bool first = true;
            for (int i = 0; i < Members.Length; i++)
            {
                if (overridden[i])
                    continue;
                if (!first)
                    scratch.Write(","u8);
                first = false;
                scratch.Write("\""u8);
                scratch.Write(Members[i].EncodedName.EncodedUtf8Bytes);
                scratch.Write("\":"u8);
                scratch.Write(Members[i].Value);
            }

            var inner = raw[(raw.IndexOf((byte)'{') + 1)..raw.LastIndexOf((byte)'}')];
            if (!first && inner.IndexOfAnyExcept(" \t\r\n"u8) >= 0)
                scratch.Write(","u8);
            scratch.Write(inner);
            scratch.Write("}"u8);
            // Stryker disable once Boolean : validating again would only cost time: the defaults and the event's JSON were each validated, and joining members keeps it valid
            writer.WriteRawValue(scratch.WrittenSpan, skipInputValidation: true);
            return;
        }

        writer.WriteStartObject();
        for (int i = 0; i < Members.Length; i++)
        {
            if (overridden[i])
                continue;
            writer.WritePropertyName(Members[i].EncodedName);
            // Stryker disable once Boolean : validating again would only cost time: each value was read by Parse
            writer.WriteRawValue(Members[i].Value, skipInputValidation: true);
        }

        if (count > 0)
            PropertyJson.Write(writer, chunk!, start, count, names, position);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Refuses nesting deeper than an event's context may (<see cref="PropertiesWriter.MaxDepth"/> levels, its own object
    /// counted: receivers commonly stop at 64, and a body adds up to three) and numbers beyond a double's range, by the walk
    /// that checks an event's raw JSON; returns whether a string or member name holds a lone surrogate escape. Reads it all, so invalid JSON throws here.
    /// </summary>
    private static bool CheckNestingAndFindLoneSurrogates(byte[] utf8)
    {
        var reader = RawJson.Reader(utf8, PropertiesWriter.MaxDepth);
        var (tooDeepAt, hugeNumberAt, loneSurrogates) = RawJson.Walk(ref reader, PropertiesWriter.MaxDepth);
        if (tooDeepAt is { } deep)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"must nest at most {PropertiesWriter.MaxDepth} levels, its own object counted, as an event's context does (deeper at byte {deep})."));
        }

        if (hugeNumberAt is { } huge)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"must hold numbers within the range of a double, as an event's context does (beyond it at byte {huge})."));
        }

        return loneSurrogates;
    }

    /// <summary>Marks the defaults whose names the event's entries have at the top level.</summary>
    private void MarkEntries(ReadOnlySpan<PropertyEntry> entries, Span<bool> overridden)
    {
        int depth = 0;
        foreach (ref readonly var e in entries)
        {
            if (depth == 0 && e.Key is { } key)
            {
                for (int i = 0; i < Members.Length; i++)
                {
                    if (!overridden[i] && string.Equals(key, Members[i].NameText, StringComparison.Ordinal))
                        overridden[i] = true;
                }
            }

            if (e.Tag is EntryTag.StartObject or EntryTag.StartArray)
                depth++;
            else if (e.Tag is EntryTag.EndObject or EntryTag.EndArray)
                depth--;
        }
    }

    /// <summary>Marks the defaults whose names a pre-serialized (already validated) context object has at the top level.</summary>
    private void MarkRaw(ReadOnlySpan<byte> raw, Span<bool> overridden)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read(); // the object
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            for (int i = 0; i < Members.Length; i++)
            {
                if (!overridden[i] && reader.ValueTextEquals(Members[i].Name))
                    overridden[i] = true;
            }

            reader.Skip(); // on a property name: skips its value
        }
    }

    /// <summary>One default member.</summary>
    /// <param name="EncodedName">The name, encoded for the writer.</param>
    /// <param name="Name">The name as UTF-8.</param>
    /// <param name="Value">The value's JSON, as given.</param>
    internal sealed record Member(JsonEncodedText EncodedName, byte[] Name, byte[] Value)
    {
        /// <summary>The name as a string.</summary>
        public string NameText { get; } = Encoding.UTF8.GetString(Name);
    }
}
