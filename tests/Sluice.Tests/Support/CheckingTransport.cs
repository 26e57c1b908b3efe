using System.Buffers;
using System.Text.Json;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Support;

/// <summary>
/// Checks every batch while it is being sent (when its pooled memory is still valid): the body is
/// one JSON array, and <see cref="Batch.GetEvent"/> returns exactly its elements. Keeps a copy.
/// </summary>
public sealed class CheckingTransport : IBatchTransport
{
    private readonly InMemoryTransport _inner = new();

    public IReadOnlyList<ReceivedBatch> Batches => _inner.Batches;

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        byte[] body = batch.Body.ToArray();
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        var elements = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(batch.EventCount, elements.Count);
        for (int i = 0; i < elements.Count; i++)
            Assert.Equal(elements[i].GetRawText(), System.Text.Encoding.UTF8.GetString(batch.GetEvent(i).ToArray()));
        return _inner.SendAsync(batch, cancellationToken);
    }
}
