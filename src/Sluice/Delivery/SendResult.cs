namespace Sluice.Delivery;

/// <summary>The result of one send attempt. A readonly struct, so returning it allocates nothing.</summary>
public readonly record struct SendResult
{
    /// <summary>How the attempt ended.</summary>
    public SendOutcome Outcome { get; init; }

    /// <summary>For <see cref="SendOutcome.Retry"/>: how long the receiver asked us to wait, if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>What the receiver or transport said, for diagnostics.</summary>
    public string? Message { get; init; }

    /// <summary>The protocol status code, if there is one (HTTP status).</summary>
    public int StatusCode { get; init; }

    /// <summary>The batch was delivered.</summary>
    public static SendResult Delivered { get; } = new() { Outcome = SendOutcome.Delivered };

    /// <summary>A transient failure worth retrying.</summary>
    public static SendResult Retry(string? message = null, TimeSpan? retryAfter = null, int statusCode = 0)
        => new() { Outcome = SendOutcome.Retry, Message = message, RetryAfter = retryAfter, StatusCode = statusCode };

    /// <summary>A permanent failure.</summary>
    public static SendResult Failed(string? message, int statusCode = 0)
        => new() { Outcome = SendOutcome.Failed, Message = message, StatusCode = statusCode };
}
