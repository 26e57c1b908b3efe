namespace Sluice.Delivery;

/// <summary>
/// The result of one send attempt. A readonly struct, so returning it allocates nothing. Make it with the factories
/// (<see cref="Delivered"/>, <see cref="Retry"/>, <see cref="Rejected"/>, …): <c>default</c> and <c>new SendResult()</c> have no
/// outcome (<see cref="SendOutcome.None"/>), and the engine fails the events of an attempt that returns one rather than count them delivered.
/// </summary>
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

    /// <summary>The receiver's identifier for this request (ThriveStack <c>response_id</c>), if it gave one.</summary>
    public string? ResponseId { get; init; }

    /// <summary>Warnings the receiver returned with an accepted batch; reported to diagnostics.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>Why the attempt failed, as a category; <see cref="SendFailure.ErrorStatus"/> for a failure with a status code
    /// made by the factories below. Set it (<c>with { Failure = … }</c>) for failures without an answer.</summary>
    public SendFailure Failure { get; init; }

    /// <summary>The exception the transport threw, when it threw: attached to the diagnostic of the attempt.</summary>
    internal Exception? Exception { get; init; }

    /// <summary>
    /// Whether the receiver may have taken the events although the attempt failed: it ended without an answer
    /// after the request may have gone out (a timeout, a broken connection, an unreadable answer, an exception),
    /// or a gateway answered that it timed out waiting for the origin behind it (504; Cloudflare's 524), which
    /// had the request and may have processed it, or that it got no valid answer from the origin (502): nginx says
    /// 502 both when it could not connect and when the origin closed the connection after taking the request (it
    /// crashed, or was killed, while handling it), and the client cannot tell which. Any other status is the
    /// receiver's refusal: it does not have them.
    /// </summary>
    internal bool MayHaveArrived => Failure is SendFailure.Timeout or SendFailure.ConnectionLost or SendFailure.InvalidResponse or SendFailure.TransportException
        || (Failure == SendFailure.ErrorStatus && StatusCode is 502 or 504 or 524);

    /// <summary>What <see cref="MayHaveArrived"/> means, as the messages about such events say it ("a request holding them …").</summary>
    internal const string MayHaveArrivedWhy = "got no answer or a gateway's 502 or 504";

    /// <summary>
    /// The failure in words: the status and the message (<c>503: Service Unavailable</c>), or the message alone; without a
    /// final period, since the diagnostics end the sentence it is put in themselves.
    /// </summary>
    internal string Cause
    {
        get
        {
            string message = string.IsNullOrWhiteSpace(Message) ? Outcome.ToString() : Message.TrimEnd().TrimEnd('.');
            if (StatusCode == 0)
                return message;
            string status = StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return message.StartsWith(status, StringComparison.Ordinal) ? message : $"{status}: {message}";
        }
    }

    /// <summary>The batch was delivered.</summary>
    public static SendResult Delivered { get; } = new() { Outcome = SendOutcome.Delivered };

    /// <summary>A transient failure worth retrying.</summary>
    public static SendResult Retry(string? message = null, TimeSpan? retryAfter = null, int statusCode = 0)
        => new() { Outcome = SendOutcome.Retry, Message = message, RetryAfter = retryAfter, StatusCode = statusCode, Failure = StatusFailure(statusCode) };

    /// <summary>The receiver refused the content as invalid (400): the engine bisects the batch to isolate the bad events.</summary>
    public static SendResult Rejected(string? message, int statusCode = 400)
        => new() { Outcome = SendOutcome.Rejected, Message = message, StatusCode = statusCode, Failure = StatusFailure(statusCode) };

    /// <summary>The body was too large for the receiver (413): the engine splits the batch and lowers the partition's byte limit.</summary>
    public static SendResult TooLarge(string? message, int statusCode = 413)
        => new() { Outcome = SendOutcome.TooLarge, Message = message, StatusCode = statusCode, Failure = StatusFailure(statusCode) };

    /// <summary>Credentials or scope refused (401/403): the engine pauses the endpoint and probes it.</summary>
    public static SendResult Unauthorized(string? message, int statusCode = 401)
        => new() { Outcome = SendOutcome.Unauthorized, Message = message, StatusCode = statusCode, Failure = StatusFailure(statusCode) };

    /// <summary>A permanent failure.</summary>
    public static SendResult Failed(string? message, int statusCode = 0)
        => new() { Outcome = SendOutcome.Failed, Message = message, StatusCode = statusCode, Failure = StatusFailure(statusCode) };

    private static SendFailure StatusFailure(int statusCode) => statusCode == 0 ? SendFailure.None : SendFailure.ErrorStatus;
}
