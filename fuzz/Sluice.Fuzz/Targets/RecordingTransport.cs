using System.Buffers;
using System.Collections.Concurrent;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Keeps a copy of every batch with the result it returned, until taken. An optional policy decides
/// each result (null: throw, as a broken transport would); by default every batch is delivered. Thread-safe.
/// </summary>
internal sealed class RecordingTransport(Func<Batch, SendResult?>? policy = null) : IBatchTransport
{
    private readonly ConcurrentQueue<(ReceivedBatch Batch, SendResult? Result)> _sent = new();

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        var result = policy is null ? SendResult.Delivered : policy(batch);
        _sent.Enqueue((new ReceivedBatch(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray()), result));
        return result is { } r ? new ValueTask<SendResult>(r) : throw new IOException($"The fuzz transport fails batch {batch.Sequence} by throwing.");
    }

    /// <summary>Everything sent since the last call; a null result means the send threw.</summary>
    public List<(ReceivedBatch Batch, SendResult? Result)> Take()
    {
        var taken = new List<(ReceivedBatch, SendResult?)>();
        while (_sent.TryDequeue(out var item))
            taken.Add(item);
        return taken;
    }
}
