namespace Sluice;

/// <summary>The outcome of a Track/Page call. Runtime conditions are returned and counted, never thrown.</summary>
public enum EnqueueResult
{
    /// <summary>The event was accepted; it will end in exactly one counted terminal state.</summary>
    Accepted,

    /// <summary>The queue was full; the event was refused and counted.</summary>
    QueueFull,

    /// <summary>The engine is shutting down or shut down; the event was refused and counted.</summary>
    ShuttingDown,
}
