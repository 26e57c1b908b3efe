using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Collector;

/// <summary>
/// What JSON grammar allows and a strict receiver still refuses, checked over a body that parsed: bytes that
/// are not UTF-8 (RFC 8259 8.1; <see cref="JsonDocument"/> does not check them inside strings), a string or
/// name escaping half a surrogate pair (<c>"\ud800"</c>: System.Text.Json cannot read it as a string, Go and
/// Java decoders refuse or mangle it), and a number beyond a double's range (<c>1e400</c>: Go's decoder
/// refuses it, System.Text.Json reads it as infinity, which it cannot write back).
/// </summary>
internal static class StrictText
{
    /// <summary>What is wrong with <paramref name="json"/> (valid JSON grammar), or null.</summary>
    public static string? Problem(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
            return "The body is not valid UTF-8.";

        var reader = new Utf8JsonReader(json); // the document's own depth limit, which the body passed
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped:
                    try
                    {
                        _ = reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return At(reader, "a string escapes half a surrogate pair (not Unicode text)");
                    }

                    break;
                case JsonTokenType.Number when !reader.TryGetDouble(out double value) || !double.IsFinite(value):
                    return At(reader, $"the number {Encoding.UTF8.GetString(reader.ValueSpan)} is beyond the range of a double");
            }
        }

        return null;
    }

    private static string At(in Utf8JsonReader reader, string what) =>
        string.Create(CultureInfo.InvariantCulture, $"The body is not valid JSON text: {what}, at byte {reader.TokenStartIndex}.");
}
