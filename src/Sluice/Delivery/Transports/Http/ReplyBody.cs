using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Sluice.Producing;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// The fields Sluice reads from a reply body: ThriveStack's <c>success</c>, <c>response_id</c>, <c>message</c>,
/// <c>warnings</c>, <c>documentation</c>, and the <c>error</c>/<c>message</c> other APIs use. A body that is not
/// a JSON object leaves them unset and is kept, shortened, as <see cref="Text"/>. Never throws.
/// </summary>
internal readonly record struct ReplyBody(bool? Success, string? ResponseId, string? Message, IReadOnlyList<string>? Warnings, string? Documentation, string? Text)
{
    /// <summary>How much of a body that is not JSON is quoted in diagnostics.</summary>
    public const int MaxTextChars = 300;

    private const int MaxWarnings = 100;

    /// <summary>What to tell a person: the message (or error), the documentation link, else the body's text.</summary>
    public string? Summary => (Message, Documentation) switch
    {
        (null, null) => Text,
        ({ } m, null) => m,
        (null, { } d) => Text is null ? $"see {d}" : $"{Text} (see {d})",
        ({ } m, { } d) => $"{m} (see {d})",
    };

    public static ReplyBody Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return default;
        try
        {
            return ParseJson(body);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page from a proxy, a truncated body): quote it instead.
        }
        catch (InvalidOperationException)
        {
            // A value of an unexpected type (a number too large, an invalid string): quote it instead.
        }

        return new ReplyBody(null, null, null, null, null, Excerpt(body));
    }

    private static ReplyBody ParseJson(ReadOnlySpan<byte> body)
    {
        // Any depth: a deep value elsewhere must not hide "success": false (the transport bounds the size).
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = int.MaxValue });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return new ReplyBody(null, null, null, null, null, Excerpt(body));

        bool? success = null;
        string? responseId = null, message = null, error = null, documentation = null;
        List<string>? warnings = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (IsLoneSurrogateName(ref reader))
            {
                reader.Read();
                reader.Skip();
            }
            else if (reader.ValueTextEquals("success"u8))
            {
                reader.Read();
                success = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => success };
                reader.Skip();
            }
            else if (reader.ValueTextEquals("response_id"u8))
            {
                responseId = ReadText(ref reader, body);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                message = ReadText(ref reader, body);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                error = ReadText(ref reader, body);
            }
            else if (reader.ValueTextEquals("documentation"u8))
            {
                documentation = ReadText(ref reader, body);
            }
            else if (reader.ValueTextEquals("warnings"u8))
            {
                warnings = ReadWarnings(ref reader, body);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ReplyBody(success, responseId, message ?? error, warnings, documentation, null);
    }

    /// <summary>A string value as is; any other value as its JSON text.</summary>
    private static string? ReadText(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        reader.Read();
        return Value(ref reader, body);
    }

    private static string? Value(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                // Invalid UTF-8 or a lone surrogate escape must not throw away the rest of the reply: quote the text as it came.
                return Shorten(Utf8.IsValid(reader.ValueSpan) && !LoneSurrogates.HasEscapes(reader.ValueSpan) ? reader.GetString()! : Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                return Excerpt(body[start..(int)reader.BytesConsumed]);
            default:
                return Shorten(Encoding.UTF8.GetString(reader.ValueSpan)); // a number can be thousands of digits
        }
    }

    private static List<string>? ReadWarnings(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
            return Value(ref reader, body) is { } single ? [single] : null;

        var warnings = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (Value(ref reader, body) is { } warning && warnings.Count < MaxWarnings)
                warnings.Add(warning);
        }

        return warnings.Count > 0 ? warnings : null;
    }

    /// <summary>A member name with a lone surrogate escape is none Sluice reads, and <c>ValueTextEquals</c> throws on it.</summary>
    private static bool IsLoneSurrogateName(ref Utf8JsonReader reader) => reader.ValueIsEscaped && LoneSurrogates.HasEscapes(reader.ValueSpan);

    private static string Shorten(string text) => text.Length > MaxTextChars ? string.Concat(text.AsSpan(0, MaxTextChars), "…") : text;

    private static string Excerpt(ReadOnlySpan<byte> body)
    {
        // Cut on bytes, decode leniently (a split character becomes U+FFFD), keep it on one line.
        var head = body[..Math.Min(body.Length, MaxTextChars * 2)];
        string text = Encoding.UTF8.GetString(head).ReplaceLineEndings(" ").Trim();
        return Shorten(text);
    }
}
