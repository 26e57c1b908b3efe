using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// What a <see cref="WireFormat"/> sees of one event while writing it: the fields the caller gave,
/// the timestamp, and writers for the properties and context snapshots.
/// </summary>
public readonly ref struct EventView
{
    // Where the two snapshots' entries stand in the name cache's positional level.
    private const int PropertiesPosition = 0;
    private const int ContextPosition = PropertyNameCache.Positions / 2;

    private readonly ref readonly EventRecord _record;
    private readonly EventWriter _writer;

    internal EventView(ref readonly EventRecord record, long id, EventWriter writer)
    {
        _record = ref record;
        _writer = writer;
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

    /// <summary>Whether the event has a context: the caller gave one, or the engine has a <see cref="SluiceOptions.DefaultContext"/>.</summary>
    public bool HasContext => _record.CtxCount >= 0 || _writer.DefaultContext is not null;

    /// <summary>Writes the properties object as the next value (call after <c>WritePropertyName</c>); <c>{}</c> if none were given.</summary>
    public void WriteProperties(Utf8JsonWriter writer) => WriteObject(writer, default, named: false, _record.PropStart, _record.PropCount, PropertiesPosition);

    /// <summary>Writes the member <c>"name": {properties}</c>; <c>{}</c> if none were given.</summary>
    public void WriteProperties(Utf8JsonWriter writer, JsonEncodedText propertyName)
        => WriteObject(writer, propertyName, named: true, _record.PropStart, _record.PropCount, PropertiesPosition);

    /// <summary>Writes the context object as the next value, the <see cref="SluiceOptions.DefaultContext"/> merged in; <c>{}</c> if there is none.</summary>
    public void WriteContext(Utf8JsonWriter writer) => WriteContext(writer, default, named: false);

    /// <summary>Writes the member <c>"name": {context}</c>, the <see cref="SluiceOptions.DefaultContext"/> merged in; <c>{}</c> if there is none.</summary>
    public void WriteContext(Utf8JsonWriter writer, JsonEncodedText propertyName) => WriteContext(writer, propertyName, named: true);

    private void WriteContext(Utf8JsonWriter writer, JsonEncodedText name, bool named)
    {
        if (_writer.DefaultContext is { } defaults)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (named)
                writer.WritePropertyName(name);
            defaults.WriteMerged(writer, _record.Chunk, _record.CtxStart, _record.CtxCount, _writer.Names, ContextPosition, _writer.Scratch);
            return;
        }

        WriteObject(writer, name, named, _record.CtxStart, _record.CtxCount, ContextPosition);
    }

    /// <summary>Writes the timestamp as the next value: UTC ISO 8601 with microseconds and <c>Z</c>.</summary>
    public void WriteTimestamp(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(_writer.TimestampText.Of(_record.TimestampTicks));
    }

    /// <summary>Writes the member <c>"name": "timestamp"</c> (UTC ISO 8601 with microseconds and <c>Z</c>).</summary>
    public void WriteTimestamp(Utf8JsonWriter writer, JsonEncodedText propertyName)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(propertyName, _writer.TimestampText.Of(_record.TimestampTicks));
    }

    private void WriteObject(Utf8JsonWriter writer, JsonEncodedText name, bool named, int start, int count, int position)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var chunk = _record.Chunk;
        if (count == 1 && chunk!.Entries[start].Tag == EntryTag.RawObject)
        {
            // Pre-serialized: the entry is the whole object, braces included.
            if (named)
                writer.WritePropertyName(name);
            PropertyJson.WriteRaw(writer, chunk, start);
            return;
        }

        if (named)
            writer.WriteStartObject(name);
        else
            writer.WriteStartObject();
        if (count > 0)
            PropertyJson.Write(writer, chunk!, start, count, _writer.Names, position);
        writer.WriteEndObject();
    }
}
