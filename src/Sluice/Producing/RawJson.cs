using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>Validation of pre-serialized properties/context: exactly one JSON object, valid UTF-8, nesting within limits.</summary>
internal static class RawJson
{
    public static void Validate(ReadOnlySpan<byte> json, string field)
    {
        if (!Utf8.IsValid(json))
            ThrowHelper.Argument($"{field}: the JSON is not valid UTF-8.", field);

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = PropertiesWriter.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                ThrowHelper.Argument($"{field}: must be one JSON object.", field);
            reader.Skip();
            _ = reader.Read(); // throws on anything but whitespace after the object
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{field}: not valid JSON ({ex.Message})", field, ex);
        }
    }
}
