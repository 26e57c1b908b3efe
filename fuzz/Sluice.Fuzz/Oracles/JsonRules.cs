using System.Text.Json;
using System.Text.Unicode;
using Sluice.Producing;

namespace Sluice.Fuzz.Oracles;

/// <summary>The documented input rules, checked independently of Sluice's own validation.</summary>
internal static class JsonRules
{
    /// <summary>How deep properties and context may nest, counting their own object (the documented limit).</summary>
    public const int MaxLevels = PropertiesWriter.MaxDepth;

    /// <summary>
    /// Null if <paramref name="json"/> is one JSON object in valid UTF-8 nesting at most
    /// <paramref name="maxLevels"/> levels (the object itself counts one), its numbers within a double's range; otherwise why not.
    /// </summary>
    public static string? ObjectProblem(ReadOnlySpan<byte> json, int maxLevels) => Problem(json, maxLevels, objectOnly: true);

    /// <summary>Null if <paramref name="json"/> is one JSON value in valid UTF-8 whose containers nest at most <paramref name="maxLevels"/> levels.</summary>
    public static string? ValueProblem(ReadOnlySpan<byte> json, int maxLevels) => Problem(json, maxLevels, objectOnly: false);

    private static string? Problem(ReadOnlySpan<byte> json, int maxLevels, bool objectOnly)
    {
        if (!Utf8.IsValid(json))
            return "not valid UTF-8";
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        int deepest = -1;
        try
        {
            if (!reader.Read())
                return "no JSON value";
            if (objectOnly && reader.TokenType != JsonTokenType.StartObject)
                return "not an object";
            do
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    deepest = Math.Max(deepest, reader.CurrentDepth);
                else if (reader.TokenType == JsonTokenType.Number && !JsonText.IsFiniteDouble(reader.ValueSpan))
                    return "a number beyond the range of a double";
            }
            while (reader.Read());
        }
        catch (JsonException ex)
        {
            return "not valid JSON: " + ex.Message;
        }

        return deepest + 1 > maxLevels ? $"nested {deepest + 1} levels, more than {maxLevels}" : null;
    }
}
