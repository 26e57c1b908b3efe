using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// ThriveStack: track events as a JSON array to <c>/api/track</c>, page events as a JSON array to
/// <c>/api/page</c> (two endpoints, two partitions). Fields: <c>user_id</c>, <c>event_name</c> (track),
/// <c>session_id</c> (page, instead of <c>user_id</c>), <c>timestamp</c>, <c>properties</c>, <c>context</c>.
/// </summary>
public sealed class ThriveStackFormat : WireFormat
{
    /// <summary>Partition of track events.</summary>
    public const int TrackPartition = 0;

    /// <summary>Partition of page events.</summary>
    public const int PagePartition = 1;

    private static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
    private static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("session_id");
    private static readonly JsonEncodedText EventName = JsonEncodedText.Encode("event_name");
    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText Properties = JsonEncodedText.Encode("properties");
    private static readonly JsonEncodedText Context = JsonEncodedText.Encode("context");

    /// <summary>The shared instance (the format is stateless).</summary>
    public static ThriveStackFormat Instance { get; } = new();

    /// <inheritdoc/>
    public override int PartitionCount => 2;

    /// <summary>1,000 events or 2 MB per request (the limits the ThriveStack Track and Page APIs document).</summary>
    internal override (int Events, int Bytes)? ApiLimits => BuiltInApiLimits;

    /// <inheritdoc/>
    public override int PartitionOf(EventKind kind) => kind == EventKind.Page ? PagePartition : TrackPartition;

    /// <inheritdoc/>
    public override string EndpointPath(int partition) => partition == PagePartition ? "/api/page" : "/api/track";

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchPrefix(int partition) => "["u8;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchSuffix(int partition) => "]"u8;

    /// <inheritdoc/>
    public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        if (e.Kind == EventKind.Track)
        {
            writer.WriteString(UserId, e.UserId);
            writer.WriteString(EventName, e.Name);
        }
        else if (e.UserId is not null)
        {
            writer.WriteString(UserId, e.UserId);
        }
        else
        {
            writer.WriteString(SessionId, e.SessionId);
        }

        e.WriteTimestamp(writer, Timestamp);
        if (e.HasProperties)
            e.WriteProperties(writer, Properties);
        if (e.HasContext)
            e.WriteContext(writer, Context);

        writer.WriteEndObject();
    }
}
