using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Sluice.Batching;
using Sluice.Collector;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>Each way a request can fail at real sockets says why in words a person understands, and whether the server may have the events.</summary>
public class FailureCauseTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task A_port_nobody_listens_on_is_connection_refused_and_nothing_was_sent()
    {
        int port = ClosedPort();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}") });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(SendFailure.ConnectionRefused, result.Failure);
        Assert.Equal($"connection refused by 127.0.0.1:{port}: nothing listens there (http://127.0.0.1:{port}/api/track)", result.Message);
        Assert.False(result.MayHaveArrived);
    }

    [Fact]
    public async Task A_host_name_that_does_not_resolve_is_name_not_resolved()
    {
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri("http://sluice-test.invalid") });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendFailure.NameNotResolved, result.Failure);
        Assert.StartsWith("name not resolved: sluice-test.invalid (", result.Message, StringComparison.Ordinal);
        Assert.False(result.MayHaveArrived);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(300)] // beyond HttpClient's 100 s default: the transport's own client must not cut the attempt at 100 s
    public async Task A_server_that_never_answers_times_out_after_the_request_timeout_even_one_beyond_HttpClients_100_s_default(int seconds)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var clock = new FakeTimeProvider();
        var timeout = TimeSpan.FromSeconds(seconds);
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            RequestTimeout = timeout,
            TimeProvider = clock,
        });

        var send = transport.SendAsync(OneEvent(), CancellationToken.None).AsTask();
        using var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await ReadUntilAsync(connection.GetStream(), "signed_up"); // the request's body arrived; it is never answered
        Assert.False(send.IsCompleted);
        clock.Advance(timeout);
        var result = await send.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(SendFailure.Timeout, result.Failure);
        Assert.Equal($"timed out after {seconds} s without an answer from http://127.0.0.1:{port}/api/track", result.Message);
        Assert.True(result.MayHaveArrived); // the request went out: the server may have processed it
    }

    [Fact]
    public async Task A_request_that_got_no_connection_before_its_timeout_sent_nothing()
    {
        // A host whose connections are never accepted (here: a full accept queue, whose SYNs the kernel drops, as a
        // firewall dropping them does): the attempt times out, but the server cannot have the events.
        using var unreachable = new UnreachablePort();
        var clock = new FakeTimeProvider();
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{unreachable.Port}"),
            RequestTimeout = TimeSpan.FromSeconds(7),
            TimeProvider = clock,
        });

        var send = transport.SendAsync(OneEvent(), CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(7));
        var result = await send.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal(SendFailure.ConnectionFailed, result.Failure);
        Assert.Equal($"no connection to 127.0.0.1:{unreachable.Port} within 7 s: nothing was sent (http://127.0.0.1:{unreachable.Port}/api/track)", result.Message);
        Assert.False(result.MayHaveArrived);
    }

    [Fact]
    public async Task At_the_deadline_a_request_still_waiting_for_a_connection_leaves_its_events_lost_not_of_unknown_outcome()
    {
        using var unreachable = new UnreachablePort();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{unreachable.Port}"), RequestTimeout = TimeSpan.FromMinutes(10) });
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 1, FlushInterval = TimeSpan.FromDays(1),
            ShutdownTimeout = TimeSpan.FromSeconds(3), OnDiagnostic = diagnostics.Enqueue,
        }, transport);
        for (int i = 0; i < 10; i++)
            engine.Track($"u-{i}", "e");

        var shutdown = engine.ShutdownAsync(); // seals the batch; its send waits for a connection
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(3)), "the shutdown deadline");
        clock.Advance(TimeSpan.FromSeconds(3));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((10, 0), (result.LostAtShutdown, result.OutcomeUnknown));
        Assert.Equal(0, result.Counters.Retries);
        Assert.Contains($"no connection to 127.0.0.1:{unreachable.Port} before the shutdown deadline: nothing was sent",
            Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.ShutdownLoss).Message, StringComparison.Ordinal);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task A_callers_client_with_a_shorter_timeout_ends_the_attempt_and_the_message_names_its_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}"), RequestTimeout = TimeSpan.FromMinutes(1) }, client);

        var send = transport.SendAsync(OneEvent(), CancellationToken.None).AsTask();
        using var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30)); // accepted, never answered
        var result = await send.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SendFailure.Timeout, result.Failure);
        Assert.Equal($"timed out after 0.3 s without an answer from http://127.0.0.1:{port}/api/track", result.Message);
    }

    [Fact]
    public async Task TLS_to_a_server_that_does_not_speak_it_is_a_TLS_failure()
    {
        await using var collector = await ReferenceCollector.StartAsync(); // plain HTTP
        var address = new UriBuilder(collector.BaseAddress) { Scheme = "https" }.Uri;
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = address });

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendFailure.SecureConnection, result.Failure);
        Assert.StartsWith($"TLS failure with 127.0.0.1:{address.Port}: ", result.Message, StringComparison.Ordinal);
        Assert.False(result.MayHaveArrived);
    }

    [Fact]
    public async Task A_connection_dropped_without_an_answer_is_broken_and_may_have_delivered()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DropNext(1);
        using var transport = Transport(collector);

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendFailure.ConnectionLost, result.Failure);
        Assert.StartsWith($"the connection to 127.0.0.1:{collector.BaseAddress.Port} ", result.Message, StringComparison.Ordinal);
        Assert.True(result.MayHaveArrived);
    }

    [Fact]
    public async Task A_413_page_from_a_proxy_is_quoted_as_its_text_not_its_HTML()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.SetProxyBodyLimit(10);
        using var transport = Transport(collector);

        var result = await transport.SendAsync(OneEvent(), CancellationToken.None);

        Assert.Equal(SendOutcome.TooLarge, result.Outcome);
        Assert.Equal(SendFailure.ErrorStatus, result.Failure);
        Assert.Equal("413 Request Entity Too Large", result.Message);
        Assert.Equal("413 Request Entity Too Large", result.Cause);
    }

    [Fact]
    public async Task At_the_deadline_events_that_met_only_refused_connections_are_lost_and_the_message_says_connection_refused()
    {
        // What a user of `sluice send` against a dead port sees when the deadline passes.
        int port = ClosedPort();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        var clock = new ManualTimeProvider();
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 1, FlushInterval = TimeSpan.FromDays(1),
            RetryBaseDelay = TimeSpan.FromHours(1), RetryMaxDelay = TimeSpan.FromHours(1), RetryBudget = TimeSpan.FromDays(1), JitterRandom = new FixedRandom(0.5),
            ShutdownTimeout = TimeSpan.FromSeconds(3), OnDiagnostic = diagnostics.Enqueue,
        }, transport);
        for (int i = 0; i < 25; i++)
            engine.Track($"u-{i}", "e");
        _ = engine.FlushAsync(); // seals the batches; it completes only when they are settled
        await Eventually.True(() => diagnostics.Any(d => d.Kind == DiagnosticKind.SendFailed), "the first refused attempt");

        // Each retry would come after the deadline: each batch is written off at once, the next one then tried, and the clock never moves.
        var result = await engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(25, result.LostAtShutdown);
        Assert.Equal(0, result.OutcomeUnknown); // nothing was ever sent
        string refused = $"connection refused by 127.0.0.1:{port}";
        var attempt = diagnostics.First(d => d.Kind == DiagnosticKind.SendFailed);
        Assert.Equal($"Attempt 1 to send batch 0 to /api/track (10 events) failed: {refused}: nothing listens there (http://127.0.0.1:{port}/api/track). Retrying in 1800000 ms.", attempt.Message);
        var losses = diagnostics.Where(d => d.Kind == DiagnosticKind.ShutdownLoss).ToList();
        Assert.Equal(25, losses.Sum(d => d.EventCount));
        Assert.All(losses, d => Assert.Contains(refused, d.Message, StringComparison.Ordinal));
        Assert.Contains(losses, d => d.Message.StartsWith("10 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): the last attempt failed: " + refused, StringComparison.Ordinal));
        Assert.Contains(losses, d => d.Message.StartsWith("10 event(s) of batch 1 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): the last attempt failed: " + refused, StringComparison.Ordinal));
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task Expiry_names_the_last_cause()
    {
        int port = ClosedPort();
        using var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions { MaxSendAttempts = 1, OnDiagnostic = diagnostics.Enqueue }, transport);
        for (int i = 0; i < 3; i++)
            engine.Track($"u-{i}", "e");

        var result = await engine.ShutdownAsync();

        Assert.Equal(3, result.Counters.Expired);
        var expired = Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.BatchFailed);
        Assert.Equal($"Sending batch 0 to /api/track (3 events) expired (after 1 attempt); last failure: connection refused by 127.0.0.1:{port}: nothing listens there (http://127.0.0.1:{port}/api/track).", expired.Message);
        Assert.Equal(DiagnosticSeverity.Error, expired.Severity);
    }

    /// <summary>Reads from <paramref name="stream"/> until what came holds <paramref name="text"/>.</summary>
    private static async Task ReadUntilAsync(NetworkStream stream, string text)
    {
        var received = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains(text, StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(read > 0, $"The connection closed before \"{text}\" came.");
            received.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    /// <summary>A loopback port that was just free: bound, read, closed.</summary>
    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static Batch OneEvent() => TestBatches.Seal(TestBatches.Memory(), [TrackEvent]);

    private static HttpTransport Transport(ReferenceCollector collector) => new(new HttpTransportOptions
    {
        BaseAddress = collector.BaseAddress,
        Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, collector.Credentials.PageApiKey),
    });

    /// <summary>
    /// A loopback port that listens but whose accept queue is full: the kernel drops new connections' SYNs, so a
    /// connection to it is never made (until the queue has room, which it never gets: nothing accepts).
    /// </summary>
    private sealed class UnreachablePort : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Socket> _queued = [];

        public UnreachablePort()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            // Fill the queue: connect until one connection is not made within a second (it is then the first one dropped).
            for (int i = 0; i < 64; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                _queued.Add(socket);
                if (!socket.ConnectAsync(_listener.LocalEndPoint!).Wait(TimeSpan.FromSeconds(1)))
                    return;
            }

            throw new InvalidOperationException("The accept queue never filled up.");
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public void Dispose()
        {
            foreach (var socket in _queued)
                socket.Dispose();
            _listener.Dispose();
        }
    }
}
