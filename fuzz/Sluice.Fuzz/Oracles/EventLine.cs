using System.Text.Json;

namespace Sluice.Fuzz.Oracles;

/// <summary>
/// The oracle's own reading of one NDJSON event line (the ThriveStack shape): whether Sluice must
/// refuse it and, if not, the event it must send. The rules: one JSON object in valid UTF-8, at
/// most <see cref="JsonRules.MaxLevels"/> + 1 levels deep; <c>user_id</c>, <c>session_id</c>,
/// <c>event_name</c>, <c>name</c>, <c>timestamp</c> strings or null, <c>properties</c> and <c>context</c> objects
/// or null, none of them twice; with <c>event_name</c> a track (needs <c>user_id</c>), without it a
/// page (exactly one of <c>user_id</c>, <c>session_id</c>). Unknown members are ignored.
/// </summary>
internal sealed class EventLine
{
    // "name" is a page's optional name (for wire formats that carry one): a string or null like the ids.
    private static readonly string[] Known = ["user_id", "session_id", "event_name", "name", "timestamp", "properties", "context"];

    /// <summary>Why Sluice must refuse the line, or null if it must accept it.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The timestamp text given: Sluice may refuse it as not ISO 8601 with a zone, which this model does not decide.</summary>
    public string? TimestampText { get; private set; }

    public ExpectedEvent? Event { get; private set; }

    public static EventLine Read(ReadOnlySpan<byte> line)
    {
        var result = new EventLine();
        result.Refusal = JsonRules.ObjectProblem(line, JsonRules.MaxLevels + 1);
        if (result.Refusal is not null)
            return result;

        var values = new Dictionary<string, string?>();
        byte[]? properties = null, context = null;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = int.MaxValue });
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = JsonText.Decode(reader.ValueSpan);
            reader.Read();
            if (!Known.Contains(name))
            {
                reader.Skip();
                continue;
            }

            if (!values.TryAdd(name, null))
                return result.Refuse($"{name} appears twice");

            if (name is "properties" or "context")
            {
                if (reader.TokenType == JsonTokenType.Null)
                    continue;
                if (reader.TokenType != JsonTokenType.StartObject)
                    return result.Refuse($"{name} is not an object");
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                var raw = line[start..(int)reader.BytesConsumed].ToArray();
                if (name == "properties") properties = raw;
                else context = raw;
                continue;
            }

            if (reader.TokenType == JsonTokenType.String)
                values[name] = JsonText.Decode(reader.ValueSpan);
            else if (reader.TokenType != JsonTokenType.Null)
                return result.Refuse($"{name} is not a string");
        }

        string? userId = values.GetValueOrDefault("user_id");
        string? sessionId = values.GetValueOrDefault("session_id");
        string? eventName = values.GetValueOrDefault("event_name");
        result.TimestampText = values.GetValueOrDefault("timestamp");
        bool isTrack = eventName is not null;
        // Whitespace alone is no id or name: refused for a track, absent for a page.
        if (isTrack && string.IsNullOrWhiteSpace(userId))
            return result.Refuse("a track without user_id");
        if (isTrack && string.IsNullOrWhiteSpace(eventName))
            return result.Refuse("a blank event_name");
        if (!isTrack && string.IsNullOrWhiteSpace(userId) == string.IsNullOrWhiteSpace(sessionId))
            return result.Refuse("a page needs exactly one of user_id and session_id");

        result.Event = new ExpectedEvent
        {
            IsTrack = isTrack,
            UserId = string.IsNullOrWhiteSpace(userId) ? null : userId,
            SessionId = isTrack || !string.IsNullOrWhiteSpace(userId) ? null : sessionId,
            EventName = eventName,
            Properties = properties,
            Context = context,
        };
        return result;
    }

    private EventLine Refuse(string why)
    {
        Refusal = why;
        return this;
    }
}
