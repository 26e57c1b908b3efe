using System.Buffers;
using System.Collections.Concurrent;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Keeps a copy of every body sent, in the order sends began, with the answer it got. An optional
/// policy decides each answer from the copy (null: throw, as a broken transport would); by default
/// every body is delivered. Thread-safe.
/// </summary>
internal sealed class RecordingTransport(Func<ReceivedBatch, SendResult?>? policy = null) : IBatchTransport
{
    private readonly ConcurrentQueue<(ReceivedBatch Batch, SendResult? Result)> _sent = new();

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        var copy = new ReceivedBatch(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray());
        var result = policy is null ? SendResult.Delivered : policy(copy);
        _sent.Enqueue((copy, result));
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
