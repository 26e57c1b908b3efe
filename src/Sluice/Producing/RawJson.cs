using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>
/// Validation of JSON given as bytes (pre-serialized properties/context, <see cref="JsonElement"/>
/// values, NDJSON events): valid UTF-8, strict RFC 8259 grammar as <see cref="Utf8JsonReader"/>
/// reads it by default (no comments, no trailing commas, one value, nothing after it but
/// whitespace), nesting within <see cref="PropertiesWriter.MaxDepth"/> with a clear error beyond, and
/// numbers within a double's range.
/// A refusal names the field, the reason and the byte.
/// </summary>
internal static class RawJson
{
    /// <summary>Pre-serialized properties or context: exactly one JSON object. Returns whether it holds a lone surrogate escape.</summary>
    public static bool Validate(ReadOnlySpan<byte> json, string field) => Validate(json, field, PropertiesWriter.MaxDepth, objectOnly: true);

    /// <summary>
    /// One JSON value nesting at most <paramref name="maxLevels"/> levels, counting itself if it is a
    /// container. Errors name <paramref name="field"/>, and <paramref name="member"/> in the message if given.
    /// Returns whether a string or name holds an unpaired <c>\uD800</c>–<c>\uDFFF</c> escape, which
    /// Sluice's copy must repair (<see cref="LoneSurrogates"/>).
    /// </summary>
    public static bool Validate(ReadOnlySpan<byte> json, string field, int maxLevels, bool objectOnly, string? member = null)
    {
        // The reader checks UTF-8 only where it decodes (GetString), not while it reads.
        if (!Utf8.IsValid(json))
            ThrowHelper.Argument($"{Where(field, member)}: the JSON is not valid UTF-8.", field);

        var reader = Reader(json, maxLevels);
        bool loneSurrogates = false;
        try
        {
            reader.Read();
            if (objectOnly && reader.TokenType != JsonTokenType.StartObject)
                ThrowHelper.Argument($"{Where(field, member)}: must be one JSON object.", field);
            (long? tooDeepAt, long? hugeNumberAt, loneSurrogates) = Walk(ref reader, maxLevels);
            if (tooDeepAt is { } deep)
                ThrowTooDeep(field, member, deep);
            if (hugeNumberAt is { } huge)
                ThrowHugeNumber(field, member, huge);
        }
        catch (JsonException ex)
        {
            ThrowHelper.Argument($"{Where(field, member)}: not valid JSON ({Describe(json, ex)}).", field, ex);
        }

        return loneSurrogates;
    }

    /// <summary>
    /// A reader of <paramref name="json"/> that reads one level more than <paramref name="maxLevels"/>, so that the
    /// container past the limit is read and named with the limit's own message (a MaxDepth of 0 would mean the reader's default).
    /// </summary>
    internal static Utf8JsonReader Reader(ReadOnlySpan<byte> json, int maxLevels) => new(json, new JsonReaderOptions { MaxDepth = maxLevels + 1 });

