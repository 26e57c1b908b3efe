using System.Collections.Concurrent;
using Sluice.Collector;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The transport over the caller's HTTP stack: their client or handler, their headers, their SDK's User-Agent.</summary>
public class CallerHttpStackTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task A_callers_handler_sees_every_request_with_the_static_headers_and_the_wrapping_sdks_user_agent()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var recorder = new RecordingHandler(new SocketsHttpHandler());
        var options = new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = HttpAuthentication.ThriveStack("test-track-token", "test-page-key"),
            UserAgent = "my-sdk/1.2.0",
        };
        options.Headers["X-Tenant"] = "acme";
        using (var transport = new HttpTransport(options, recorder))
        {
            var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);
            Assert.Equal(SendOutcome.Delivered, result.Outcome);
        }

        var request = Assert.Single(recorder.Requests);
        Assert.Equal("acme", request["X-Tenant"]);
        Assert.Matches(@"^my-sdk/1\.2\.0 Sluice/\d+\.\d+\.\d+$", request["User-Agent"]);
        Assert.Equal("Bearer test-track-token", request["Authorization"]);
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);

        // The handler stays the caller's: disposing the transport left it usable.
        using var client = new HttpClient(recorder, disposeHandler: false);
        using var again = await client.PostAsync(collector.UrlOf(CollectorApi.ThriveStackTrack), new StringContent("[]"));
        Assert.Equal(2, recorder.Requests.Count);
    }

    [Fact]
    public async Task A_callers_client_is_used_and_left_open()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var recorder = new RecordingHandler(new SocketsHttpHandler());
        using var client = new HttpClient(recorder);
        var options = new HttpTransportOptions { BaseAddress = collector.BaseAddress, Authentication = HttpAuthentication.ThriveStack("test-track-token", null) };
        using (var transport = new HttpTransport(options, client))
        {
            var result = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);
            Assert.Equal(SendOutcome.Delivered, result.Outcome);
            Assert.Matches(@"^Sluice/\d+\.\d+\.\d+$", Assert.Single(recorder.Requests)["User-Agent"]);
        }

        using var again = await client.PostAsync(collector.UrlOf(CollectorApi.ThriveStackTrack), new StringContent("[]"));
        Assert.Equal(2, recorder.Requests.Count);
    }

    [Fact]
    public void Headers_that_would_replace_the_transports_own_or_break_the_request_are_refused_together()
    {
        var options = new HttpTransportOptions { BaseAddress = new Uri("https://example.com"), UserAgent = "not a (valid" };
        options.Headers["Authorization"] = "Bearer x";
        options.Headers["Bad Name"] = "v";
        options.Headers["X-Split"] = "a\r\nInjected: yes";

        var ex = Assert.Throws<ArgumentException>(() => new HttpTransport(options));

        Assert.Contains("Headers: Authorization is written by the transport itself", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Headers: 'Bad Name' is not a valid header name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Headers: the value of X-Split must be one line of text", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UserAgent must be product tokens", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Injected", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Records each request's headers, then passes it on.</summary>
    private sealed class RecordingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public ConcurrentQueue<Dictionary<string, string>> Queue { get; } = new();

        public IReadOnlyList<Dictionary<string, string>> Requests => [.. Queue];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Queue.Enqueue(request.Headers.NonValidated.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
