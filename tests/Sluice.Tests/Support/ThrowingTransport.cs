using Sluice.Batching;
using Sluice.Delivery;

namespace Sluice.Tests.Support;

/// <summary>Fails every send by throwing.</summary>
public sealed class ThrowingTransport : IBatchTransport
{
    public int Calls => Volatile.Read(ref _calls);

    private int _calls;

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        throw new IOException("The test transport always fails.");
    }
}
