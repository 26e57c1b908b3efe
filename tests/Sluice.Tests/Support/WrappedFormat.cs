using System.Text.Json;
using Sluice.Producing;
using Sluice.Serialization;

namespace Sluice.Tests.Support;

/// <summary>A wire format that is <paramref name="inner"/> in every respect; tests override <see cref="WriteEvent"/> to misbehave or wait.</summary>
internal class WrappedFormat(WireFormat inner) : WireFormat
{
    public override int PartitionCount => inner.PartitionCount;

    public override int PartitionOf(EventKind kind) => inner.PartitionOf(kind);

    public override string EndpointPath(int partition) => inner.EndpointPath(partition);

    public override ReadOnlySpan<byte> BatchPrefix(int partition) => inner.BatchPrefix(partition);

    public override ReadOnlySpan<byte> BatchSuffix(int partition) => inner.BatchSuffix(partition);

    public override void WriteEvent(Utf8JsonWriter writer, in EventView e) => inner.WriteEvent(writer, e);
}
