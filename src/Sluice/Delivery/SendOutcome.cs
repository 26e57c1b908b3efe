namespace Sluice.Delivery;

/// <summary>How one send attempt ended, as a transport classifies it.</summary>
public enum SendOutcome
{
    /// <summary>
    /// No outcome: a <see cref="SendResult"/> made with <c>default</c> or <c>new SendResult()</c> instead of a factory. A transport
    /// bug, never taken for a delivery: the engine fails the attempt's events (<see cref="Failed"/>) with a message that says so.
    /// </summary>
    None,

    /// <summary>The receiver took the whole batch.</summary>
    Delivered,

    /// <summary>A transient failure (429, 5xx, timeout, connection error): worth retrying, honouring <see cref="SendResult.RetryAfter"/>.</summary>
    Retry,

    /// <summary>The receiver refused the batch's content as invalid (400): retrying it as is will not help.</summary>
    Rejected,

    /// <summary>The body was too large for the receiver (413): smaller batches may pass.</summary>
    TooLarge,

    /// <summary>Credentials or scope refused (401/403): the endpoint should be paused.</summary>
    Unauthorized,

    /// <summary>A permanent failure that no retry will fix.</summary>
    Failed,
}
