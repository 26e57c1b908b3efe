using Sluice.Batching;
using Sluice.Delivery;

namespace Sluice.Tests.Support;

/// <summary>A transport that ignores cancellation: each send hangs until the test lets it go, then reports a delivery.</summary>
public sealed class StuckTransport : IBatchTransport
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stuck;

    public int Stuck => Volatile.Read(ref _stuck);

    public void Release() => _release.TrySetResult();

    public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _stuck);
        await _release.Task; // the token is ignored on purpose
        return SendResult.Delivered;
    }
}
