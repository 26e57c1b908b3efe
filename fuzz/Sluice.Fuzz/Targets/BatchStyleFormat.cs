using System.Text;
using System.Text.Json;
using Sluice.Delivery.WireFormats;
using Sluice.Fuzz.Oracles;
using Sluice.Producing;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// A second wire format for the engine target, shaped like the Segment/Customer.io batch (spec 003):
/// one endpoint for both kinds, a <c>{"batch":[...],"sentAt":"..."}</c> envelope whose suffix is
/// stamped before each send, and different field names. It exercises the paths ThriveStack does not:
/// a longer envelope, mixed kinds in one batch, <see cref="WireFormat.StampBeforeSend"/>.
/// </summary>
internal sealed class BatchStyleFormat : WireFormat
{
    public const string Envelope = "batch";

    private static readonly byte[] Prefix = "{\"batch\":["u8.ToArray();
    private static readonly byte[] Suffix = Encoding.UTF8.GetBytes("],\"sentAt\":\"" + ExpectedEvent.Format(DateTimeOffset.UnixEpoch) + "\"}");

    public static BatchStyleFormat Instance { get; } = new();

    public override int PartitionCount => 1;

    public override int PartitionOf(EventKind kind) => 0;

    public override string EndpointPath(int partition) => "/v1/batch";

    public override ReadOnlySpan<byte> BatchPrefix(int partition) => Prefix;

    public override ReadOnlySpan<byte> BatchSuffix(int partition) => Suffix;

    public override void StampBeforeSend(int partition, Span<byte> suffix, DateTimeOffset now)
        => Encoding.UTF8.GetBytes(ExpectedEvent.Format(now), suffix[12..^2]);

    public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", e.Kind == EventKind.Track ? "track" : "page");
        if (e.UserId is not null)
            writer.WriteString("userId", e.UserId);
        else
            writer.WriteString("anonymousId", e.SessionId);
        if (e.Kind == EventKind.Track)
            writer.WriteString("event", e.Name);
        if (e.HasProperties)
        {
            writer.WritePropertyName("properties");
            e.WriteProperties(writer);
        }

        if (e.HasContext)
        {
            writer.WritePropertyName("context");
            e.WriteContext(writer);
        }

        writer.WritePropertyName("timestamp");
        e.WriteTimestamp(writer);
        writer.WriteEndObject();
    }
}
