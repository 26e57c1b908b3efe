using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>What goes over the wire and what is read back, seen by a Kestrel server on 127.0.0.1: headers, bodies, replies.</summary>
public class HttpWireTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task A_plain_body_of_many_pooled_blocks_goes_whole_with_its_length_and_the_JSON_content_type()
    {
        await using var server = await Server.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });
        var batch = LargeBatch();

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/api/track", request.Path);
        Assert.Equal(batch.Body.ToArray(), request.Body);
        Assert.Equal(batch.Length.ToString(CultureInfo.InvariantCulture), request.Headers["Content-Length"]);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.False(request.Headers.ContainsKey("Content-Encoding"));
        Assert.False(request.Headers.ContainsKey("Transfer-Encoding"));
    }

    /// <summary>
    /// A server or proxy that refuses chunked bodies (411 Length Required) must get a gzip body too: it goes with its exact length,
    /// compressed before it is sent.
    /// </summary>
    [Fact]
    public async Task A_gzip_body_goes_with_its_exact_length_and_encoding_to_a_server_refusing_chunked_bodies_and_inflates_to_the_whole_batch()
    {
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.StatusCode = context.Request.ContentLength is null ? 411 : 200;
            await context.Response.WriteAsync(context.Request.ContentLength is null ? "Length Required" : """{"success":true}""");
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, Gzip = true });
        var batch = LargeBatch();

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        var request = Assert.Single(server.Requests);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.Equal(request.Body.Length.ToString(CultureInfo.InvariantCulture), request.Headers["Content-Length"]);
        Assert.False(request.Headers.ContainsKey("Transfer-Encoding"));
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal(batch.Body.ToArray(), Inflate(request.Body));
    }

    /// <summary>The compressed copy lies in the engine's pool, and goes back to it when the request is done.</summary>
    [Fact]
    public async Task A_gzip_body_is_compressed_into_the_batchs_pool_and_given_back_after_the_send()
    {
        await using var server = await Server.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, Gzip = true });
        var memory = TestBatches.Memory();
        var batch = TestBatches.Seal(memory, [.. Enumerable.Range(0, 2_000).Select(i => TrackEvent.Replace("u1", $"user-{i:D5}", StringComparison.Ordinal))]);
        long before = memory.SmallPoolInUseSize;
        long freeBefore = memory.SmallPoolFreeSize;

        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(batch, CancellationToken.None)).Outcome);

        Assert.Equal(before, memory.SmallPoolInUseSize); // given back
        Assert.True(memory.SmallPoolFreeSize > freeBefore, "the compressed body's blocks came from the batch's pool");
    }

    /// <summary>
    /// nginx with gzip on compresses an error reply (JSON, text, its HTML pages) whatever the request asked: the message quoted is
    /// the server's words, not compressed bytes.
    /// </summary>
    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("gzip, identity")] // identity (RFC 9110 §8.4.1) changes nothing: the body is still quoted
    public async Task A_compressed_error_reply_is_quoted_decompressed(string coding)
    {
        byte[] reply = Compress(coding, """{"success":false,"message":"user_id is required"}"""u8.ToArray());
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.StatusCode = 400;
            context.Response.Headers.ContentEncoding = coding;
            await context.Response.Body.WriteAsync(reply);
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal("user_id is required", result.Message);
    }

    [Fact]
    public async Task A_compressed_2xx_saying_success_false_is_read_and_is_no_delivery()
    {
        byte[] reply = Compress("gzip", """{"success":false,"message":"Failed to track the event(s)"}"""u8.ToArray());
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync(reply);
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal("200: the server answered 200 with success: false: Failed to track the event(s)", result.Cause);
    }

    /// <summary>A coding the transport cannot undo, or a body that is not what its coding says: no bytes are quoted, the status stands.</summary>
    [Theory]
    [InlineData("zstd", 400, SendOutcome.Rejected, "HTTP 400", null)]
    [InlineData("gzip", 400, SendOutcome.Rejected, "HTTP 400", null)]
    [InlineData("zstd", 200, SendOutcome.Delivered, null, "its Content-Encoding, zstd, is none the transport decodes")]
    [InlineData("gzip", 200, SendOutcome.Delivered, null, "it is not valid gzip (its Content-Encoding)")]
    public async Task A_reply_body_that_cannot_be_decoded_is_not_quoted(string coding, int status, SendOutcome outcome, string? message, string? warning)
    {
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.ContentEncoding = coding;
            await context.Response.WriteAsync("""{"message":"not compressed at all"}""");
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(message, result.Message);
        if (warning is not null)
            Assert.Contains(warning, Assert.Single(result.Warnings!), StringComparison.Ordinal);
    }

    /// <summary>An application's handler that decompresses replies itself asks for compression and removes the header: the body reads as it is.</summary>
    [Fact]
    public async Task A_reply_an_applications_handler_decompressed_is_quoted_as_it_comes()
    {
        byte[] reply = Compress("gzip", """{"message":"user_id is required"}"""u8.ToArray());
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.StatusCode = 400;
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync(reply);
        });
        using var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All };
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress }, handler);

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal("user_id is required", result.Message);
        Assert.Contains("gzip", Assert.Single(server.Requests).Headers["Accept-Encoding"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_transports_own_connections_follow_no_redirect_keep_no_cookie_and_ask_for_no_compression()
    {
        await using var server = await Server.StartAsync(async context =>
        {
            if (context.Request.Path == "/moved")
            {
                await context.Response.WriteAsync("""{"success":true}""");
                return;
            }

            context.Response.StatusCode = 307;
            context.Response.Headers.Location = "/moved";
            context.Response.Headers.SetCookie = "session=1; Path=/";
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var first = await transport.SendAsync(OneEvent(), CancellationToken.None);
        var second = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, first.Outcome);
        Assert.Equal($"redirect to {new Uri(server.BaseAddress, "/moved")} not followed (307): HTTP 307", first.Message);
        Assert.Equal(SendOutcome.Failed, second.Outcome);
        Assert.Equal(["/api/track", "/api/track"], server.Requests.Select(r => r.Path)); // never /moved
        Assert.All(server.Requests, r => Assert.False(r.Headers.ContainsKey("Cookie")));
        Assert.All(server.Requests, r => Assert.False(r.Headers.ContainsKey("Accept-Encoding")));
    }

    [Theory]
    [InlineData("https://api.example.com/api/track", "https://api.example.com")]       // http to https, the usual one
    [InlineData("https://api.example.com/v2/api/track", "https://api.example.com/v2")] // a base with a path
    public async Task A_redirect_to_the_endpoint_elsewhere_names_the_base_address_to_give_not_the_endpoints_own(string target, string baseAddress)
    {
        // Given as the address, the redirect's target would have /api/track appended again: every request a 404.
        await using var server = await Server.StartAsync(context =>
        {
            context.Response.StatusCode = 301;
            context.Response.Headers.Location = target;
            return Task.CompletedTask;
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, result.Outcome);
        Assert.Equal($"redirect to {target} not followed (301; if the API is there, its base address is {baseAddress}): HTTP 301", result.Message);
    }

    /// <summary>
    /// A caller's handler following redirects (<see cref="HttpClientHandler"/>'s default, so an <c>IHttpClientFactory</c> primary
    /// handler's too) resends the POST of a 301, 302 or 303 as a GET without the body: a 200 to that GET delivered nothing.
    /// </summary>
    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    public async Task A_redirect_that_a_callers_handler_follows_as_a_GET_is_no_delivery_whatever_answers_it(int status)
    {
        await using var server = await Server.StartAsync(async context =>
        {
            if (context.Request.Path == "/api/track")
            {
                context.Response.StatusCode = status;
                context.Response.Headers.Location = "/v2/api/track";
                return;
            }

            await context.Response.WriteAsync("""{"success":true}""");
        });
        using var client = new HttpClient();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress }, client);

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(["/api/track", "/v2/api/track"], server.Requests.Select(r => r.Path));
        Assert.Empty(server.Requests[1].Body);
        Assert.Equal(SendOutcome.Failed, result.Outcome);
        var target = new Uri(server.BaseAddress, "/v2/api/track");
        Assert.Equal($"redirect to {target} followed by the HTTP handler as a GET without the body (answered 200; if the API is there, its base address is " +
            $"{new Uri(server.BaseAddress, "/v2")}): the events were not sent there; redirects are not to be followed (AllowAutoRedirect = false on the handler)", result.Message);
    }

    /// <summary>A 307 or 308 keeps the method and the body: what the target answers is the answer for the events, and a failure names it.</summary>
    [Theory]
    [InlineData(307, 200, SendOutcome.Delivered)]
    [InlineData(308, 401, SendOutcome.Unauthorized)]
    public async Task A_redirect_that_a_callers_handler_follows_with_the_body_counts_the_targets_answer(int status, int answer, SendOutcome outcome)
    {
        await using var server = await Server.StartAsync(async context =>
        {
            if (context.Request.Path == "/api/track")
            {
                context.Response.StatusCode = status;
                context.Response.Headers.Location = "/moved";
                return;
            }

            context.Response.StatusCode = answer;
            await context.Response.WriteAsync(answer == 200 ? """{"success":true}""" : """{"message":"no token"}""");
        });
        using var client = new HttpClient();
        var options = new HttpTransportOptions { BaseAddress = server.BaseAddress, Authentication = HttpAuthentication.ThriveStack("test-track-token", null) };
        using var transport = new HttpTransport(options, client);
        var batch = OneEvent();

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(["/api/track", "/moved"], server.Requests.Select(r => r.Path));
        Assert.Equal(batch.Body.ToArray(), server.Requests[1].Body);
        Assert.Equal(outcome, result.Outcome);
        if (outcome != SendOutcome.Delivered)
            Assert.Equal($"no token (answered by {new Uri(server.BaseAddress, "/moved")}, to which the HTTP handler followed a redirect)", result.Message);
    }

    [Fact]
    public void The_handler_the_transport_makes_times_connections_out_with_the_request_and_recycles_them()
    {
        // Also the primary handler of the hosting package's named client.
        using var handler = HttpTransport.CreateHandler(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), handler.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
        Assert.Equal(TimeSpan.FromMinutes(1), handler.PooledConnectionIdleTimeout);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.True(handler.UseProxy);
        Assert.Equal(System.Net.DecompressionMethods.None, handler.AutomaticDecompression);

        using var unset = HttpTransport.CreateHandler(TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(30), unset.ConnectTimeout);
    }

    [Fact]
    public async Task A_wrapping_sdks_user_agent_is_trimmed_and_written_before_Sluices_own()
    {
        await using var server = await Server.StartAsync();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, UserAgent = "  my-sdk/1.2.0 (linux) " });

        await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Matches(@"^my-sdk/1\.2\.0 \(linux\) Sluice/\d+\.\d+\.\d+$", Assert.Single(server.Requests).Headers["User-Agent"]);
    }

    [Fact]
    public async Task Options_changed_after_the_transport_was_made_do_not_apply()
    {
        await using var server = await Server.StartAsync();
        var options = new HttpTransportOptions { BaseAddress = server.BaseAddress };
        options.Headers["X-Tenant"] = "acme";
        using var transport = new HttpTransport(options);
        options.Headers["X-Tenant"] = "other";
        options.Headers["X-Late"] = "1";
        options.Gzip = true;

        await transport.SendAsync(OneEvent(), CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("acme", request.Headers["X-Tenant"]);
        Assert.False(request.Headers.ContainsKey("X-Late"));
        Assert.False(request.Headers.ContainsKey("Content-Encoding"));
    }

    [Fact]
    public async Task The_first_Retry_After_header_of_a_reply_counts()
    {
        await using var server = await Server.StartAsync(context =>
        {
            context.Response.StatusCode = 503;
            context.Response.Headers.Append("Retry-After", "7");
            context.Response.Headers.Append("Retry-After", "9");
            return Task.CompletedTask;
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
        Assert.Equal("503: HTTP 503", result.Cause);
    }

    [Fact]
    public async Task A_Retry_After_date_is_measured_from_the_replys_Date_header_not_the_local_clock()
    {
        // The server's clock says the date is 2 minutes away; the local clock is years behind it.
        await using var server = await Server.StartAsync(context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.Append("Retry-After", DateTimeOffset.UtcNow.AddMinutes(2).ToString("r", CultureInfo.InvariantCulture));
            return Task.CompletedTask;
        });
        var behind = new FakeTimeProvider(new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, TimeProvider = behind });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.NotNull(result.RetryAfter);
        Assert.InRange(result.RetryAfter.Value, TimeSpan.FromSeconds(118), TimeSpan.FromSeconds(121));
    }

    [Fact]
    public async Task Only_the_first_16_KB_of_a_reply_are_read()
    {
        // A message past 16 KB is not seen: the reply is cut there, so it is quoted as the text it starts with.
        string reply = "{\"padding\":\"" + new string('x', 16 * 1024) + "\",\"message\":\"late\"}";
        await using var server = await Server.StartAsync(async context =>
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(reply);
        });
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.StartsWith("{\"padding\":\"xxx", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("late", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_2xx_saying_success_false_is_not_a_delivery_even_when_its_reply_runs_past_16_KB()
    {
        // Spec (ThriveStack track/page reply): "success | Bool | Indicates if the event was successfully tracked".
        // A reply is read up to 16 KB; the members before the cut must still count, or a long list of per-event
        // errors after "success": false turns a failure into a delivery.
        string reply = "{\"success\":false,\"message\":\"Failed to track the event(s)\",\"errors\":[" +
            string.Join(',', Enumerable.Range(0, 1_000).Select(i => $"\"event {i}: user_id is not a known user\"")) + "]}";
        Assert.True(reply.Length > 16 * 1024);
        var result = await SendAnswered200Async(reply);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal("200: the server answered 200 with success: false: Failed to track the event(s)", result.Cause);
    }

    [Fact]
    public async Task The_warnings_of_a_reply_running_past_16_KB_are_reported_up_to_the_cut()
    {
        // Spec (ThriveStack page reply): "warnings | Array | Warnings about the request status".
        string reply = "{\"success\":true,\"response_id\":\"r-1\",\"warnings\":[" +
            string.Join(',', Enumerable.Range(0, 1_000).Select(i => $"\"event {i}: page_url is not a URL\"")) + "]}";
        Assert.True(reply.Length > 16 * 1024);
        var result = await SendAnswered200Async(reply);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal("r-1", result.ResponseId);
        Assert.NotNull(result.Warnings);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"event {i}: page_url is not a URL"), result.Warnings); // at most 100 are kept
    }

    [Fact]
    public async Task A_disposed_transport_sends_nothing_more()
    {
        await using var server = await Server.StartAsync();
        var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });
        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(OneEvent(), CancellationToken.None)).Outcome);

        transport.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.SendAsync(OneEvent(), CancellationToken.None));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Disposing_the_transport_closes_its_kept_alive_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}") });
        var send = transport.SendAsync(OneEvent(), CancellationToken.None).AsTask();
        using var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var stream = connection.GetStream();
        await ReadRequestAsync(stream);
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"success\":true}"u8.ToArray());
        Assert.Equal(SendOutcome.Delivered, (await send.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);

        transport.Dispose();

        // The connection was kept alive for the next request; disposing closes it (the server reads its end).
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Len", false)]
    [InlineData("", false)]
    [InlineData("", true)]                                              // reset, not closed
    public async Task A_connection_closed_before_the_answer_is_a_retry_the_server_may_have_taken(string partialAnswer, bool reset)
    {
        // No status came: retried, and counted as possibly delivered (an unknown outcome, not lost) if a deadline comes first.
        var result = await AnswerPartlyAsync(partialAnswer, reset);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.True(result.MayHaveArrived, result.Failure.ToString());
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"succ")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"succ\r\n")]
    [InlineData("HTTP/1.1 202 Accepted\r\nContent-Length: 100\r\n\r\n")]
    public async Task A_2xx_whose_body_breaks_off_is_a_delivery_and_says_the_reply_was_cut(string partialAnswer)
    {
        // The status is the server's decision, and it kept the events: sent again, they would arrive twice.
        var result = await AnswerPartlyAsync(partialAnswer, reset: false);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Contains(result.Warnings ?? [], w => w.StartsWith("the reply's body could not be read to its end: ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"success\":false,\"mess", 200, false)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n{\"mess", 503, false)]
    [InlineData("HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 100\r\n\r\n<html>", 504, true)]
    [InlineData("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 100\r\n\r\n<html>", 502, true)]
    public async Task A_failure_whose_body_breaks_off_is_the_failure_its_status_and_what_came_of_the_body_say(string partialAnswer, int status, bool mayHaveArrived)
    {
        var result = await AnswerPartlyAsync(partialAnswer, reset: false);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(mayHaveArrived, result.MayHaveArrived);
    }

    /// <summary>A send answered with <paramref name="partialAnswer"/>, then the connection closed (or reset).</summary>
    private static async Task<SendResult> AnswerPartlyAsync(string partialAnswer, bool reset)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}") });
        var send = transport.SendAsync(OneEvent(), CancellationToken.None).AsTask();
        using (var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30)))
        {
            var stream = connection.GetStream();
            await ReadRequestAsync(stream);
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(partialAnswer));
            if (reset)
                connection.Client.LingerState = new LingerOption(true, 0);
        }

        return await send.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Missing_arguments_are_refused_at_once_with_their_names()
    {
        var options = new HttpTransportOptions { BaseAddress = new Uri("http://127.0.0.1:9") };
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new HttpTransport(null!)).ParamName);
        Assert.Equal("client", Assert.Throws<ArgumentNullException>(() => new HttpTransport(options, (HttpClient)null!)).ParamName);
        Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => new HttpTransport(options, (HttpMessageHandler)null!)).ParamName);
        using var transport = new HttpTransport(options);
        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => transport.Authentication = null!).ParamName);
        Assert.Equal("endpointPath", Assert.ThrowsAny<ArgumentException>(() => transport.EndpointFor("")).ParamName);
        Assert.Equal("batch", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await transport.SendAsync(null!, CancellationToken.None))).ParamName);
    }

    /// <summary>Reads one request with a Content-Length body off a raw connection.</summary>
    private static async Task ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
            received.AddRange(buffer.AsSpan(0, await stream.ReadAsync(buffer)).ToArray());
        string headers = System.Text.Encoding.ASCII.GetString([.. received], 0, headerEnd);
        int length = int.Parse(headers.Split("\r\n").First(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))["Content-Length:".Length..], CultureInfo.InvariantCulture);
        while (received.Count < headerEnd + 4 + length)
            received.AddRange(buffer.AsSpan(0, await stream.ReadAsync(buffer)).ToArray());
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> value) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(value);

    /// <summary>One event sent to a server that answers 200 with <paramref name="reply"/>.</summary>
    private static async Task<SendResult> SendAnswered200Async(string reply)
    {
        await using var server = await Server.StartAsync(context => context.Response.WriteAsync(reply));
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress });
        return await transport.SendAsync(OneEvent(), CancellationToken.None);
    }

    private static byte[] Inflate(byte[] gzip)
    {
        using var inflated = new MemoryStream();
        using (var zip = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress))
            zip.CopyTo(inflated);
        return inflated.ToArray();
    }

    private static byte[] Compress(string coding, byte[] body)
    {
        coding = coding.Replace(", identity", "", StringComparison.Ordinal);
        using var compressed = new MemoryStream();
        using (Stream zip = coding switch
        {
            "gzip" or "x-gzip" => new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true),
            _ => new BrotliStream(compressed, CompressionLevel.Optimal, leaveOpen: true),
        })
        {
            zip.Write(body);
        }

        return compressed.ToArray();
    }

    private static Batch OneEvent() => TestBatches.Seal(TestBatches.Memory(), [TrackEvent]);

    /// <summary>Over 64 KB: a body of several pooled blocks.</summary>
    private static Batch LargeBatch()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), [.. Enumerable.Range(0, 2_000).Select(i => TrackEvent.Replace("u1", $"user-{i:D5}", StringComparison.Ordinal))]);
        Assert.False(batch.Body.IsSingleSegment, "the test needs a body over several blocks");
        return batch;
    }

    private sealed record Request(string Path, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>Records every request (path, headers, raw body) and answers with <c>answer</c> (by default 200 <c>{"success":true}</c>).</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Request> _requests = new();
        private WebApplication _app = null!;

        public Uri BaseAddress { get; private set; } = null!;

        public IReadOnlyList<Request> Requests => [.. _requests];

        public static async Task<Server> StartAsync(RequestDelegate? answer = null)
        {
            var server = new Server();
            answer ??= context => context.Response.WriteAsync("""{"success":true}""");
            (server._app, server.BaseAddress) = await LoopbackKestrel.StartAsync(async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                server._requests.Enqueue(new Request(context.Request.Path, headers, body.ToArray()));
                await answer(context);
            });
            return server;
        }

        public ValueTask DisposeAsync() => LoopbackKestrel.StopAsync(_app);
    }
}
