namespace Sluice.Delivery.Transports;

/// <summary>A copy of a batch an <see cref="InMemoryTransport"/> received.</summary>
/// <param name="Sequence">The batch's sequence number.</param>
/// <param name="Partition">The wire format's partition.</param>
/// <param name="EndpointPath">The endpoint it was addressed to.</param>
/// <param name="EventCount">Events in the body.</param>
/// <param name="Body">The exact body bytes.</param>
public sealed record ReceivedBatch(long Sequence, int Partition, string EndpointPath, int EventCount, byte[] Body);
