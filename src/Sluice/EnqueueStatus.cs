namespace Sluice;

/// <summary>What became of a Track/Page call (<see cref="EnqueueResult.Status"/>). Runtime conditions are returned and counted, never thrown.</summary>
public enum EnqueueStatus
{
    /// <summary>The event was accepted; it will end in exactly one counted terminal state.</summary>
    Accepted,

    /// <summary>The queue was full; the event was refused and counted.</summary>
    QueueFull,

    /// <summary>The engine is shutting down or shut down; the event was refused and counted.</summary>
    ShuttingDown,
}
