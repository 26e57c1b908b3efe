using Sluice.Batching;
using Sluice.Delivery;

namespace Sluice.Benchmarks;

/// <summary>
/// A transport that returns at once: what is left is the engine's own cost. It can be held (sends
/// wait for the release), for a warm-up that must keep a whole burst queued.
/// </summary>
internal sealed class NullTransport : IBatchTransport
{
    private long _events;
    private TaskCompletionSource? _held;

    /// <summary>Events received so far.</summary>
    public long Events => Volatile.Read(ref _events);

    /// <summary>Sends from now on wait until <see cref="Release"/>.</summary>
    public void Hold() => Volatile.Write(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets held sends (and later ones) through.</summary>
    public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _events, batch.EventCount);
        return Volatile.Read(ref _held) is { } held ? AfterAsync(held.Task) : new ValueTask<SendResult>(SendResult.Delivered);
    }

    private static async ValueTask<SendResult> AfterAsync(Task released)
    {
        await released.ConfigureAwait(false);
        return SendResult.Delivered;
    }
}
