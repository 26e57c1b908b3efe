using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Collector;

/// <summary>Field checks shared by the APIs; each returns the error message, or null when the field is fine. No allocation unless it fails.</summary>
internal static class Fields
{
    public static string? RequiredString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? NonEmptyString(value, name) : $"{name} is required";

    public static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? NonEmptyString(value, name) : null;

    public static string? OptionalObject(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Object ? $"{name} must be an object" : null;

    /// <summary>An ISO 8601 date-time with seconds and an offset (<c>Z</c> or <c>+00:00</c> when <paramref name="utc"/>, not <c>-00:00</c>).</summary>
    public static string? Timestamp(JsonElement e, string name, bool required, bool utc)
    {
        if (!e.TryGetProperty(name, out var value))
            return required ? $"{name} is required" : null;
        return TimestampValue(value, name, utc);
    }

    public static string? TimestampValue(JsonElement value, string name, bool utc)
    {
        if (value.ValueKind != JsonValueKind.String)
            return $"{name} must be a string";
        if (!IsIso8601(JsonMarshal.GetRawUtf8Value(value)) || !value.TryGetDateTimeOffset(out var parsed))
            return $"{name} must be an ISO 8601 date-time (was \"{value.GetString()}\")";
        // RFC 3339 4.3: -00:00 says the offset to local time is unknown, not that the time is UTC.
        if (utc && (parsed.Offset != TimeSpan.Zero || JsonMarshal.GetRawUtf8Value(value).EndsWith("-00:00\""u8)))
            return $"{name} must be in UTC (was \"{value.GetString()}\")";
        return null;
    }

    public static string Identity(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? $"{name} \"{value.GetString()}\"" : $"no {name}";

    private static string? NonEmptyString(JsonElement value, string name) =>
        value.ValueKind != JsonValueKind.String || value.ValueEquals(""u8) ? $"{name} must be a non-empty string"
        : IsWhitespace(value) ? $"{name} must not be whitespace only"
        : null;

    /// <summary>
    /// Whether the string is whitespace only (an id or name it cannot be). Only one whose raw text starts with a space, an
    /// escape or a non-ASCII character can be: the others are not decoded.
    /// </summary>
    private static bool IsWhitespace(JsonElement value) =>
        JsonMarshal.GetRawUtf8Value(value)[1] is (byte)' ' or (byte)'\\' or >= 0x80 && string.IsNullOrWhiteSpace(value.GetString());

    /// <summary>
    /// The raw JSON string (quotes included) is <c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction of 1–9
    /// digits, then <c>Z</c> or <c>±hh:mm</c>: the date-time form the specs use, seconds and offset required.
    /// </summary>
    private static bool IsIso8601(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 22 || raw[0] != '"' || raw[^1] != '"')
            return false;
        var text = raw[1..^1];
        int end;
        if (text[^1] == 'Z')
            end = text.Length - 1;
        else if (text.Length >= 25 && (Matches(text[^6..], "+dd:dd"u8) || Matches(text[^6..], "-dd:dd"u8)))
            end = text.Length - 6;
        else
            return false;

        var dateTime = text[..end];
        if (dateTime.Length < 19 || !Matches(dateTime[..19], "dddd-dd-ddTdd:dd:dd"u8))
            return false;
        var fraction = dateTime[19..];
        return fraction.IsEmpty || (fraction.Length is >= 2 and <= 10 && fraction[0] == '.' && !fraction[1..].ContainsAnyExceptInRange((byte)'0', (byte)'9'));
    }

    /// <summary>Whether <paramref name="text"/> has the shape of <paramref name="pattern"/>, where <c>d</c> is any digit.</summary>
    private static bool Matches(ReadOnlySpan<byte> text, ReadOnlySpan<byte> pattern)
    {
        if (text.Length != pattern.Length)
            return false;
        for (int i = 0; i < text.Length; i++)
        {
            if (pattern[i] == 'd' ? !char.IsAsciiDigit((char)text[i]) : text[i] != pattern[i])
                return false;
        }

        return true;
    }
}
