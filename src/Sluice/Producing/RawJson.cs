using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>
/// Validation of JSON given as bytes (pre-serialized properties/context, <see cref="JsonElement"/>
/// values, NDJSON events): valid UTF-8, strict JSON grammar (no comments, no trailing commas), one
/// value, nesting within <see cref="PropertiesWriter.MaxDepth"/> with a clear error beyond.
/// </summary>
internal static class RawJson
{
    /// <summary>Pre-serialized properties or context: exactly one JSON object.</summary>
    public static void Validate(ReadOnlySpan<byte> json, string field) => Validate(json, field, PropertiesWriter.MaxDepth, objectOnly: true);

    /// <summary>
    /// One JSON value nesting at most <paramref name="maxLevels"/> levels, counting itself if it is a
    /// container. Errors name <paramref name="field"/>, and <paramref name="member"/> in the message if given.
    /// </summary>
    public static void Validate(ReadOnlySpan<byte> json, string field, int maxLevels, bool objectOnly, string? member = null)
    {
        if (!Utf8.IsValid(json))
            ThrowHelper.Argument($"{Where(field, member)}: the JSON is not valid UTF-8.", field);

        // One level of headroom so that SkipChecked, not the reader, reports nesting: its message is clearer.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxLevels + 1 });
        try
        {
            if (!reader.Read() || (objectOnly && reader.TokenType != JsonTokenType.StartObject))
                ThrowHelper.Argument($"{Where(field, member)}: must be one JSON object.", field);
            SkipChecked(ref reader, maxLevels, field, member);
            _ = reader.Read(); // throws on anything but whitespace after the value
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{Where(field, member)}: not valid JSON ({ex.Message})", field, ex);
        }
    }

    /// <summary>
    /// Moves the reader from the first token of a value to its last, refusing containers nested
    /// more than <paramref name="maxLevels"/> levels deep, counted from that value. The reader's own
    /// MaxDepth must leave room for one level more.
    /// </summary>
    public static void SkipChecked(ref Utf8JsonReader reader, int maxLevels, string field, string? member = null)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            return;
        int start = reader.CurrentDepth;
        if (maxLevels < 1)
            ThrowHelper.Argument($"{Where(field, member)}: nested deeper than {PropertiesWriter.MaxDepth} levels (at byte {reader.TokenStartIndex}).", field);
        while (reader.Read() && reader.CurrentDepth > start)
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && (reader.CurrentDepth - start) >= maxLevels)
                ThrowHelper.Argument($"{Where(field, member)}: nested deeper than {PropertiesWriter.MaxDepth} levels (at byte {reader.TokenStartIndex}).", field);
        }
    }

    private static string Where(string field, string? member) => member is null ? field : $"{field}.{member}";
}
