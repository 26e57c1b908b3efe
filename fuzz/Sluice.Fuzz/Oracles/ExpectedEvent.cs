using System.Globalization;
using System.Text.Json;
using Sluice.Serialization;

namespace Sluice.Fuzz.Oracles;

/// <summary>
/// What one event must look like on the wire in the ThriveStack shape (spec 001: track
/// <c>{user_id, event_name, timestamp, properties?, context?}</c>; spec 000: page with
/// <c>user_id</c> XOR <c>session_id</c>), written by the oracle itself.
/// </summary>
internal sealed class ExpectedEvent
{
    public bool IsTrack { get; init; }

    public string? UserId { get; init; }

    public string? SessionId { get; init; }

    public string? EventName { get; init; }

    public DateTimeOffset Timestamp { get; set; }

    /// <summary>Raw JSON as given, or null if absent.</summary>
    public byte[]? Properties { get; init; }

    public byte[]? Context { get; init; }

    /// <summary>A page's name (Segment's <c>name</c>, PrimeData's <c>target.itemId</c>).</summary>
    public string? Name { get; init; }

    /// <summary>PrimeData's <c>scope</c>: the client id.</summary>
    public const string ClientId = "fuzz-client";

    /// <summary>The member whose value the oracle cannot know (Segment's random <c>messageId</c>); compare without it.</summary>
    public const string Unknowable = "messageId";

    /// <summary>The event's JSON, written with the engine's writer settings, so its length is the exact size Sluice must count.</summary>
    public byte[] ToJson(WireShape shape = WireShape.ThriveStack)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            switch (shape)
            {
                case WireShape.Segment: WriteSegment(w); break;
                case WireShape.PrimeData: WritePrimeData(w); break;
                default: WriteThriveStack(w); break;
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteThriveStack(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (IsTrack)
        {
            w.WriteString("user_id", UserId);
            w.WriteString("event_name", EventName);
        }
        else if (UserId is not null)
        {
            w.WriteString("user_id", UserId);
        }
        else
        {
            w.WriteString("session_id", SessionId);
        }

        w.WriteString("timestamp", Format(Timestamp));
        if (Properties is not null)
        {
            w.WritePropertyName("properties");
            w.WriteRawValue(Properties, skipInputValidation: true);
        }

        if (Context is not null)
        {
            w.WritePropertyName("context");
            w.WriteRawValue(Context, skipInputValidation: true);
        }

        w.WriteEndObject();
    }

    private void WriteSegment(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", IsTrack ? "track" : "page");
        if (UserId is not null)
            w.WriteString("userId", UserId);
        else
            w.WriteString("anonymousId", SessionId);
        w.WriteString(IsTrack ? "event" : "name", IsTrack ? EventName : Name);
        if (Properties is not null)
        {
            w.WritePropertyName("properties");
            w.WriteRawValue(Properties, skipInputValidation: true);
        }

        if (Context is not null)
        {
            w.WritePropertyName("context");
            w.WriteRawValue(Context, skipInputValidation: true);
        }

        w.WriteString("timestamp", Format(Timestamp));
        w.WriteString(Unknowable, new string('?', 36));
        w.WriteEndObject();
    }

    private void WritePrimeData(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("eventType", IsTrack ? EventName : "view");
        w.WriteString("sessionId", !IsTrack && SessionId is not null ? SessionId : UserId);
        w.WriteString("scope", ClientId);
        w.WriteString("timeStamp", Format(Timestamp));
        w.WritePropertyName("properties");
        w.WriteRawValue(Properties ?? "{}"u8.ToArray(), skipInputValidation: true);
        if (!IsTrack && !string.IsNullOrEmpty(Name))
        {
            w.WriteStartObject("target");
            w.WriteString("itemId", Name);
            w.WriteString("itemType", "page");
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>UTC ISO 8601 with microseconds, as the ThriveStack examples show.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
