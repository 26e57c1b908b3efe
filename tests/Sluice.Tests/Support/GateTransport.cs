using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Support;

/// <summary>Holds every send until the test opens the gate; honours cancellation. Records what it delivered.</summary>
public sealed class GateTransport : IBatchTransport
{
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InMemoryTransport _inner = new();
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public IReadOnlyList<ReceivedBatch> Batches => _inner.Batches;

    public void Open() => Volatile.Read(ref _gate).TrySetResult();

    /// <summary>Holds sends again (after <see cref="Open"/>); sends already let through are not affected.</summary>
    public void Close()
    {
        if (Volatile.Read(ref _gate).Task.IsCompleted)
            Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await Volatile.Read(ref _gate).Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        return await _inner.SendAsync(batch, cancellationToken);
    }
}
