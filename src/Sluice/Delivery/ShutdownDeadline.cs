namespace Sluice.Delivery;

/// <summary>
/// When the shutdown's deadline falls (<see cref="SluiceOptions.ShutdownTimeout"/> after it began), for the waits of delivery: a
/// retry's backoff, a server's <c>Retry-After</c> hold, a paused endpoint's next probe. A wait that cannot end before the deadline
/// cannot lead to a send, so it is not waited out: the batch is written off at once (lost, of unknown outcome, or kept in the
/// spool, as at the deadline) rather than holding the host's shutdown until the deadline for nothing. A wait under way when the
/// shutdown begins is judged then. Thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Its token source lives as long as the engine, whose abort token it is linked to.")]
internal sealed class ShutdownDeadline(TimeProvider time, CancellationToken abort)
{
    // Cancelled when the shutdown begins (after _at is written) or the deadline passes: wakes the waits to judge them.
    private readonly CancellationTokenSource _wake = CancellationTokenSource.CreateLinkedTokenSource(abort);

    // The deadline as a timestamp of the engine's clock; long.MaxValue until the shutdown begins. Written once by the shutdown, read by the waits.
    private long _at = long.MaxValue;

    // Set by a wait that wrote its batch off before the deadline; read by the shutdown for its result.
    private volatile bool _wroteOff;

    /// <summary>Whether some batch was written off before the deadline because its wait would have ended after it.</summary>
    public bool WroteOff => _wroteOff;

    /// <summary>The shutdown began, and ends at the latest after <paramref name="timeout"/> (its timer is set on the same clock).</summary>
    public void Begin(TimeSpan timeout)
    {
        Volatile.Write(ref _at, time.GetTimestamp() + Timestamps(timeout));
        _wake.Cancel();
    }

    /// <summary>Whether a wait of <paramref name="wait"/> from now would not end before the deadline (the caller writes its batch off); false before the shutdown begins.</summary>
    public bool Outlasts(TimeSpan wait) => WritesOff(time.GetTimestamp() + Timestamps(wait));

    /// <summary>
    /// Waits <paramref name="wait"/> on the engine's clock; false, at once or when the shutdown begins, if it would not end before
    /// the shutdown's deadline: the caller writes its batch off. True when it has passed, or when the deadline passed meanwhile
    /// (the caller then settles what waited as the deadline requires).
    /// </summary>
    public async ValueTask<bool> WaitAsync(TimeSpan wait)
    {
        long end = time.GetTimestamp() + Timestamps(wait);
        var wake = _wake.Token;
        if (!wake.IsCancellationRequested && await RanOutAsync(wait, wake).ConfigureAwait(false))
            return true;
        if (abort.IsCancellationRequested)
            return true;
        if (WritesOff(end))
            return false;
        var left = time.GetElapsedTime(time.GetTimestamp(), end);
        if (left > TimeSpan.Zero)
            await RanOutAsync(left, abort).ConfigureAwait(false);
        return true;
    }

    private bool WritesOff(long end)
    {
        if (end < Volatile.Read(ref _at))
            return false;
        _wroteOff = true;
        return true;
    }

    /// <summary>Waits; true when the wait ran to its end, false when <paramref name="token"/> cut it short.</summary>
    private async ValueTask<bool> RanOutAsync(TimeSpan wait, CancellationToken token)
    {
        try
        {
            await Task.Delay(wait, time, token).ConfigureAwait(false); // a zero wait completes at once
            return true;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return false;
        }
    }

    private long Timestamps(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
