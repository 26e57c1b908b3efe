using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// Turns a request that ended in an exception instead of an answer into a <see cref="SendResult"/> to retry,
/// with its <see cref="SendFailure"/> category and a message a person understands: connection refused, name not
/// resolved, TLS failure, timed out after N s, connection broken. Classified by
/// <see cref="HttpRequestException.HttpRequestError"/> and the <see cref="SocketException.SocketErrorCode"/>
/// underneath, not by message text. A pure function, so each case can be tested.
/// </summary>
internal static class ExceptionClassifier
{
    /// <summary>No answer within <paramref name="timeout"/>.</summary>
    public static SendResult TimedOut(Uri uri, TimeSpan timeout) => Unanswered(SendFailure.Timeout,
        string.Create(CultureInfo.InvariantCulture, $"timed out after {timeout.TotalSeconds:0.###} s without an answer from {uri}"));

    /// <summary>The request to <paramref name="uri"/> was cancelled before any of its body was written: by <paramref name="timeout"/>,
    /// or (null) by the shutdown deadline. Nothing was sent.</summary>
    public static SendResult NotConnected(Uri uri, TimeSpan? timeout) => Unanswered(SendFailure.ConnectionFailed, timeout is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"no connection to {uri.Host}:{uri.Port} within {t.TotalSeconds:0.###} s: nothing was sent ({uri})")
        : $"no connection to {uri.Host}:{uri.Port} before the shutdown deadline: nothing was sent ({uri})");

    /// <summary>The request to <paramref name="uri"/> failed with <paramref name="exception"/> (an <see cref="HttpRequestException"/> or an <see cref="IOException"/>).</summary>
    public static SendResult Classify(Exception exception, Uri uri)
    {
        string host = $"{uri.Host}:{uri.Port}";
        var socket = Find<SocketException>(exception);
        string detail = Detail(exception);
        var error = (exception as HttpRequestException)?.HttpRequestError ?? HttpRequestError.Unknown;
        var code = socket?.SocketErrorCode ?? SocketError.Success;

        if (error == HttpRequestError.NameResolutionError || code is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData)
            return Unanswered(SendFailure.NameNotResolved, $"name not resolved: {uri.Host} ({detail})");
        if (code == SocketError.ConnectionRefused)
            return Unanswered(SendFailure.ConnectionRefused, $"connection refused by {host}: nothing listens there ({uri})");

        return error switch
        {
            HttpRequestError.ConnectionError or HttpRequestError.ProxyTunnelError => Unanswered(SendFailure.ConnectionFailed, $"could not connect to {host}: {detail}"),
            HttpRequestError.SecureConnectionError => Unanswered(SendFailure.SecureConnection, $"TLS failure with {host}: {detail}"),
            HttpRequestError.ResponseEnded => Unanswered(SendFailure.ConnectionLost, $"the connection to {host} closed before the answer ({uri})"),
            HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => Unanswered(SendFailure.InvalidResponse, $"an invalid answer from {host}: {detail}"),
            _ => Unanswered(SendFailure.ConnectionLost, $"the connection to {host} broke: {detail}"),
        };
    }

    private static SendResult Unanswered(SendFailure failure, string message) => SendResult.Retry(message) with { Failure = failure };

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
                return found;
        }

        return null;
    }

    /// <summary>The innermost message: the operating system's words (<c>Connection reset by peer</c>) rather than the wrappers'.</summary>
    internal static string Detail(Exception exception)
    {
        while (exception.InnerException is { } inner)
            exception = inner;
        return exception.Message.TrimEnd('.');
    }
}
