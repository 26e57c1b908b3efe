using System.Collections.Concurrent;
using System.Buffers;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Keeps a copy of every batch with the result it returned, until taken. An optional policy decides
/// each result (to make some sends fail); by default every batch is delivered. Thread-safe.
/// </summary>
internal sealed class RecordingTransport(Func<Batch, SendResult>? policy = null) : IBatchTransport
{
    private readonly ConcurrentQueue<(ReceivedBatch Batch, SendResult Result)> _sent = new();

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        var result = policy?.Invoke(batch) ?? SendResult.Delivered;
        _sent.Enqueue((new ReceivedBatch(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray()), result));
        return new ValueTask<SendResult>(result);
    }

    /// <summary>Everything sent since the last call.</summary>
    public List<(ReceivedBatch Batch, SendResult Result)> Take()
    {
        var taken = new List<(ReceivedBatch, SendResult)>();
        while (_sent.TryDequeue(out var item))
            taken.Add(item);
        return taken;
    }
}
