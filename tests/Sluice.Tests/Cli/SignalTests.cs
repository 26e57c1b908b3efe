using System.Text.Json;
using Sluice.Cli;
using Sluice.Collector;
using Sluice.Tests.Support;

namespace Sluice.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM sent to a real <c>sluice send</c> process mid-send, against a slow collector on
/// 127.0.0.1 (each request held before it is handled). The reading is held back by the full queue,
/// so a signal arrives while there are lines still unread.
/// </summary>
public sealed class SignalTests : IAsyncLifetime, IDisposable
{
    private const int Lines = 100_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-signal-test-" + Guid.NewGuid().ToString("N"));
    private ReferenceCollector _collector = null!;
    private string _input = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _input = Path.Combine(_dir, "events.ndjson");
        await File.WriteAllLinesAsync(_input, Enumerable.Range(0, Lines).Select(i => $$$"""{"user_id":"u-{{{i % 7}}}","event_name":"e","properties":{"seq":{{{i}}}}}"""));
        _collector = await ReferenceCollector.StartAsync();
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SigintFact]
    public async Task SIGINT_stops_the_reading_delivers_what_was_accepted_prints_the_summary_and_exits_130()
    {
        _collector.Faults.DelayNext(Lines, TimeSpan.FromMilliseconds(20));
        using var sluice = Send("--json", "--stop-timeout", "1m"); // time enough for the backlog on a busy machine
        await ReceivedRequestsAsync(3);

        sluice.Signal("INT");
        int exit = await sluice.WaitForExitAsync(Bound);

        Assert.True(exit == 130, sluice.Stderr + sluice.Stdout);
        using var summary = JsonDocument.Parse(sluice.Stdout);
        var lines = summary.RootElement.GetProperty("lines");
        var events = summary.RootElement.GetProperty("events");
        long read = lines.GetProperty("read").GetInt64(), accepted = events.GetProperty("accepted").GetInt64();
        Assert.InRange(read, 1, Lines - 1); // stopped reading
        Assert.False(lines.GetProperty("completed").GetBoolean());
        Assert.Equal(read, accepted);
        Assert.Equal(accepted, events.GetProperty("delivered").GetInt64()); // everything accepted before the signal was delivered
        Assert.Equal(0, events.GetProperty("in_flight").GetInt64());
        Assert.Equal("SIGINT", summary.RootElement.GetProperty("stopped_by").GetString());
        Assert.Equal(read, summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
        Assert.Equal(Enumerable.Range(0, (int)accepted), ReceivedSeqs().Order());
        Assert.Contains($"sluice: SIGINT: reading stopped after line {read:N0}; delivering what was accepted for up to 1m", sluice.Stderr, StringComparison.Ordinal);

        // Standard error is not a terminal here: no progress line.
        Assert.DoesNotContain("\r", sluice.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("events/s", sluice.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIGTERM_delivers_within_the_stop_timeout_counts_the_rest_and_exits_143()
    {
        _collector.Faults.DelayNext(Lines, TimeSpan.FromMilliseconds(400));
        using var sluice = Send("--json", "--stop-timeout", "1s");
        await ReceivedRequestsAsync(1);

        sluice.Signal("TERM");
        int exit = await sluice.WaitForExitAsync(Bound);

        Assert.True(exit == 143, sluice.Stderr + sluice.Stdout);
        using var summary = JsonDocument.Parse(sluice.Stdout);
        var events = summary.RootElement.GetProperty("events");
        long accepted = events.GetProperty("accepted").GetInt64(), delivered = events.GetProperty("delivered").GetInt64(), lost = events.GetProperty("lost_at_shutdown").GetInt64();
        long unknown = events.GetProperty("outcome_unknown").GetInt64();
        Assert.True(lost + unknown > 0, "the stop timeout is too short for the backlog");
        Assert.Equal(accepted, delivered + unknown + lost); // every accepted event is counted
        Assert.Equal(0, events.GetProperty("in_flight").GetInt64());
        Assert.InRange(ReceivedSeqs().Count, (int)delivered, (int)(delivered + unknown)); // lost events never reached the server
        Assert.Equal("SIGTERM", summary.RootElement.GetProperty("stopped_by").GetString());
        Assert.Contains($"sluice: {lost + unknown:N0} accepted events were not delivered", sluice.Stderr, StringComparison.Ordinal);
    }

    [SigintFact]
    public async Task A_second_signal_stops_at_once_and_still_prints_what_is_known()
    {
        _collector.Faults.DelayNext(Lines, TimeSpan.FromSeconds(30));
        using var sluice = Send("--stop-timeout", "1h");
        await Support.Eventually.True(() => _collector.Faults.Pending < Lines, "a request reached the collector", 30_000);

        sluice.Signal("INT");
        await sluice.WaitForStderrAsync("reading stopped after line", Bound);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        sluice.Signal("INT");
        int exit = await sluice.WaitForExitAsync(Bound);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"exited {clock.Elapsed} after the second signal");
        Assert.Equal(130, exit);
        Assert.Contains("aborted by a second signal after SIGINT", sluice.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"in flight\s+[1-9]", sluice.Stdout);
        Assert.Contains("unsettled when sending was aborted", sluice.Stderr, StringComparison.Ordinal);
    }

    [SigintFact]
    public async Task A_rerun_with_the_reported_skip_lines_sends_the_rest_and_nothing_twice()
    {
        _collector.Faults.DelayNext(Lines, TimeSpan.FromMilliseconds(20));
        using (var first = Send("--stop-timeout", "1m"))
        {
            await ReceivedRequestsAsync(3);
            first.Signal("INT");
            Assert.Equal(130, await first.WaitForExitAsync(Bound));
            var resume = System.Text.RegularExpressions.Regex.Match(first.Stdout, @"resume: rerun with --skip-lines (\d+): every event of lines 1-[\d,]+ is settled for good");
            Assert.True(resume.Success, first.Stdout);
            long skip = long.Parse(resume.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(skip, 1, Lines - 1);

            using var second = Send("--skip-lines", resume.Groups[1].Value);
            Assert.True(await second.WaitForExitAsync(Bound) == 0, second.Stderr + second.Stdout);
            Assert.Contains($"skipped {skip:N0}", second.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(Enumerable.Range(0, Lines), ReceivedSeqs().Order()); // every line once
    }

    [Fact]
    public async Task A_second_signal_with_a_spool_resumes_after_what_the_spool_holds_so_the_rerun_on_it_sends_every_line_once()
    {
        // Every request held: the batches being sent, and those waiting, are in the spool and unsettled when the second signal
        // stops the send at once. The next run on the spool sends them: the resume point must not make it read their lines again
        // (it did: every line arrived twice).
        _collector.Faults.DelayNext(Lines, TimeSpan.FromSeconds(30));
        string spool = Path.Combine(_dir, "spool");
        using (var first = Send("--json", "--spool", spool, "--stop-timeout", "1h"))
        {
            await Support.Eventually.True(() => _collector.Faults.Pending < Lines, "a request reached the collector", 30_000);
            first.Signal("TERM");
            await first.WaitForStderrAsync("reading stopped after line", Bound);
            first.Signal("TERM");
            Assert.True(await first.WaitForExitAsync(Bound) == 143, first.Stderr + first.Stdout);

            using var summary = JsonDocument.Parse(first.Stdout);
            Assert.True(summary.RootElement.GetProperty("aborted").GetBoolean());
            Assert.True(summary.RootElement.GetProperty("events").GetProperty("in_flight").GetInt64() > 0, first.Stdout);
            string skip = summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

            _collector.Faults.Reset();
            using var second = Send("--json", "--spool", spool, "--skip-lines", skip);
            Assert.True(await second.WaitForExitAsync(Bound) == 0, second.Stderr + second.Stdout);
        }

        var seqs = ReceivedSeqs();
        Assert.Equal(Enumerable.Range(0, Lines), seqs.Distinct().Order()); // none lost
        Assert.InRange(seqs.Count - Lines, 0, 1_000); // none read again, but for the batch being written to the spool at the second signal, if one was
    }

    [Fact]
    public async Task A_send_with_a_spool_killed_outright_leaves_the_line_to_resume_after_and_the_next_run_says_it()
    {
        // Killed with no summary: the spool holds the batches sealed so far, and sluice-send.resume the line up to which every
        // event is delivered or in the spool. The next run on the spool sends those first and says the line; resumed after it,
        // every line arrives, each once but for the batch being written to the spool at the kill, if one was.
        _collector.Faults.DelayNext(Lines, TimeSpan.FromSeconds(30));
        string spool = Path.Combine(_dir, "spool");
        long line;
        using (var first = Send("--spool", spool))
        {
            await Support.Eventually.True(() => _collector.Faults.Pending < Lines && ResumeFile.Left(spool) is { Line: > 0 }, "a batch in the spool and in flight", 30_000);
            first.Kill();
            await first.WaitForExitAsync(Bound);
            (line, string input) = ResumeFile.Left(spool)!.Value;
            Assert.Equal(_input, input);
            Assert.InRange(line, 1, Lines - 1);
        }

        _collector.Faults.Reset();
        using (var second = Send("--spool", spool, "--skip-lines", line.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            Assert.True(await second.WaitForExitAsync(Bound) == 0, second.Stderr + second.Stdout);
            Assert.Contains($"sluice: the last send on {spool} ended without its summary (killed, or the machine stopped): every event of lines 1-{line:N0} of {_input} " +
                $"was settled or is in the spool, which this run sends first; to go on with that input, run it with --skip-lines {line}.", second.Stderr, StringComparison.Ordinal);
        }

        Assert.Null(ResumeFile.Left(spool)); // the summary said it
        var seqs = ReceivedSeqs();
        Assert.Equal(Enumerable.Range(0, Lines), seqs.Distinct().Order()); // none lost
        Assert.InRange(seqs.Count - Lines, 0, 1_000); // at most the batch written as it was killed, twice
    }

    private SluiceProcess Send(params string[] more) => SluiceProcess.Start(
        ["send", "-i", _input, "-e", _collector.BaseAddress.AbsoluteUri, "--token", "test-track-token", "--api-key", "test-page-key", .. more]);

    private Task ReceivedRequestsAsync(int count) =>
        Support.Eventually.True(() => _collector.Received(CollectorApi.ThriveStackTrack).RequestCount >= count, $"{count} requests received", 30_000);

    private List<int> ReceivedSeqs() =>
        [.. _collector.Received(CollectorApi.ThriveStackTrack).Events.Select(e => e.GetProperty("properties").GetProperty("seq").GetInt32())];
}
