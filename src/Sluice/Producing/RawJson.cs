using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>
/// Validation of JSON given as bytes (pre-serialized properties/context, <see cref="JsonElement"/>
/// values, NDJSON events): valid UTF-8, strict JSON grammar (no comments, no trailing commas), one
/// value, nesting within <see cref="PropertiesWriter.MaxDepth"/> with a clear error beyond. Given
/// bytes are checked by <see cref="StrictJson"/>; the event reader uses <see cref="SkipChecked"/>.
/// </summary>
internal static class RawJson
{
    /// <summary>Pre-serialized properties or context: exactly one JSON object. Returns whether it escapes surrogates.</summary>
    public static bool Validate(ReadOnlySpan<byte> json, string field) => Validate(json, field, PropertiesWriter.MaxDepth, objectOnly: true);

    /// <summary>
    /// One JSON value nesting at most <paramref name="maxLevels"/> levels, counting itself if it is a
    /// container. Errors name <paramref name="field"/>, and <paramref name="member"/> in the message if given.
    /// Returns whether the text escapes any surrogate: only then can it hold an unpaired one to repair.
    /// </summary>
    public static bool Validate(ReadOnlySpan<byte> json, string field, int maxLevels, bool objectOnly, string? member = null)
    {
        if (!Utf8.IsValid(json))
            ThrowHelper.Argument($"{Where(field, member)}: the JSON is not valid UTF-8.", field);

        if (objectOnly && !StrictJson.StartsWithObject(json))
            ThrowHelper.Argument($"{Where(field, member)}: must be one JSON object.", field);
        var problem = StrictJson.Check(json, maxLevels);
        if (problem.TooDeep)
            ThrowHelper.Argument($"{Where(field, member)}: nested deeper than {PropertiesWriter.MaxDepth} levels (at byte {problem.At}).", field);
        if (!problem.IsNone)
            ThrowHelper.Argument($"{Where(field, member)}: not valid JSON ({problem.Reason}, at byte {problem.At}).", field);
        return problem.SurrogateEscapes;
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
