using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Delivery.WireFormats;

/// <summary>
/// What a <see cref="WireFormat"/> sees of one event while writing it: the fields the caller gave,
/// the timestamp, and writers for the properties and context snapshots.
/// </summary>
public readonly ref struct EventView
{
    private readonly ref readonly EventRecord _record;

    internal EventView(ref readonly EventRecord record, long id)
    {
        _record = ref record;
        Id = id;
    }

    /// <summary>Track or page.</summary>
    public EventKind Kind => _record.Kind;

    /// <summary>The user id, if given.</summary>
    public string? UserId => _record.UserId;

    /// <summary>The session id (pages only), if given.</summary>
    public string? SessionId => _record.SessionId;

    /// <summary>The event name of a track, or the optional name of a page.</summary>
    public string? Name => _record.Name;

    /// <summary>When the event happened, in UTC ticks.</summary>
    public long TimestampTicks => _record.TimestampTicks;

    /// <summary>When the event happened (UTC).</summary>
    public DateTimeOffset Timestamp => new(_record.TimestampTicks, TimeSpan.Zero);

    /// <summary>A number unique to this event within its engine, stable if the event is written again (for message ids).</summary>
    public long Id { get; }

    /// <summary>Whether the caller gave properties.</summary>
    public bool HasProperties => _record.PropCount >= 0;

    /// <summary>Whether the caller gave a context.</summary>
    public bool HasContext => _record.CtxCount >= 0;

    /// <summary>Writes the properties object as the next value (call after <c>WritePropertyName</c>); <c>{}</c> if none were given.</summary>
    public void WriteProperties(Utf8JsonWriter writer) => WriteObject(writer, _record.PropStart, _record.PropCount);

    /// <summary>Writes the context object as the next value; <c>{}</c> if none was given.</summary>
    public void WriteContext(Utf8JsonWriter writer) => WriteObject(writer, _record.CtxStart, _record.CtxCount);

    /// <summary>Writes the timestamp as the next value: UTC ISO 8601 with microseconds and <c>Z</c>.</summary>
    public void WriteTimestamp(Utf8JsonWriter writer)
    {
        Span<byte> text = stackalloc byte[Timestamps.Length];
        Timestamps.Format(_record.TimestampTicks, text);
        writer.WriteStringValue(text);
    }

    private void WriteObject(Utf8JsonWriter writer, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (count < 0)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }

        PropertyJson.Write(writer, _record.Chunk!, start, count);
    }
}
