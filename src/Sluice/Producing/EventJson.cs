using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>
/// Reads one event in the ThriveStack shape (<c>user_id</c>, <c>session_id</c>, <c>event_name</c>,
/// <c>timestamp</c>, <c>properties</c>, <c>context</c>): with <c>event_name</c> it is a track,
/// without it a page; an optional <c>name</c> is a page's name, for wire formats that carry one (Segment).
/// Properties and context stay raw slices of the input. Unknown fields are ignored; a known field
/// given twice is refused (receivers disagree on which one wins). Lone surrogate escapes in strings
/// become U+FFFD. Nesting: <see cref="PropertiesWriter.MaxDepth"/> levels inside any member.
/// </summary>
internal ref struct EventJson
{
    public string? UserId;
    public string? SessionId;
    public string? EventName;
    public string? Name;
    public DateTimeOffset? Timestamp;
    public ReadOnlySpan<byte> Properties;
    public ReadOnlySpan<byte> Context;

    // Whether Properties / Context hold an unpaired surrogate escape, found while they were checked.
    public bool PropertiesLoneSurrogates;
    public bool ContextLoneSurrogates;

    public readonly EventKind Kind => EventName is null ? EventKind.Page : EventKind.Track;

    /// <summary>Parses <paramref name="eventJson"/>; throws <see cref="ArgumentException"/> with the reason, naming the field, or <c>eventJson</c> (EnqueueJson's parameter) for the event as a whole.</summary>
    /// <param name="eventJson">One event object, UTF-8.</param>
    /// <param name="ids">Where the strings of ids and names are found again instead of made anew (NDJSON ingest), if given.</param>
    public static EventJson Parse(ReadOnlySpan<byte> eventJson, IdentifierCache? ids = null)
    {
        if (!Utf8.IsValid(eventJson))
            ThrowHelper.Argument("The event is not valid UTF-8.", nameof(eventJson));

        var result = default(EventJson);
        int seen = 0;
        // The event object, MaxDepth levels inside a member, one more so that SkipChecked reports nesting.
        var reader = new Utf8JsonReader(eventJson, new JsonReaderOptions { MaxDepth = PropertiesWriter.MaxDepth + 2 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                // A JSON array of events (a common export) is the likely mistake behind an array: say what is expected instead.
                ThrowHelper.Argument(reader.TokenType == JsonTokenType.StartArray
                    ? "An event must be one JSON object, not an array (NDJSON has one event object per line)."
                    : "An event must be one JSON object.", nameof(eventJson));
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // A name with a lone surrogate escape is no known field, and ValueTextEquals throws on it.
                bool unknown = reader.ValueIsEscaped && LoneSurrogates.HasEscapes(reader.ValueSpan);
                if (unknown) Skip(ref reader);
                else if (reader.ValueTextEquals("user_id"u8)) result.UserId = ReadString(ref reader, "user_id", ref seen, 1, ids);
                else if (reader.ValueTextEquals("session_id"u8)) result.SessionId = ReadString(ref reader, "session_id", ref seen, 2, ids);
                else if (reader.ValueTextEquals("event_name"u8)) result.EventName = ReadString(ref reader, "event_name", ref seen, 4, ids);
                else if (reader.ValueTextEquals("name"u8)) result.Name = ReadString(ref reader, "name", ref seen, 64, ids);
                else if (reader.ValueTextEquals("timestamp"u8)) result.Timestamp = ReadTimestamp(ref reader, ref seen);
                else if (reader.ValueTextEquals("properties"u8)) result.Properties = ReadObject(ref reader, eventJson, "properties", ref seen, 16, out result.PropertiesLoneSurrogates);
                else if (reader.ValueTextEquals("context"u8)) result.Context = ReadObject(ref reader, eventJson, "context", ref seen, 32, out result.ContextLoneSurrogates);
                else Skip(ref reader);
            }

            _ = reader.Read(); // throws on anything but whitespace after the object
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Not valid JSON ({RawJson.Describe(eventJson, ex)}).", nameof(eventJson), ex);
        }

        return result;
    }

    private static void Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        _ = RawJson.SkipChecked(ref reader, PropertiesWriter.MaxDepth, "eventJson");
    }

    private static void Once(ref int seen, int bit, string field)
    {
        if ((seen & bit) != 0)
            ThrowHelper.Argument($"{field} appears twice in the event.", field);
        seen |= bit;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field, ref int seen, int bit, IdentifierCache? ids)
    {
        Once(ref seen, bit, field);
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.String)
            ThrowHelper.Argument($"{field} must be a string.", field);
        return ids is not null && !reader.ValueIsEscaped ? ids.Get(reader.ValueSpan) : GetString(ref reader);
    }

    /// <summary>The string value, with lone surrogate escapes as U+FFFD (the reader's GetString refuses them).</summary>
    private static string GetString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped || !LoneSurrogates.HasEscapes(reader.ValueSpan))
            return reader.GetString()!;

        var quoted = new byte[reader.ValueSpan.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        reader.ValueSpan.CopyTo(quoted.AsSpan(1));
        LoneSurrogates.ReplaceEscapes(quoted);
        var repaired = new Utf8JsonReader(quoted);
        repaired.Read();
        return repaired.GetString()!;
    }

    /// <summary>The object's bytes, checked as <see cref="RawJson.Validate(ReadOnlySpan{byte}, string)"/> checks them (the whole event is valid UTF-8).</summary>
    private static ReadOnlySpan<byte> ReadObject(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string field, scoped ref int seen, int bit, out bool loneSurrogates)
    {
        Once(ref seen, bit, field);
        loneSurrogates = false;
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return default;
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowHelper.Argument($"{field} must be a JSON object.", field);
        int start = (int)reader.TokenStartIndex;
        loneSurrogates = RawJson.SkipChecked(ref reader, PropertiesWriter.MaxDepth, field);
        return json[start..(int)reader.BytesConsumed];
    }

    private static DateTimeOffset? ReadTimestamp(ref Utf8JsonReader reader, ref int seen)
    {
        Once(ref seen, 8, "timestamp");
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.String)
            ThrowHelper.Argument("timestamp must be an ISO 8601 string.", "timestamp");

        // The usual case, read in place (no string made); anything else takes the path below, which explains.
        if (!reader.ValueIsEscaped && reader.TryGetDateTimeOffset(out var parsed) && HasZone(reader.ValueSpan))
            return parsed;

        // A lone surrogate escape is no ISO 8601 text (and TryGetDateTimeOffset throws on one).
        string text = GetString(ref reader);
        var value = default(DateTimeOffset);
        if (text.Contains('\uFFFD', StringComparison.Ordinal) || !(reader.TryGetDateTimeOffset(out value) || TryParseVariant(text, out value)))
            ThrowHelper.Argument($"timestamp '{text}' is not ISO 8601 (expected e.g. 2024-10-20T15:51:35.059Z).", "timestamp");
        if (!HasZone(Encoding.UTF8.GetBytes(text)))
            ThrowHelper.Argument($"timestamp '{text}' has no time zone: end it with Z (UTC) or an offset such as +07:00.", "timestamp");
        return value;
    }

    private static readonly SearchValues<char> TimestampCharacters = SearchValues.Create("0123456789-:.,+TtZz");

    /// <summary>
    /// What the reader's ISO 8601 profile refuses of the spellings the standards allow: RFC 3339's lowercase <c>t</c> and
    /// <c>z</c> (<c>2024-10-20t15:51:35z</c>), and ISO 8601's comma as the decimal sign (<c>15:51:35,059Z</c>, its preferred
    /// one). Read as their uppercase forms and a full stop, by the same reader: it accepts a full stop only before the
    /// seconds' fraction, so a comma anywhere else still fails.
    /// </summary>
    private static bool TryParseVariant(string text, out DateTimeOffset value)
    {
        value = default;
        // Only what a timestamp is made of: anything else (a quote, a control character) is no timestamp, and would not
        // make a JSON string either.
        if (text.Length > 64 || !text.AsSpan().ContainsAny('t', 'z', ',') || text.AsSpan().ContainsAnyExcept(TimestampCharacters))
            return false;
        byte[] quoted = Encoding.UTF8.GetBytes("\"" + text.Replace('t', 'T').Replace('z', 'Z').Replace(',', '.') + "\"");
        var reader = new Utf8JsonReader(quoted);
        return reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out value);
    }

    private static bool HasZone(ReadOnlySpan<byte> text)
    {
        if (text.EndsWith("Z"u8) || text.EndsWith("z"u8))
            return true;
        int t = text.IndexOfAny((byte)'T', (byte)'t');
        return t > 0 && text[t..].IndexOfAny((byte)'+', (byte)'-') > 0;
    }
}
