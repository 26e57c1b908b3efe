using Sluice.Batching;
using Sluice.Delivery;

namespace Sluice.Cli.Performance;

/// <summary>A transport that returns at once: what is left is the engine's own cost.</summary>
internal sealed class NullTransport : IBatchTransport
{
    private long _events;

    /// <summary>Events received so far.</summary>
    public long Events => Volatile.Read(ref _events);

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _events, batch.EventCount);
        return new ValueTask<SendResult>(SendResult.Delivered);
    }
}
