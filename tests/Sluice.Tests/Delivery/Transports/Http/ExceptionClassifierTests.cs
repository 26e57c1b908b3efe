using System.Net.Http;
using System.Net.Sockets;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>Exceptions as the handler raises them, classified by their error codes, never by their text.</summary>
public class ExceptionClassifierTests
{
    private static readonly Uri Uri = new("https://api.example.com/api/track");

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError, SocketError.HostNotFound, SendFailure.NameNotResolved, "name not resolved: api.example.com (")]
    [InlineData(HttpRequestError.Unknown, SocketError.TryAgain, SendFailure.NameNotResolved, "name not resolved: api.example.com (")]
    [InlineData(HttpRequestError.Unknown, SocketError.NoData, SendFailure.NameNotResolved, "name not resolved: api.example.com (")]
    [InlineData(HttpRequestError.ConnectionError, SocketError.ConnectionRefused, SendFailure.ConnectionRefused, "connection refused by api.example.com:443: nothing listens there (https://api.example.com/api/track)")]
    [InlineData(HttpRequestError.ConnectionError, SocketError.HostUnreachable, SendFailure.ConnectionFailed, "could not connect to api.example.com:443: ")]
    [InlineData(HttpRequestError.ProxyTunnelError, SocketError.Success, SendFailure.ConnectionFailed, "could not connect to api.example.com:443: ")]
    [InlineData(HttpRequestError.SecureConnectionError, SocketError.Success, SendFailure.SecureConnection, "TLS failure with api.example.com:443: ")]
    [InlineData(HttpRequestError.ResponseEnded, SocketError.Success, SendFailure.ConnectionLost, "the connection to api.example.com:443 closed before the answer (https://api.example.com/api/track)")]
    [InlineData(HttpRequestError.InvalidResponse, SocketError.Success, SendFailure.InvalidResponse, "an invalid answer from api.example.com:443: ")]
    [InlineData(HttpRequestError.HttpProtocolError, SocketError.Success, SendFailure.InvalidResponse, "an invalid answer from api.example.com:443: ")]
    [InlineData(HttpRequestError.Unknown, SocketError.ConnectionReset, SendFailure.ConnectionLost, "the connection to api.example.com:443 broke: ")]
    public void Each_error_code_has_its_category_and_words(HttpRequestError error, SocketError socket, SendFailure failure, string message)
    {
        Exception inner = socket == SocketError.Success ? new IOException("inner detail.") : new SocketException((int)socket);
        var result = ExceptionClassifier.Classify(new HttpRequestException(error, "An error occurred while sending the request.", inner), Uri);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(failure, result.Failure);
        Assert.StartsWith(message, result.Message, StringComparison.Ordinal);
        Assert.Equal(0, result.StatusCode);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public void The_detail_is_the_innermost_message_without_its_full_stop()
    {
        var ex = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established.",
            new IOException("Received an unexpected EOF or 0 bytes from the transport stream."));
        Assert.Equal("TLS failure with api.example.com:443: Received an unexpected EOF or 0 bytes from the transport stream", ExceptionClassifier.Classify(ex, Uri).Message);
    }

    [Fact]
    public void A_connection_reset_while_reading_the_answer_is_a_broken_connection()
    {
        var ex = new IOException("Unable to read data from the transport connection.", new SocketException((int)SocketError.ConnectionReset));
        var result = ExceptionClassifier.Classify(ex, Uri);
        Assert.Equal(SendFailure.ConnectionLost, result.Failure);
        Assert.True(result.MayHaveArrived);
    }

    [Fact]
    public void A_timeout_names_the_time_and_the_address()
    {
        var result = ExceptionClassifier.TimedOut(Uri, TimeSpan.FromMilliseconds(2_500));
        Assert.Equal(SendFailure.Timeout, result.Failure);
        Assert.Equal("timed out after 2.5 s without an answer from https://api.example.com/api/track", result.Message);
        Assert.True(result.MayHaveArrived);
    }

    [Theory]
    [InlineData(SendFailure.None, false)]
    [InlineData(SendFailure.ErrorStatus, false)]
    [InlineData(SendFailure.ConnectionRefused, false)]
    [InlineData(SendFailure.NameNotResolved, false)]
    [InlineData(SendFailure.ConnectionFailed, false)]
    [InlineData(SendFailure.SecureConnection, false)]
    [InlineData(SendFailure.Timeout, true)]
    [InlineData(SendFailure.ConnectionLost, true)]
    [InlineData(SendFailure.InvalidResponse, true)]
    [InlineData(SendFailure.TransportException, true)]
    public void Only_failures_after_the_request_may_have_gone_out_leave_a_doubt(SendFailure failure, bool doubt) =>
        Assert.Equal(doubt, (SendResult.Retry("x") with { Failure = failure }).MayHaveArrived);

    [Theory]
    [InlineData(503, "Service Unavailable", "503: Service Unavailable")]
    [InlineData(413, "413 Request Entity Too Large", "413 Request Entity Too Large")]
    [InlineData(0, "connection refused", "connection refused")]
    [InlineData(400, null, "400: Rejected")]
    [InlineData(0, " ", "Retry")]
    public void A_cause_is_the_status_and_the_message_said_once(int status, string? message, string cause)
    {
        var result = status == 400 ? SendResult.Rejected(message, status) : SendResult.Retry(message, statusCode: status);
        Assert.Equal(cause, result.Cause);
    }

    [Fact]
    public void Factories_mark_failures_with_a_status_as_error_statuses()
    {
        Assert.Equal(SendFailure.ErrorStatus, SendResult.Retry("x", statusCode: 503).Failure);
        Assert.Equal(SendFailure.None, SendResult.Retry("x").Failure);
        Assert.Equal(SendFailure.ErrorStatus, SendResult.Rejected("x").Failure);
        Assert.Equal(SendFailure.ErrorStatus, SendResult.TooLarge("x").Failure);
        Assert.Equal(SendFailure.ErrorStatus, SendResult.Unauthorized("x").Failure);
        Assert.Equal(SendFailure.None, SendResult.Failed("x").Failure);
        Assert.Equal(SendFailure.ErrorStatus, SendResult.Failed("x", 404).Failure);
        Assert.Equal(SendFailure.None, SendResult.Delivered.Failure);
    }
}
