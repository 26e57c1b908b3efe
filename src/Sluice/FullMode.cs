namespace Sluice;

/// <summary>What Track/Page do when the queue is full. Every drop is counted by reason.</summary>
public enum FullMode
{
    /// <summary>Refuse the new event and return <see cref="EnqueueStatus.QueueFull"/> (the default: the caller never waits).</summary>
    DropNewest,

    /// <summary>
    /// Accept the new event and evict the oldest queued one (counted as evicted). Once the shutdown has closed the queue,
    /// the call is refused (<see cref="EnqueueStatus.ShuttingDown"/>) and nothing is evicted.
    /// </summary>
    DropOldest,

    /// <summary>
    /// Block the caller up to <see cref="SluiceOptions.FullModeWaitTimeout"/>, then refuse. A call made from the
    /// engine's own <see cref="SluiceOptions.OnDiagnostic"/> or <see cref="SluiceOptions.OnBatchSettled"/> is
    /// refused at once: the thread it would wait for may be the one running the callback.
    /// </summary>
    Wait,
}
