using System.Globalization;
using System.Text.Json;
using Sluice.Batching;

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

    /// <summary>The event's JSON, written with the engine's writer settings, so its length is the exact size Sluice must count.</summary>
    /// <param name="batchStyle">The shape of the engine target's <c>BatchStyleFormat</c> instead of ThriveStack's.</param>
    public byte[] ToJson(bool batchStyle = false)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BatchAssembler.WriterOptions))
        {
            if (batchStyle)
                WriteBatchStyle(w);
            else
                WriteThriveStack(w);
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

    private void WriteBatchStyle(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", IsTrack ? "track" : "page");
        if (UserId is not null)
            w.WriteString("userId", UserId);
        else
            w.WriteString("anonymousId", SessionId);
        if (IsTrack)
            w.WriteString("event", EventName);
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
        w.WriteEndObject();
    }

    /// <summary>UTC ISO 8601 with microseconds, as the ThriveStack examples show.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
