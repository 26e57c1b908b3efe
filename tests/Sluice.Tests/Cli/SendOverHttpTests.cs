using Sluice.Collector;

namespace Sluice.Tests.Cli;

/// <summary><c>sluice send --endpoint</c> against the reference collector on 127.0.0.1.</summary>
public sealed class SendOverHttpTests : IAsyncLifetime, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-cli-http-" + Guid.NewGuid().ToString("N"));
    private ReferenceCollector _collector = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _collector = await ReferenceCollector.StartAsync();
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string, string[], CollectorApi[]> Formats => new()
    {
        { "thrivestack", ["--token", "test-track-token", "--api-key", "test-page-key"], [CollectorApi.ThriveStackTrack, CollectorApi.ThriveStackPage] },
        { "segment", ["--write-key", "test-write-key"], [CollectorApi.Segment] },
        { "primedata", ["--client-id", "test-client-id", "--client-access-token", "test-access-token"], [CollectorApi.PrimeData] },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_line_is_delivered_to_the_API_of_the_chosen_format(string format, string[] credentials, CollectorApi[] apis)
    {
        string input = await WriteEventsAsync(3_000);
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, "--format", format, "--endpoint", _collector.BaseAddress.AbsoluteUri, .. credentials]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("3,000 events delivered", stdout, StringComparison.Ordinal);
        Assert.Equal(3_000, apis.Sum(api => _collector.Received(api).EventCount));
        Assert.Equal(Enumerable.Range(0, 3_000), apis.SelectMany(api => _collector.Received(api).Events)
            .Select(e => e.GetProperty("properties").GetProperty("seq").GetInt32()).Order());
    }

    [Fact]
    public async Task Credentials_come_from_environment_variables_when_no_option_gives_them()
    {
        string input = await WriteEventsAsync(10);
        var environment = new Dictionary<string, string>
        {
            ["SLUICE_CLIENT_ID"] = "test-client-id",
            ["SLUICE_CLIENT_ACCESS_TOKEN"] = "test-access-token",
        };
        var (exit, _, stderr) = await RunAsync(["send", "--input", input, "--format", "primedata", "--endpoint", _collector.BaseAddress.AbsoluteUri, "--gzip"], environment);

        Assert.True(exit == 0, stderr);
        Assert.Equal(10, _collector.Received(CollectorApi.PrimeData).EventCount);
        Assert.All(_collector.Received(CollectorApi.PrimeData).Requests, r => Assert.True(r.Gzip));
    }

    public static TheoryData<string, string[], CollectorApi[]> RefusedCredentials => new()
    {
        { "thrivestack", ["--token", "wrong", "--api-key", "wrong"], [CollectorApi.ThriveStackTrack, CollectorApi.ThriveStackPage] }, // both endpoints refuse
        { "segment", ["--write-key", "wrong"], [CollectorApi.Segment] },
    };

    [Theory]
    [MemberData(nameof(RefusedCredentials))]
    public async Task Credentials_every_endpoint_refuses_stop_the_send_at_once_with_exit_77_saying_why_and_how_many_were_lost(string format, string[] credentials,
        CollectorApi[] apis)
    {
        // Nothing can be delivered with them: the send waited out its whole --stop-timeout for a probe a minute away.
        string input = await WriteEventsAsync(500);
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, "--format", format, "--endpoint", _collector.BaseAddress.AbsoluteUri,
            .. credentials, "--stop-timeout", "1h"]).WaitAsync(RefusedBound);

        Assert.True(exit == 77, stderr);
        Assert.Contains("is paused: the server refused the credentials (401", stderr, StringComparison.Ordinal);
        Assert.Contains("sluice: the server refused the credentials: ", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing can be delivered with these credentials, so sending stops now: what was not delivered is lost (safe to send again).", stderr, StringComparison.Ordinal);
        Assert.Contains("500 accepted events were not delivered", stderr, StringComparison.Ordinal);
        Assert.Contains("500 lost when sending stopped", stderr, StringComparison.Ordinal);
        Assert.Matches(@"lost at shutdown\s+500", stdout);
        Assert.All(apis, api => Assert.Equal(0, _collector.Received(api).EventCount));
        Assert.InRange(apis.Sum(api => _collector.Received(api).RequestCount), 1, new SluiceOptions().MaxConcurrentSends * apis.Length); // no retry
    }

    [Fact]
    public async Task Refused_credentials_with_a_spool_leave_every_accepted_event_in_it_and_spool_drain_stops_at_once_too()
    {
        // Ended at once, the send lost what its engine still held in memory (the queue, the open batch): the shutdown writes
        // that to the spool, which must come first.
        string input = await WriteEventsAsync(50_000);
        string spool = Path.Combine(_dir, "spool");
        string[] segment = ["--format", "segment", "--endpoint", _collector.BaseAddress.AbsoluteUri, "--write-key", "wrong", "--stop-timeout", "1h"];
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, .. segment, "--spool", spool, "--json"]).WaitAsync(RefusedBound);

        Assert.True(exit == 77, stderr);
        Assert.Contains("so sending stops now: what was not delivered stays in the spool.", stderr, StringComparison.Ordinal);
        long accepted;
        using (var summary = System.Text.Json.JsonDocument.Parse(stdout))
        {
            var events = summary.RootElement.GetProperty("events");
            accepted = events.GetProperty("accepted").GetInt64();
            Assert.True(events.GetProperty("lost_at_shutdown").GetInt64() == 0, stdout);
            Assert.Equal(accepted, summary.RootElement.GetProperty("in_spool").GetInt64());
        }

        var drain = await CliRun.RunAsync(["spool", "drain", spool, .. segment]).WaitAsync(RefusedBound);

        Assert.True(drain.Exit == 77, drain.ToString());
        Assert.Contains("nothing can be delivered with them, so what was not delivered stays in the spool.", drain.Stderr, StringComparison.Ordinal);
        Assert.Contains($"spool: {accepted:N0} events are still in", drain.Stdout, StringComparison.Ordinal);
        Assert.InRange(_collector.Received(CollectorApi.Segment).RequestCount, 1, 2 * new SluiceOptions().MaxConcurrentSends); // no retry
    }

    [Fact]
    public async Task An_endpoint_that_refuses_connections_is_exit_69_and_the_cause_is_shown()
    {
        int port = FreePort();
        string input = await WriteEventsAsync(20);
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, "--endpoint", $"http://127.0.0.1:{port}", "--token", "t", "--api-key", "k", "--retry-budget", "1s"]);

        Assert.True(exit == 69, stderr);
        Assert.Contains($"connection refused by 127.0.0.1:{port}", stderr, StringComparison.Ordinal);
        Assert.Contains("its retry budget of 00:00:01 would be exceeded", stderr, StringComparison.Ordinal); // --retry-budget is the engine's RetryBudget
        Assert.Matches(@"expired\s+20", stdout);
        Assert.Contains("resume: rerun from the start (--skip-lines 0)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_drain_timeout_bounds_the_wait_after_the_input_ends()
    {
        _collector.Faults.DelayNext(100, TimeSpan.FromSeconds(30));
        string input = await WriteEventsAsync(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, "--endpoint", _collector.BaseAddress.AbsoluteUri, "--token", "test-track-token",
            "--api-key", "test-page-key", "--drain-timeout", "300ms", "--stop-timeout", "0s"]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal(69, exit); // nothing was delivered
        Assert.Contains("sluice: the drain timeout (300ms) passed: delivering what was accepted for up to 0s more", stderr, StringComparison.Ordinal);
        // The request was sent and never answered: the server may have the events.
        Assert.Matches(@"outcome unknown\s+20", stdout);
    }

    [Fact]
    public async Task The_stop_timeout_counts_from_the_signal_even_when_the_reading_does_not_return_at_once()
    {
        // Standard input from a terminal or a pipe: a read that does not end when cancelled. The send gives the reading a second
        // to return, and then gave the delivery the whole --stop-timeout on top of it: 3s took 4.
        _collector.Faults.DelayNext(100, TimeSpan.FromSeconds(30)); // what is accepted cannot be delivered before the deadline
        string lines = string.Concat(Enumerable.Range(0, 10).Select(i => $$$"""{"user_id":"u","event_name":"e","properties":{"seq":{{{i}}}}}""" + "\n"));
        var input = new StuckAfter(System.Text.Encoding.UTF8.GetBytes(lines));
        using var interrupts = new Sluice.Cli.Interrupts();
        var run = CliRun.RunAsync(["send", "--input", "-", "--endpoint", _collector.BaseAddress.AbsoluteUri, "--token", "test-track-token",
            "--api-key", "test-page-key", "--stop-timeout", "3s"], input, interrupts: interrupts);
        await input.Stuck.WaitAsync(TimeSpan.FromSeconds(30)); // the lines were handed over, and the reading waits for more

        var clock = System.Diagnostics.Stopwatch.StartNew();
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Exit == 130, result.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3.8), $"stopped {clock.Elapsed} after the signal, with --stop-timeout 3s");
        Assert.Matches(@"accepted\s+10\b", result.Stdout);
    }

    /// <summary>A stream that returns <paramref name="bytes"/>, then waits forever on the next read, deaf to cancellation.</summary>
    private sealed class StuckAfter(byte[] bytes) : Stream
    {
        private readonly TaskCompletionSource _stuck = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        /// <summary>Completes when a read finds nothing more to return.</summary>
        public Task Stuck => _stuck.Task;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < bytes.Length)
            {
                int n = Math.Min(buffer.Length, bytes.Length - _position);
                bytes.AsMemory(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            _stuck.TrySetResult();
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task An_event_the_server_rejects_exits_non_zero_with_the_count_and_the_rest_delivered()
    {
        _collector.Faults.RejectEventsContaining("POISON");
        string input = await WriteEventsAsync(200, poisoned: 123);
        var (exit, _, stderr) = await RunAsync(["send", "--input", input, "--endpoint", _collector.BaseAddress.AbsoluteUri,
            "--token", "test-track-token", "--api-key", "test-page-key"]);

        Assert.Equal(1, exit);
        Assert.Contains("1 accepted event was not delivered: 1 rejected by the server", stderr, StringComparison.Ordinal);
        // Named by its input line (the 124th), not by a batch and index the user cannot see.
        Assert.Contains("sluice: line 124: rejected by the server: 400: ", stderr, StringComparison.Ordinal);
        Assert.Contains("it contains \"POISON\"", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("sent alone", stderr, StringComparison.Ordinal); // the engine's own message, by batch, is not repeated
        Assert.Equal(199, _collector.Received(CollectorApi.ThriveStackTrack).EventCount + _collector.Received(CollectorApi.ThriveStackPage).EventCount);
    }

    [Fact]
    public async Task The_resume_point_stops_just_before_the_first_line_whose_event_expired_though_later_lines_were_delivered()
    {
        // Every fourth line is a page, and the page API fails until the retry budget is spent: lines 1-3 (tracks) are
        // delivered, line 4 expired, later tracks delivered. The engine's per-event report says which line is first to resend.
        _collector.Faults.FailNext(10_000, 503, api: CollectorApi.ThriveStackPage, message: "page API down");
        string input = await WriteEventsAsync(400);
        var (exit, stdout, stderr) = await RunAsync(["send", "--input", input, "--endpoint", _collector.BaseAddress.AbsoluteUri,
            "--token", "test-track-token", "--api-key", "test-page-key", "--retry-budget", "500ms"]);

        Assert.True(exit != 0, stderr);
        Assert.Equal(300, _collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Matches(@"expired\s+100", stdout);
        Assert.Contains("resume: rerun with --skip-lines 3: every event of lines 1-3 is settled for good", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("segment", "--write-key (or SLUICE_WRITE_KEY)")]
    [InlineData("primedata", "--client-id (or SLUICE_CLIENT_ID)")]
    [InlineData("thrivestack", "--token (SLUICE_TOKEN) for track events and/or --api-key (SLUICE_API_KEY)")]
    public async Task Missing_credentials_are_a_usage_error_naming_the_option_and_the_variable(string format, string named)
    {
        string input = await WriteEventsAsync(1);
        var (exit, _, stderr) = await RunAsync(["send", "--input", input, "--format", format, "--endpoint", _collector.BaseAddress.AbsoluteUri]);

        Assert.Equal(2, exit);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.Equal(0, _collector.Received(CollectorApi.Segment).RequestCount);
    }

    [Fact]
    public async Task A_blank_credential_is_said_to_be_blank_naming_the_variable_or_option_that_holds_it()
    {
        // It read as missing ("needs --write-key (or SLUICE_WRITE_KEY)") while the variable was set.
        string input = await WriteEventsAsync(1);
        string[] send = ["send", "--input", input, "--format", "segment", "--endpoint", _collector.BaseAddress.AbsoluteUri];

        var fromVariable = await CliRun.RunAsync(send, new MemoryStream(), new Dictionary<string, string> { ["SLUICE_WRITE_KEY"] = " " });
        var fromOption = await CliRun.RunAsync([.. send, "--write-key", "\t"], new MemoryStream());

        Assert.Equal((2, 2), (fromVariable.Exit, fromOption.Exit));
        Assert.Equal("sluice: --format segment needs --write-key (or SLUICE_WRITE_KEY): it authenticates the batch API; SLUICE_WRITE_KEY is set but blank (whitespace only)." +
            Environment.NewLine, fromVariable.Stderr);
        Assert.Equal("sluice: --format segment needs --write-key (or SLUICE_WRITE_KEY): it authenticates the batch API; --write-key is blank (whitespace only)." +
            Environment.NewLine, fromOption.Stderr);
        Assert.Equal(0, _collector.Received(CollectorApi.Segment).RequestCount);
    }

    [Theory]
    [InlineData("--endpoint", "ftp://example.com", "--endpoint must be an absolute http or https address (was 'ftp://example.com').")]
    [InlineData("--endpoint", "http://user:secret@127.0.0.1:9", "--endpoint must not hold a user name or password: HttpClient does not send them; give the API's credentials as credentials (the options or environment variables of --format thrivestack).")] // HttpClient would not send them; the summary would print them
    [InlineData("--endpoint", "http://127.0.0.1:9/?tenant=7", "--endpoint must not have a query or fragment")] // each endpoint's path is appended to it
    [InlineData("--endpoint", "http://127.0.0.1:9/#x", "--endpoint must not have a query or fragment")]
    [InlineData("--out", "somewhere", "--out applies to file output only")]
    public async Task Bad_options_are_usage_errors(string option, string value, string message)
    {
        string input = await WriteEventsAsync(1);
        string[] endpoint = option == "--endpoint" ? [] : ["--endpoint", _collector.BaseAddress.AbsoluteUri];
        var (exit, _, stderr) = await RunAsync(["send", "--input", input, option, value, "--token", "t", .. endpoint]);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", stderr, StringComparison.Ordinal);
    }

    private async Task<string> WriteEventsAsync(int count, int poisoned = -1)
    {
        string path = Path.Combine(_dir, $"events-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, count).Select(i =>
        {
            string marker = i == poisoned ? ",\"marker\":\"POISON\"" : "";
            return i % 4 == 3
                ? $$$"""{"session_id":"s-{{{i}}}","name":"Home","timestamp":"2024-10-20T15:51:35.059000Z","properties":{"seq":{{{i}}}{{{marker}}}}}"""
                : $$$"""{"user_id":"u-{{{i % 7}}}","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z","properties":{"seq":{{{i}}}{{{marker}}}},"context":{"group_id":"g"}}""";
        }));
        return path;
    }

    /// <summary>How long a command refused its credentials with --stop-timeout 1h may take: it ends at once, well within it.</summary>
    private static readonly TimeSpan RefusedBound = TimeSpan.FromMinutes(1);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, Dictionary<string, string>? environment = null)
    {
        var run = await CliRun.RunAsync(args, new MemoryStream(), environment);
        return (run.Exit, run.Stdout, run.Stderr);
    }

    /// <summary>A loopback port nothing listens on (it was free a moment ago).</summary>
    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
