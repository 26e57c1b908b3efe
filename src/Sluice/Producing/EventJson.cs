using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Producing;

/// <summary>
/// Reads one event in the ThriveStack shape (<c>user_id</c>, <c>session_id</c>, <c>event_name</c>,
/// <c>timestamp</c>, <c>properties</c>, <c>context</c>): with <c>event_name</c> it is a track,
/// without it a page; an optional <c>name</c> is a page's name, for wire formats that carry one (Segment).
/// Properties and context stay raw slices of the input. Unknown fields are ignored.
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

    public readonly EventKind Kind => EventName is null ? EventKind.Page : EventKind.Track;

    /// <summary>Parses <paramref name="json"/>; throws <see cref="ArgumentException"/> with the reason.</summary>
    public static EventJson Parse(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
            ThrowHelper.Argument("The event is not valid UTF-8.", nameof(json));

        var result = default(EventJson);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = PropertiesWriter.MaxDepth + 1 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                ThrowHelper.Argument("An event must be one JSON object.", nameof(json));

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("user_id"u8)) result.UserId = ReadString(ref reader, "user_id");
                else if (reader.ValueTextEquals("session_id"u8)) result.SessionId = ReadString(ref reader, "session_id");
                else if (reader.ValueTextEquals("event_name"u8)) result.EventName = ReadString(ref reader, "event_name");
                else if (reader.ValueTextEquals("name"u8)) result.Name = ReadString(ref reader, "name");
                else if (reader.ValueTextEquals("timestamp"u8)) result.Timestamp = ReadTimestamp(ref reader);
                else if (reader.ValueTextEquals("properties"u8)) result.Properties = ReadObject(ref reader, json, "properties");
                else if (reader.ValueTextEquals("context"u8)) result.Context = ReadObject(ref reader, json, "context");
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            _ = reader.Read(); // throws on anything but whitespace after the object
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Not valid JSON: {ex.Message}", nameof(json), ex);
        }

        return result;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.String)
            ThrowHelper.Argument($"{field} must be a string.", field);
        return reader.GetString();
    }

    private static ReadOnlySpan<byte> ReadObject(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string field)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return default;
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowHelper.Argument($"{field} must be a JSON object.", field);
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        return json[start..(int)reader.BytesConsumed];
    }

    private static DateTimeOffset? ReadTimestamp(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.String)
            ThrowHelper.Argument("timestamp must be an ISO 8601 string.", "timestamp");

        string text = reader.GetString()!;
        if (!reader.TryGetDateTimeOffset(out var value))
            ThrowHelper.Argument($"timestamp '{text}' is not ISO 8601 (expected e.g. 2024-10-20T15:51:35.059Z).", "timestamp");
        if (!HasZone(text))
            ThrowHelper.Argument($"timestamp '{text}' has no time zone: end it with Z (UTC) or an offset such as +07:00.", "timestamp");
        return value;
    }

    private static bool HasZone(string text)
    {
        if (text.EndsWith('Z') || text.EndsWith('z'))
            return true;
        int t = text.IndexOf('T', StringComparison.Ordinal);
        return t > 0 && text.AsSpan(t).IndexOfAny('+', '-') > 0;
    }
}
