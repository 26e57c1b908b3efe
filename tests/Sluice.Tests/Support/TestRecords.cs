using Sluice.Producing;

namespace Sluice.Tests.Support;

/// <summary>
/// Queued event records made the way a Track call makes them (properties snapshotted into an arena),
/// for tests of the serializer and the batching rules without an engine around them.
/// </summary>
internal sealed class TestRecords
{
    public delegate void Build(ref PropertiesWriter writer);

    /// <summary>A fixed time: 2024-10-20T15:51:35.059000Z.</summary>
    public static readonly long Time = new DateTime(2024, 10, 20, 15, 51, 35, 59, DateTimeKind.Utc).Ticks;

    private readonly ProducerState _state = new(new object(), new ArenaPool(64), int.MaxValue);

    /// <summary>A track of <paramref name="userId"/> named <paramref name="name"/>, with what the builders write.</summary>
    public EventRecord Track(string userId, string name, Build? properties = null, Build? context = null, long? ticks = null)
        => Make(EventKind.Track, userId, idIsSession: false, name, properties, context, ticks ?? Time);

    /// <summary>A page of a user.</summary>
    public EventRecord UserPage(string userId, string? name = null)
        => Make(EventKind.Page, userId, idIsSession: false, name, null, null, Time);

    /// <summary>A page of a session.</summary>
    public EventRecord SessionPage(string sessionId, string? name = null, Build? properties = null, long? ticks = null)
        => Make(EventKind.Page, sessionId, idIsSession: true, name, properties, null, ticks ?? Time);

    private EventRecord Make(EventKind kind, string id, bool idIsSession, string? name, Build? properties, Build? context, long ticks)
    {
        var record = new EventRecord
        {
            Kind = kind,
            Id = id,
            IdIsSession = idIsSession,
            Name = name,
            TimestampTicks = ticks,
            PropCount = -1,
            CtxCount = -1,
        };
        long minBytes = id.Length + (kind == EventKind.Track ? name!.Length : 0);
        if (properties is null && context is null)
        {
            record.MinBytes = (int)minBytes;
            return record;
        }

        _state.BeginEvent();
        if (properties is not null)
            record.PropCount = Snapshot(properties, "properties", ref minBytes);
        if (context is not null)
            record.CtxCount = Snapshot(context, "context", ref minBytes);
        record.Chunk = _state.EventChunk;
        EventRecord.StampChunkGeneration(ref record);
        record.PropStart = _state.EventStart;
        record.MinBytes = (int)minBytes;
        _state.CommitEvent(record.Chunk);
        return record;
    }

    /// <summary>Writes one snapshot after the event's others; returns its entry count (counted from the event's start: the event may move to a new chunk as it grows).</summary>
    private int Snapshot(Build build, string field, ref long minBytes)
    {
        int before = _state.Pos - _state.EventStart;
        var writer = new PropertiesWriter(_state, field);
        build(ref writer);
        writer.Complete();
        minBytes += writer.MinBytes;
        return _state.Pos - _state.EventStart - before;
    }
}
