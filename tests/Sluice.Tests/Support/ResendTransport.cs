using System.Buffers;
using Sluice.Batching;
using Sluice.Delivery;

namespace Sluice.Tests.Support;

/// <summary>
/// Sends every batch twice, as a retry would: the body as stamped by the engine, then the same
/// batch re-stamped <see cref="RetryDelay"/> later. Keeps both copies.
/// </summary>
public sealed class ResendTransport(TimeProvider clock) : IBatchTransport
{
    private readonly Lock _lock = new();
    private readonly List<(byte[] First, byte[] Retry)> _sends = [];

    public static TimeSpan RetryDelay { get; } = TimeSpan.FromSeconds(90);

    public IReadOnlyList<(byte[] First, byte[] Retry)> Sends
    {
        get
        {
            lock (_lock)
                return _sends.ToArray();
        }
    }

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        byte[] first = batch.Body.ToArray();
        batch.StampForSend(clock.GetUtcNow() + RetryDelay);
        byte[] retry = batch.Body.ToArray();
        lock (_lock)
            _sends.Add((first, retry));
        return new ValueTask<SendResult>(SendResult.Delivered);
    }
}
