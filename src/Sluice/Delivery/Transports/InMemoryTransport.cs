using System.Buffers;
using Sluice.Batching;

namespace Sluice.Delivery.Transports;

/// <summary>
/// Keeps a copy of every batch in memory, or hands each to a callback: for tests, and for
/// pipelines that consume batches in-process. Thread-safe.
/// </summary>
public sealed class InMemoryTransport : IBatchTransport
{
    private readonly Lock _lock = new();
    private readonly List<ReceivedBatch> _batches = [];
    private readonly Action<ReceivedBatch>? _onBatch;

    /// <summary>Collects batches into <see cref="Batches"/>.</summary>
    public InMemoryTransport()
    {
    }

    /// <summary>Passes each batch to <paramref name="onBatch"/> instead of keeping it.</summary>
    public InMemoryTransport(Action<ReceivedBatch> onBatch)
    {
        ArgumentNullException.ThrowIfNull(onBatch);
        _onBatch = onBatch;
    }

    /// <summary>A snapshot of the batches received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedBatch> Batches
    {
        get
        {
            lock (_lock)
                return _batches.ToArray();
        }
    }

    /// <inheritdoc/>
    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var copy = new ReceivedBatch(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray());
        if (_onBatch is not null)
        {
            _onBatch(copy);
        }
        else
        {
            lock (_lock)
                _batches.Add(copy);
        }

        return new ValueTask<SendResult>(SendResult.Delivered);
    }
}
