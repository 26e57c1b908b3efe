using System.Net.Http.Headers;
using Sluice.Batching;
using Sluice.Collector;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The transport alone against the reference collector: one batch, one answer.</summary>
public class HttpTransportTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";
    private const string PageEvent = """{"session_id":"s1","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task A_batch_is_posted_to_its_endpoint_with_its_credentials_and_the_exact_body()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = Transport(collector);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent, TrackEvent.Replace("u1", "u2", StringComparison.Ordinal)]);

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.NotNull(result.ResponseId); // spec 001's reply carries one
        var received = collector.Received(CollectorApi.ThriveStackTrack);
        Assert.Equal(["u1", "u2"], received.Events.Select(e => e.GetProperty("user_id").GetString()));
        Assert.Equal(batch.Length, Assert.Single(received.Requests).Bytes);
        Assert.Equal(new Uri(collector.BaseAddress, "api/track"), transport.EndpointFor("/api/track"));
    }

    [Fact]
    public async Task A_base_address_with_a_path_keeps_it()
    {
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri("https://example.com/proxy/") });
        Assert.Equal("https://example.com/proxy/api/page", transport.EndpointFor("/api/page").AbsoluteUri);
        Assert.Equal("https://example.com/proxy/v1/batch", transport.EndpointFor("v1/batch").AbsoluteUri);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_refused_connection_is_a_transient_failure()
    {
        var collector = await ReferenceCollector.StartAsync();
        var address = collector.BaseAddress;
        await collector.DisposeAsync(); // nothing listens there any more
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = address });

        var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(SendFailure.ConnectionRefused, result.Failure);
        Assert.StartsWith($"connection refused by 127.0.0.1:{address.Port}: nothing listens there", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_answer_within_the_request_timeout_is_a_transient_failure()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = Transport(collector, TimeSpan.FromMilliseconds(200));
        // A connection first, pooled: on a busy machine, connecting alone can take the 200 ms, which is a connection failure.
        for (int i = 0; i < 10; i++)
        {
            if ((await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None)).Outcome == SendOutcome.Delivered)
                break;
        }

        collector.Faults.DelayNext(1, TimeSpan.FromSeconds(10));
        var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(SendFailure.Timeout, result.Failure);
        Assert.StartsWith("timed out after 0.2 s without an answer from http://127.0.0.1:", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_engines_cancellation_propagates_instead_of_being_called_a_timeout()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(1, TimeSpan.FromSeconds(10));
        using var transport = Transport(collector);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), deadline.Token));
    }

    [Fact]
    public async Task A_429_carries_the_servers_Retry_After_and_its_message()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 429, retryAfter: "7", message: "Slow down.");
        using var transport = Transport(collector);

        var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(429, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
        Assert.Equal("429: Slow down", result.Cause); // the diagnostics end the sentence themselves
    }

    [Fact]
    public async Task A_gzip_body_arrives_compressed_and_decompresses_to_the_batch()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, null),
            Gzip = true,
        });
        var batch = TestBatches.Seal(TestBatches.Memory(), [.. Enumerable.Repeat(TrackEvent, 50)]);

        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(batch, CancellationToken.None)).Outcome);

        var request = Assert.Single(collector.Received(CollectorApi.ThriveStackTrack).Requests);
        Assert.True(request.Gzip);
        Assert.Equal(batch.Length, request.Bytes);
        Assert.True(request.WireBytes < request.Bytes / 4, $"{request.WireBytes} compressed bytes of {request.Bytes}");
        Assert.Equal(50, request.Events);
    }

    [Fact]
    public async Task A_redirect_is_reported_not_followed()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 307);
        using var transport = Transport(collector);

        var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, result.Outcome);
        Assert.Contains("redirect not followed (307)", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotated_credentials_apply_to_the_next_request()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = Transport(collector);
        collector.Faults.RequireCredential(CollectorApi.ThriveStackTrack, "rotated");
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent]);

        Assert.Equal(SendOutcome.Unauthorized, (await transport.SendAsync(batch, CancellationToken.None)).Outcome);
        transport.Authentication = HttpAuthentication.ThriveStack("rotated", null);
        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(batch, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_refusal_of_a_request_sent_without_credentials_says_none_were_sent()
    {
        // Only the track token: a page goes to /api/page without its x-api-key, and the API answers 401.
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, null),
        });
        var page = TestBatches.Seal(TestBatches.Memory(), [PageEvent], partition: ThriveStackFormat.PagePartition);

        var refused = await transport.SendAsync(page, CancellationToken.None);

        Assert.Equal(SendOutcome.Unauthorized, refused.Outcome);
        Assert.EndsWith("(no credentials were sent to /api/page: the transport's Authentication has none for it)", refused.Message, StringComparison.Ordinal);
        collector.Faults.RequireCredential(CollectorApi.ThriveStackTrack, "rotated");
        var wrong = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);
        Assert.Equal(SendOutcome.Unauthorized, wrong.Outcome);
        Assert.DoesNotContain("no credentials were sent", wrong.Message, StringComparison.Ordinal); // a credential went: it was refused
    }

    [Fact]
    public void Each_format_authenticates_with_its_own_headers()
    {
        Assert.Equal(["Bearer t"], Headers(HttpAuthentication.ThriveStack("t", "k"), ThriveStackFormat.TrackPartition, "Authorization"));
        Assert.Equal(["k"], Headers(HttpAuthentication.ThriveStack("t", "k"), ThriveStackFormat.PagePartition, "x-api-key"));
        Assert.Empty(Headers(HttpAuthentication.ThriveStack("t", "k"), ThriveStackFormat.PagePartition, "Authorization"));
        Assert.Empty(Headers(HttpAuthentication.ThriveStack(null, "k"), ThriveStackFormat.TrackPartition, "Authorization"));
        Assert.Equal(["Basic d2stMTo="], Headers(HttpAuthentication.Segment("wk-1"), 0, "Authorization")); // base64("wk-1:")
        Assert.Equal(["cid"], Headers(HttpAuthentication.PrimeData("cid", "tok"), 0, "X-Client-Id"));
        Assert.Equal(["tok"], Headers(HttpAuthentication.PrimeData("cid", "tok"), 0, "X-Client-Access-Token"));
    }

    [Theory]
    [InlineData("a\r\nX-Injected: 1", "writeKey")]
    [InlineData("", "writeKey")]
    [InlineData(" ", "writeKey")]
    public void A_credential_that_cannot_be_a_header_value_is_refused_at_once(string value, string parameter) =>
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(() => HttpAuthentication.Segment(value)).ParamName);

    [Fact]
    public void Options_are_validated_together()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = new Uri("/relative", UriKind.Relative),
            RequestTimeout = TimeSpan.Zero,
            Authentication = null!,
        }));
        Assert.Contains("BaseAddress must be an absolute http or https address", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout must be between 1 ms and 10 minutes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Authentication is required", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The APIs give each endpoint as a whole address ("**URL:** `https://api.app.thrivestack.ai/api/track`", "the main endpoints
    /// for event collecting are … https://dev.primedata.ai/powehi/smile"). Copied as the base address, the endpoint's path is
    /// appended once more: every batch fails, and the answer must say what address to give instead.
    /// </summary>
    [Theory]
    [InlineData("api/track", ThriveStackFormat.TrackPartition)]
    [InlineData("api/track/", ThriveStackFormat.PagePartition)] // the other endpoint of the format: /api/track/api/page
    [InlineData("api/page", ThriveStackFormat.PagePartition)]
    public async Task A_base_address_that_is_an_endpoints_whole_address_is_named_with_the_base_address_to_give(string endpointAddress, int partition)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = new Uri(collector.BaseAddress, endpointAddress),
            Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, collector.Credentials.PageApiKey),
        });
        var batch = TestBatches.Seal(TestBatches.Memory(), [partition == ThriveStackFormat.PagePartition ? PageEvent : TrackEvent], partition);

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, result.Outcome);
        Assert.Equal(404, result.StatusCode);
        string baseAddress = collector.BaseAddress.AbsoluteUri.TrimEnd('/');
        Assert.Contains($"the base address ends with the endpoint path /{endpointAddress.TrimEnd('/')}", result.Message, StringComparison.Ordinal);
        Assert.Contains($"give {baseAddress} instead", result.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Spec 001: "`Authorization` | Bearer token for authentication | Bearer &lt;token&gt;". A credential read from a padded
    /// configuration value went as "Bearer  token" (two spaces), or base64-encoded with its spaces (HTTP Basic): refused on
    /// every request, the endpoint paused for a credential that reads right. HTTP drops the spaces around a header's value
    /// anyway (x-api-key, X-Client-Id): every credential goes without them.
    /// </summary>
    [Theory]
    [InlineData(CollectorApi.ThriveStackTrack)]
    [InlineData(CollectorApi.Segment)]
    public async Task A_credential_with_spaces_around_it_is_sent_without_them(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        string padded = "  " + collector.Credentials.Of(api) + " ";
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = api == CollectorApi.Segment ? HttpAuthentication.Segment(padded) : HttpAuthentication.ThriveStack(padded, null),
        });
        var batch = api == CollectorApi.Segment
            ? TestBatches.Seal(TestBatches.Memory(), ["""{"type":"track","userId":"u1","event":"e","messageId":"m1","timestamp":"2024-10-20T15:51:35.059000Z"}"""], format: new SegmentFormat())
            : TestBatches.Seal(TestBatches.Memory(), [TrackEvent]);

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.True(result.Outcome == SendOutcome.Delivered, result.Message);
    }

    [Fact]
    public async Task A_failure_at_a_base_address_with_a_path_of_its_own_adds_no_hint()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri(collector.BaseAddress, "proxy/") });

        var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);

        Assert.Equal(404, result.StatusCode);
        Assert.Equal("HTTP 404", result.Message);
    }

    private static HttpTransport Transport(ReferenceCollector collector, TimeSpan? timeout = null) => new(new HttpTransportOptions
    {
        BaseAddress = collector.BaseAddress,
        Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, collector.Credentials.PageApiKey),
        RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
    });

    private static string[] Headers(HttpAuthentication authentication, int partition, string name) =>
        [.. CredentialHeaders.Of(authentication, partition).Where(h => h.Name == name).Select(h => h.Value)];
}
