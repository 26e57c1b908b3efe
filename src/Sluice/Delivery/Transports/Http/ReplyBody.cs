using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Sluice.Producing;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// The fields Sluice reads from a reply body: ThriveStack's <c>success</c>, <c>response_id</c>, <c>message</c>,
/// <c>warnings</c>, <c>documentation</c>, and the <c>error</c>/<c>message</c> other APIs use. A body that is not
/// a JSON object leaves them unset and is kept, shortened, as <see cref="Text"/>: as plain text if it is markup
/// (a proxy's HTML error page: tags, head, scripts and styles dropped, entities decoded), on one line, whitespace
/// collapsed. Never throws.
/// </summary>
internal readonly partial record struct ReplyBody(bool? Success, string? ResponseId, string? Message, IReadOnlyList<string>? Warnings, string? Documentation, string? Text)
{
    /// <summary>How much of a body that is not JSON is quoted in diagnostics.</summary>
    public const int MaxTextChars = 300;

    private const int MaxWarnings = 100;

    /// <summary>How much of a markup body is read for its text: an error page's text may follow kilobytes of markup.</summary>
    private const int MaxMarkupBytes = 8 * 1024;

    /// <summary>What to tell a person: the message (or error), the documentation link, else the body's text.</summary>
    public string? Summary => (Message, Documentation) switch
    {
        (null, null) => Text,
        ({ } m, null) => m,
        (null, { } d) => $"see {d}", // a documentation link comes from JSON, which leaves no text
        ({ } m, { } d) => $"{m} (see {d})",
    };

    /// <param name="body">The reply body, or as much of it as was read.</param>
    /// <param name="cut">Whether <paramref name="body"/> may be only the start of the reply: then the members read before
    /// the cut count (a <c>"success": false</c> or <c>warnings</c> followed by kilobytes of detail), and reading stops there.</param>
    public static ReplyBody Parse(ReadOnlySpan<byte> body, bool cut = false)
    {
        if (body.IsEmpty)
            return default;
        try
        {
            return ParseJson(body, cut);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page from a proxy, a truncated body): quote it instead.
        }
        catch (InvalidOperationException)
        {
            // A value of an unexpected type (a number too large, an invalid string): quote it instead.
        }

        return new ReplyBody(null, null, null, null, null, Quote(body));
    }

    private static ReplyBody ParseJson(ReadOnlySpan<byte> body, bool cut)
    {
        // Any depth: a deep value elsewhere must not hide "success": false (the transport bounds the size).
        // A cut body is partial data: a token the cut runs through is not returned, and nothing after it is read.
        var options = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = int.MaxValue };
        var reader = new Utf8JsonReader(body, isFinalBlock: !cut, new JsonReaderState(options));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return new ReplyBody(null, null, null, null, null, Quote(body));

        bool? success = null;
        string? responseId = null, message = null, error = null, documentation = null;
        List<string>? warnings = null;
        bool whole = true; // false once a value runs into the cut: the reader is then inside it, not at the top level
        while (whole && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (IsLoneSurrogateName(ref reader))
            {
                whole = reader.TrySkip(); // from a member's name, skips its value
            }
            else if (reader.ValueTextEquals("success"u8))
            {
                if (!reader.Read())
                    break;
                success = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => success };
                whole = reader.TrySkip();
            }
            else if (reader.ValueTextEquals("response_id"u8))
            {
                responseId = ReadText(ref reader, body, ref whole);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                message = ReadText(ref reader, body, ref whole);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                error = ReadText(ref reader, body, ref whole);
            }
            else if (reader.ValueTextEquals("documentation"u8))
            {
                documentation = ReadText(ref reader, body, ref whole);
            }
            else if (reader.ValueTextEquals("warnings"u8))
            {
                warnings = ReadWarnings(ref reader, body, ref whole);
            }
            else
            {
                whole = reader.TrySkip();
            }
        }

        // A cut reply that said nothing readable before the cut is quoted as the text it starts with.
        string? text = cut && message is null && error is null && documentation is null ? Quote(body) : null;
        return new ReplyBody(success, responseId, message ?? error, warnings, documentation, text);
    }

    /// <summary>A string value as is; any other value as its JSON text.</summary>
    private static string? ReadText(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ref bool whole)
    {
        if (!reader.Read())
        {
            whole = false;
            return null;
        }

        return Value(ref reader, body, ref whole);
    }

    private static string? Value(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ref bool whole)
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
                whole = reader.TrySkip();
                return Quote(whole ? body[start..(int)reader.BytesConsumed] : body[start..]);
            default:
                return Shorten(Encoding.UTF8.GetString(reader.ValueSpan)); // a number can be thousands of digits
        }
    }

    private static List<string>? ReadWarnings(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ref bool whole)
    {
        if (!reader.Read())
        {
            whole = false;
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
            return Value(ref reader, body, ref whole) is { } single ? [single] : null;

        var warnings = new List<string>();
        while (whole)
        {
            if (!reader.Read())
            {
                whole = false; // the warnings before the cut are kept
                break;
            }

            if (reader.TokenType == JsonTokenType.EndArray)
                break;
            if (Value(ref reader, body, ref whole) is { } warning && warnings.Count < MaxWarnings)
                warnings.Add(warning);
        }

        return warnings.Count > 0 ? warnings : null;
    }

    /// <summary>A member name with a lone surrogate escape is none Sluice reads, and <c>ValueTextEquals</c> throws on it.</summary>
    private static bool IsLoneSurrogateName(ref Utf8JsonReader reader) => reader.ValueIsEscaped && LoneSurrogates.HasEscapes(reader.ValueSpan);

    /// <summary>On one line (a message goes into a diagnostic's sentence), and bounded.</summary>
    private static string Shorten(string text) => Excerpt.Shorten(text.ReplaceLineEndings(" "), MaxTextChars);

    /// <summary>A body (or a nested value) quoted on one line, as plain text if it is markup.</summary>
    private static string Quote(ReadOnlySpan<byte> body)
    {
        var trimmed = body.TrimStart(" \t\r\n"u8);
        bool markup = !trimmed.IsEmpty && trimmed[0] == (byte)'<';
        string text = Excerpt.Of(body, markup ? MaxMarkupBytes : MaxTextChars * 2);
        if (markup)
        {
            // The title leads unless the page's text already starts with it (nginx repeats it in an h1).
            string title = Title().Match(text) is { Success: true } m ? m.Groups[1].Value : "";
            text = Tag().Replace(Hidden().Replace(text, " "), " ");
            title = Whitespace().Replace(title, " ").Trim();
            text = Whitespace().Replace(text, " ").Trim();
            text = WebUtility.HtmlDecode(text.StartsWith(title, StringComparison.Ordinal) ? text : $"{title} {text}");
        }

        return Shorten(Whitespace().Replace(text, " ").Trim());
    }

    [GeneratedRegex(@"<title\b[^>]*>(.*?)</title\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Title();

    /// <summary>Elements whose content is not text a reader sees.</summary>
    [GeneratedRegex(@"<(head|script|style)\b.*?(</\1\s*>|$)", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Hidden();

    /// <summary>A tag, a comment or a declaration; an unclosed one at the end (the excerpt's cut) too.</summary>
    [GeneratedRegex(@"<[^>]*(>|$)", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
