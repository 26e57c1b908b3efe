namespace Sluice.Delivery;

/// <summary>
/// Why a send attempt failed, as a category: what metrics report as <c>error.type</c>, and what tells the
/// engine whether the receiver may have the events although no answer said so (then, if the shutdown
/// deadline passes before a later attempt gets an answer, they are counted as having an unknown outcome
/// rather than as lost).
/// </summary>
public enum SendFailure
{
    /// <summary>No failure (a delivery), or the transport did not say (a <see cref="SendOutcome.Retry"/> returned once the shutdown deadline
    /// cancelled the send is then taken as the send still in flight).</summary>
    None = 0,

    /// <summary>The receiver answered with an error status (<see cref="SendResult.StatusCode"/>).</summary>
    ErrorStatus,

    /// <summary>No answer within the request timeout: the receiver may have processed the request.</summary>
    Timeout,

    /// <summary>The connection was refused (nothing listens at that address): nothing was sent.</summary>
    ConnectionRefused,

    /// <summary>The host name did not resolve: nothing was sent.</summary>
    NameNotResolved,

    /// <summary>The connection could not be made for another reason (host or network unreachable, a proxy), or not before the attempt
    /// ended (its timeout, the shutdown deadline): nothing was sent.</summary>
    ConnectionFailed,

    /// <summary>The TLS handshake failed (certificate, protocol): nothing was sent.</summary>
    SecureConnection,

    /// <summary>The connection broke after the request started: the receiver may have processed it.</summary>
    ConnectionLost,

    /// <summary>The answer could not be read (a protocol error): the receiver may have processed the request.</summary>
    InvalidResponse,

    /// <summary>The transport threw: whether anything was sent is unknown.</summary>
    TransportException,
}