    /// <summary>
    /// Reads on from the reader's current token (or its start) to the end: where a container opens past <paramref name="maxLevels"/>
    /// levels, or where a number beyond a double's range stands (<see cref="IsBeyondDouble"/>): the byte, the reading
    /// stopping there (null if none); and whether a string or member name holds a lone surrogate escape. Throws
    /// <see cref="JsonException"/> where the text is not JSON.
    /// </summary>
    internal static (long? TooDeepAt, long? HugeNumberAt, bool LoneSurrogates) Walk(ref Utf8JsonReader reader, int maxLevels)
    {
        bool loneSurrogates = false;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth >= maxLevels:
                    return (reader.TokenStartIndex, null, loneSurrogates);
                case JsonTokenType.Number when IsBeyondDouble(reader.ValueSpan):
                    return (null, reader.TokenStartIndex, loneSurrogates);
                case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped && !loneSurrogates:
                    // Only an escaped string can spell a surrogate; most have no escape at all.
                    loneSurrogates = LoneSurrogates.HasEscapes(reader.ValueSpan);
                    break;
            }
        }
        while (reader.Read());

        return (null, null, loneSurrogates);
    }

    /// <summary>
    /// Whether a number (valid JSON grammar) is beyond the range of a double, as <c>1e400</c> is: System.Text.Json and
    /// JavaScript read it as infinity, Go's decoder refuses it, so one such number can make a server refuse the whole
    /// batch. Only a number with an exponent or of 309 characters or more can be: the others cost one search.
    /// </summary>
    internal static bool IsBeyondDouble(ReadOnlySpan<byte> number)
        => (number.Length >= 309 || number.IndexOfAny((byte)'e', (byte)'E') >= 0)
           && !(double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value));

    /// <summary>
    /// Moves the reader from the first token of a value to its last, refusing containers nested
    /// more than <paramref name="maxLevels"/> levels deep, counted from that value, and numbers beyond a double's range. The reader's own
    /// MaxDepth must leave room for one level more. Returns whether a string or name inside a
    /// container holds an unpaired surrogate escape, as <see cref="Validate(ReadOnlySpan{byte}, string)"/> does: a
    /// value checked this way needs no second validation before it is copied.
    /// </summary>
    public static bool SkipChecked(ref Utf8JsonReader reader, int maxLevels, string field, string? member = null)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            // A scalar: its caller reads it, but a number is held to the rule of one inside a container.
            if (reader.TokenType == JsonTokenType.Number && IsBeyondDouble(reader.ValueSpan))
                ThrowHugeNumber(field, member, reader.TokenStartIndex);
            return false;
        }

        int start = reader.CurrentDepth;
        if (maxLevels < 1)
            ThrowTooDeep(field, member, reader.TokenStartIndex);
        bool loneSurrogates = false;
        while (reader.Read() && reader.CurrentDepth > start)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray when (reader.CurrentDepth - start) >= maxLevels:
                    ThrowTooDeep(field, member, reader.TokenStartIndex);
                    break;
                case JsonTokenType.Number when IsBeyondDouble(reader.ValueSpan):
                    ThrowHugeNumber(field, member, reader.TokenStartIndex);
                    break;
                case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped && !loneSurrogates:
                    loneSurrogates = LoneSurrogates.HasEscapes(reader.ValueSpan);
                    break;
            }
        }

        return loneSurrogates;
    }

    private static void ThrowHugeNumber(string field, string? member, long at)
        => ThrowHelper.Argument($"{Where(field, member)}: a number beyond the range of a double (at byte {at}); receivers read it as infinity or refuse the batch.", field);

    private static void ThrowTooDeep(string field, string? member, long at)
        => ThrowHelper.Argument($"{Where(field, member)}: nested deeper than {PropertiesWriter.MaxDepth} levels (at byte {at}).", field);

    /// <summary>
    /// The reader's reason and where in <paramref name="json"/> it stopped, as a byte offset: the reader's own message ends
    /// in "LineNumber: 0 | BytePositionInLine: 7", which beside an NDJSON line's number reads as a contradiction.
    /// </summary>
    internal static string Describe(ReadOnlySpan<byte> json, JsonException ex) => $"{Reason(ex)}, at byte {Offset(json, ex)}";

    /// <summary>The reader's reason, without the position it appends (given as a byte offset instead).</summary>
    private static string Reason(JsonException ex)
    {
        string message = ex.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (position >= 0 ? message[..position] : message).TrimEnd(' ', '.');
    }

    /// <summary>The byte the reader stopped at, from the line and the byte in that line it reports.</summary>
    private static long Offset(ReadOnlySpan<byte> json, JsonException ex)
    {
        int lineStart = 0;
        for (long line = ex.LineNumber ?? 0; line > 0; line--)
            lineStart += json[lineStart..].IndexOf((byte)'\n') + 1;
        return lineStart + (ex.BytePositionInLine ?? 0);
    }

    private static string Where(string field, string? member) => member is null ? field : $"{field}.{member}";
}
