using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Cli;

/// <summary><c>sluice send --spool</c>, <c>sluice spool status</c> and <c>sluice spool drain</c> against a Kestrel server on 127.0.0.1 that can be down.</summary>
public sealed class SpoolCommandTests : IAsyncLifetime, IDisposable
{
    private const int Events = 2_500;

    private readonly TempDirectory _directory = new("sluice-cli-spool");
    private RecordingServer _server = null!;

    private string Spool => Path.Combine(_directory.Path, "spool");

    public async Task InitializeAsync() => _server = await RecordingServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _directory.Dispose();

    private string WriteEvents()
    {
        string input = Path.Combine(_directory.Path, "events.ndjson");
        File.WriteAllLines(input, Enumerable.Range(0, Events).Select(n => $$$"""{"user_id":"user-{{{n}}}","event_name":"spooled","properties":{"n":{{{n}}}}}"""));
        return input;
    }

    private string[] Segment => ["-f", "segment", "-e", _server.BaseAddress.AbsoluteUri, "--write-key", "key"];

    [Fact]
    public async Task What_a_down_server_did_not_take_stays_in_the_spool_the_summary_says_how_many_and_spool_drain_delivers_all_of_it()
    {
        _server.Down = true;
        var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "--json"]);

        Assert.True(send.Exit == ExitCodesUnavailable, send.ToString());
        using (var summary = JsonDocument.Parse(send.Stdout))
        {
            Assert.Equal(Events, summary.RootElement.GetProperty("events").GetProperty("spooled").GetInt64());
            Assert.Equal(0, summary.RootElement.GetProperty("events").GetProperty("expired").GetInt64());
            Assert.Equal(Path.GetFullPath(Spool), summary.RootElement.GetProperty("spool").GetString());
        }

        Assert.Contains($"{Events:N0} kept in the spool", send.Stderr, StringComparison.Ordinal);

        var status = await CliRun.RunAsync("spool", "status", Spool, "--json");
        Assert.True(status.Exit == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Stdout))
        {
            var root = json.RootElement;
            Assert.Equal(3, root.GetProperty("batches").GetInt64());
            Assert.Equal(Events, root.GetProperty("events").GetInt64());
            Assert.Equal(0, root.GetProperty("corrupt_records").GetInt64());
            Assert.False(root.GetProperty("in_use").GetBoolean());
            Assert.True(root.GetProperty("oldest_age_seconds").GetDouble() >= 0);
            Assert.StartsWith("Sluice.Serialization.SegmentFormat", root.GetProperty("formats")[0].GetString(), StringComparison.Ordinal);
        }

        _server.Down = false;
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment]);

        Assert.True(drain.Exit == 0, drain.ToString());
        Assert.Contains($"{Events:N0} of {Events:N0} spooled events delivered", drain.Stdout, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, Events).Select(n => (long)n), _server.Received.Order());

        var after = await CliRun.RunAsync("spool", "status", Spool);
        Assert.Contains(": 0 batches (0 events) waiting", after.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rerun_from_the_line_the_summary_gives_on_the_same_spool_delivers_every_event_exactly_once()
    {
        _server.Down = true;
        string input = WriteEvents();
        var first = await CliRun.RunAsync(["send", "-i", input, .. Segment, "--retry-budget", "0s", "--spool", Spool, "--json"]);

        Assert.True(first.Exit == ExitCodesUnavailable, first.ToString());
        long skip;
        using (var summary = JsonDocument.Parse(first.Stdout))
        {
            var resume = summary.RootElement.GetProperty("resume");
            skip = resume.GetProperty("skip_lines").GetInt64();
            Assert.Equal(Events, skip); // every line's event is in the spool: sending a line again would send it twice
            Assert.True(resume.GetProperty("nothing_to_resume").GetBoolean());
            Assert.Contains($"kept in the spool ({Events:N0} events", resume.GetProperty("meaning").GetString(), StringComparison.Ordinal);
        }

        _server.Down = false;
        var rerun = await CliRun.RunAsync(["send", "-i", input, .. Segment, "--skip-lines", $"{skip}", "--spool", Spool]);

        Assert.True(rerun.Exit == 0, rerun.ToString());
        Assert.Equal(Enumerable.Range(0, Events).Select(n => (long)n), _server.Received.Order());
    }

    /// <summary>A send while the server is down leaves 20,000 events (twenty batches) in the spool; then the server is back, but slow.</summary>
    private async Task SpoolTwentyBatchesThenSlowDownAsync()
    {
        _server.Down = true;
        string input = Path.Combine(_directory.Path, "many.ndjson");
        File.WriteAllLines(input, Enumerable.Range(0, 20_000).Select(n => $$$"""{"user_id":"user-{{{n}}}","event_name":"spooled","properties":{"n":{{{n}}}}}"""));
        var send = await CliRun.RunAsync(["send", "-i", input, .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        Assert.True(send.Exit == ExitCodesUnavailable, send.ToString());

        _server.Down = false;
        _server.Delay = TimeSpan.FromSeconds(1); // nothing is delivered before the stop
    }

    /// <summary>The events the spool holds, as <c>spool status --json</c> reads them: some, after a stop before the end.</summary>
    private async Task<long> EventsStillInSpoolAsync()
    {
        var status = await CliRun.RunAsync("spool", "status", Spool, "--json");
        using var json = JsonDocument.Parse(status.Stdout);
        long still = json.RootElement.GetProperty("events").GetInt64();
        Assert.True(still > 0, status.ToString());
        return still;
    }

    [Fact]
    public async Task Drain_says_where_a_killed_send_resumes_and_forgets_it_only_once_the_spool_is_empty()
    {
        // A send killed before its summary left its line to resume after, whose events are delivered or in the spool. A drain that
        // emptied the spool left the file, and the next send said that its events were in the spool, which it would send first.
        _server.Down = true;
        string input = WriteEvents();
        await CliRun.RunAsync(["send", "-i", input, .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        File.WriteAllBytes(Path.Combine(Spool, Sluice.Cli.ResumeFile.Name), Sluice.Cli.ResumeFile.Content(Events, input)); // as a kill would have left it
        string said = $"resume: the last send on {Path.GetFullPath(Spool)} ended without its summary (killed, or the machine stopped): every event of lines 1-{Events:N0} of {input} ";
        string resume = $"; to go on with that input, run send with --skip-lines {Events}.";

        var down = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--retry-budget", "0s"]);

        Assert.True(down.Exit == ExitCodesUnavailable, down.ToString());
        Assert.Contains(said + "was settled or is still in the spool (the next drain or send on it sends it)" + resume, down.Stdout, StringComparison.Ordinal);
        Assert.Equal((Events, input), Sluice.Cli.ResumeFile.Left(Spool)); // still true, and needed while the spool holds its events

        _server.Down = false;
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--json"]);

        await AssertSaysWhereToResumeAndForgetsItAsync(drain, input);
        Assert.Equal(Enumerable.Range(0, Events).Select(n => (long)n), _server.Received.Order());
    }

    [Fact]
    public async Task Drain_of_a_spool_with_no_segment_left_says_where_a_killed_send_resumes_and_forgets_it_as_when_it_empties_one()
    {
        // Every batch of the killed send was delivered and its segments gone: the drain said "nothing to send" and kept the file,
        // and the next send said the events of those lines were still in the spool.
        string input = WriteEvents();
        Directory.CreateDirectory(Spool);
        File.WriteAllBytes(Path.Combine(Spool, Sluice.Cli.ResumeFile.Name), Sluice.Cli.ResumeFile.Content(Events, input));

        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--json"]);

        await AssertSaysWhereToResumeAndForgetsItAsync(drain, input);
    }

    /// <summary>
    /// The drain said (--json) that every event of the killed send's lines is settled and where to go on, and deleted the resume
    /// file: the next send from there does not say them still in the spool.
    /// </summary>
    private async Task AssertSaysWhereToResumeAndForgetsItAsync(CliResult drain, string input)
    {
        Assert.True(drain.Exit == 0, drain.ToString());
        using (var json = JsonDocument.Parse(drain.Stdout))
        {
            var resume = json.RootElement.GetProperty("resume");
            Assert.Equal(Events, resume.GetProperty("skip_lines").GetInt64());
            Assert.Equal(input, resume.GetProperty("input").GetString());
            Assert.Contains("is settled now", resume.GetProperty("meaning").GetString(), StringComparison.Ordinal);
        }

        Assert.Null(Sluice.Cli.ResumeFile.Left(Spool));
        var next = await CliRun.RunAsync(["send", "-i", input, .. Segment, "--skip-lines", $"{Events}", "--spool", Spool]);
        Assert.True(next.Exit == 0, next.ToString());
        Assert.DoesNotContain("ended without its summary", next.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_resume_file_holds_an_input_whose_name_has_a_line_break_and_the_drain_says_it_on_one_line()
    {
        // Written as a line of its own, the name split the file into three lines, which read back as no resume file at all.
        string input = Path.Combine(_directory.Path, "two\nlines.ndjson");
        Directory.CreateDirectory(Spool);
        new Sluice.Cli.ResumeFile(Spool, input, () => 42).Update();

        Assert.Equal((42, input), Sluice.Cli.ResumeFile.Left(Spool));
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment]);

        Assert.True(drain.Exit == 0, drain.ToString());
        string said = Assert.Single(drain.Stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("resume: ", StringComparison.Ordinal));
        Assert.Contains($"every event of lines 1-42 of \"{input.Replace("\n", "\\n", StringComparison.Ordinal)}\" is settled now", said, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12\n/data/events.ndjson\n", "is damaged")] // or any other content sluice did not write
    [InlineData(null, "cannot be read: ")] // a directory in its place
    public async Task A_resume_file_that_cannot_be_read_back_is_one_line_naming_it_and_the_send_and_the_drain_go_on(string? content, string why)
    {
        string input = WriteEvents(), resume = Path.Combine(Spool, Sluice.Cli.ResumeFile.Name);
        Directory.CreateDirectory(Spool);
        if (content is null)
            Directory.CreateDirectory(resume);
        else
            File.WriteAllText(resume, content);

        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment]); // before the send, which replaces the file
        var send = await CliRun.RunAsync(["send", "-i", input, .. Segment, "--spool", Spool]);

        Assert.True(drain.Exit == 0, drain.ToString());
        Assert.True(send.Exit == 0, send.ToString());
        foreach (var (run, then) in new[] { (drain, "the drain leaves the file as it is."), (send, "this run replaces it.") })
        {
            string said = Assert.Single(run.Stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"sluice: {resume} {why}", said, StringComparison.Ordinal);
            Assert.EndsWith(": the line to resume the send that left it after is not known; " + then, said, StringComparison.Ordinal);
        }

        Assert.Equal(Events, _server.Received.Count);
    }

    [Fact]
    public async Task Drain_stopped_by_a_signal_says_how_many_events_are_still_in_the_spool_not_only_those_it_had_read_back()
    {
        // Twenty batches spooled. The drain reads them back as its senders make room: stopped at once, it has read a few, and its
        // summary said only those were still in the spool ("0 of 2,000 spooled events delivered", "2,000 events are still in").
        await SpoolTwentyBatchesThenSlowDownAsync();
        using var interrupts = new Sluice.Cli.Interrupts();
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT); // Ctrl+C as the drain starts
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--stop-timeout", "0s"], new MemoryStream(), interrupts: interrupts);

        Assert.True(drain.Exit == 130, drain.ToString());
        long still = await EventsStillInSpoolAsync();
        Assert.Contains($"spool: {still:N0} events are still in {Path.GetFullPath(Spool)} (not delivered before sending stopped", drain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("every batch that was there was delivered", drain.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_stopped_by_a_signal_says_that_a_second_one_stops_at_once_as_send_does()
    {
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        _server.Down = false;
        _server.Delay = TimeSpan.FromSeconds(1);
        using var interrupts = new Sluice.Cli.Interrupts();
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGTERM);

        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--stop-timeout", "0s"], new MemoryStream(), interrupts: interrupts);

        Assert.True(drain.Exit == 143, drain.ToString());
        Assert.Contains("sluice: SIGTERM: stopping; delivering what was read back for up to 0s (a second Ctrl+C or SIGTERM stops at once); " +
            "what is not delivered stays in the spool.", drain.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_stopped_while_it_sends_what_an_earlier_run_spooled_says_how_many_events_the_spool_still_holds()
    {
        // Twenty batches spooled by an earlier run. The next send on the spool reads them back as its senders make room: stopped
        // early, its summary counted only those it had read back as staying in the spool, and said nothing of the others.
        await SpoolTwentyBatchesThenSlowDownAsync();
        using var interrupts = new Sluice.Cli.Interrupts();
        var stderr = new LockedWriter();
        var send = CliRun.RunAsync(["send", "-i", "-", .. Segment, "--spool", Spool, "--stop-timeout", "0s"], new System.IO.Pipelines.Pipe().Reader.AsStream(),
            interrupts: interrupts, stderr: stderr);
        await Eventually.True(() => stderr.Text.Contains("left by an earlier run", StringComparison.Ordinal), "the replay started", 30_000);
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);
        var run = await send.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(run.Exit == 130, run.ToString());
        long still = await EventsStillInSpoolAsync();
        Assert.Contains($"spool: {still:N0} events stayed in {Path.GetFullPath(Spool)}", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_shows_its_progress_on_a_terminal_as_send_does()
    {
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);

        _server.Down = false;
        _server.Delay = TimeSpan.FromSeconds(1); // three batches, two at a time: the drain takes two seconds
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment], new MemoryStream(), terminal: true);

        Assert.True(drain.Exit == 0, drain.ToString());
        Assert.Contains("\rread back ", drain.Stderr, StringComparison.Ordinal);
        Assert.Contains(" events/s", drain.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{Events:N0} of {Events:N0} spooled events delivered", drain.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_of_a_directory_that_holds_no_spool_sends_nothing_and_creates_nothing_in_it()
    {
        // A mistyped path (~, .) must not get a lock file and a segment file.
        string elsewhere = Directory.CreateDirectory(Path.Combine(_directory.Path, "documents")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "notes.txt"), "mine");

        var run = await CliRun.RunAsync(["spool", "drain", elsewhere, .. Segment]);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("holds no spool segment: nothing to send", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.GetFiles(elsewhere).Select(Path.GetFileName));
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task Drain_exits_1_when_the_server_is_still_down_and_leaves_everything_in_the_spool()
    {
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);

        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--retry-budget", "0s", "--json"]);

        Assert.True(drain.Exit == ExitCodesUnavailable, drain.ToString());
        using var json = JsonDocument.Parse(drain.Stdout);
        Assert.Equal(Events, json.RootElement.GetProperty("events").GetProperty("replayed").GetInt64());
        Assert.Equal(Events, json.RootElement.GetProperty("events").GetProperty("spooled").GetInt64());
        Assert.Contains($"{Events:N0} events", (await CliRun.RunAsync("spool", "status", Spool)).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_of_a_spool_with_a_damaged_record_delivers_the_rest_says_what_was_skipped_and_exits_1()
    {
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        string segment = Directory.GetFiles(Spool, "*.segment").Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(segment);
        for (int i = bytes.Length / 2; i < (bytes.Length / 2) + 64; i++)
            bytes[i] ^= 0xFF; // a bit flip on disk inside one of the three batches
        File.WriteAllBytes(segment, bytes);

        _server.Down = false;
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment]);

        Assert.True(drain.Exit == 1, drain.ToString()); // not every spooled event was delivered: the damaged batch's are lost
        Assert.InRange(_server.Received.Count, 1, Events - 1);
        Assert.DoesNotContain("every batch that was there was delivered", drain.Stdout, StringComparison.Ordinal);
        Assert.Contains("spool: 1 damaged record was skipped", drain.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// A spool in <see cref="Spool"/> holding all the events but the first batch's, and more bytes than the default cap: a
    /// sparse acknowledgement file stands for them (a hole the size of the cap, then an intact acknowledgement of the first
    /// batch), so that the test writes next to nothing. The server is up again when it returns.
    /// </summary>
    private async Task SpoolAboveTheDefaultCapAsync()
    {
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        string segment = Directory.GetFiles(Spool, "*.segment").Single();
        using (var acks = new FileStream(Path.ChangeExtension(segment, ".acks"), FileMode.CreateNew))
        {
            var acknowledgement = new byte[RecordLayout.AcknowledgementLength];
            RecordLayout.WriteAcknowledgement(acknowledgement, batchId: 0, events: 1_000);
            acks.Seek(new SpoolOptions().MaxBytes, SeekOrigin.Begin);
            acks.Write(acknowledgement);
        }

        _server.Down = false;
    }

    [Fact]
    public async Task Drain_of_a_spool_larger_than_the_default_cap_evicts_none_of_it_and_sends_it_all()
    {
        // An engine with a cap above the default 1 GiB wrote it.
        await SpoolAboveTheDefaultCapAsync();
        var drain = await CliRun.RunAsync(["spool", "drain", Spool, .. Segment, "--json"]);

        using var json = JsonDocument.Parse(drain.Stdout);
        var events = json.RootElement.GetProperty("events");
        Assert.True(events.GetProperty("spool_evicted").GetInt64() == 0, drain.ToString());
        Assert.Equal(Events - 1_000, events.GetProperty("delivered").GetInt64());
        Assert.Equal(Enumerable.Range(1_000, Events - 1_000).Select(n => (long)n), _server.Received.Order());
        Assert.DoesNotContain("cap", drain.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_on_a_spool_larger_than_its_cap_evicts_none_of_it_and_sends_it_first()
    {
        // An engine with a cap above the default wrote it; send opened it with the default cap and deleted its oldest segment
        // with the events in it.
        await SpoolAboveTheDefaultCapAsync();
        string more = Path.Combine(_directory.Path, "more.ndjson");
        File.WriteAllLines(more, ["""{"user_id":"user-2500","event_name":"new","properties":{"n":2500}}"""]);
        var send = await CliRun.RunAsync(["send", "-i", more, .. Segment, "--spool", Spool, "--spool-max-bytes", "64MiB", "--json"]);

        Assert.True(send.Exit == 0, send.ToString());
        using var json = JsonDocument.Parse(send.Stdout);
        var events = json.RootElement.GetProperty("events");
        Assert.Equal(0, events.GetProperty("spool_evicted").GetInt64());
        Assert.Equal(Events - 1_000, events.GetProperty("replayed").GetInt64());
        Assert.Equal(Enumerable.Range(1_000, Events - 1_000 + 1).Select(n => (long)n), _server.Received.Order());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix permissions
    public async Task Drain_of_a_directory_it_cannot_read_is_exit_66_saying_so_not_an_internal_error()
    {
        // Its segment files were listed unguarded: "internal error (UnauthorizedAccessException)", exit 70. Root reads any
        // directory: as root, the drain runs as nobody on a directory only its owner may read.
        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        File.SetUnixFileMode(Spool, Environment.IsPrivilegedProcess ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.None);
        try
        {
            string[] drain = ["spool", "drain", Path.GetFullPath(Spool), .. Segment];
            var (exit, stderr) = Environment.IsPrivilegedProcess
                ? await AsNobodyAsync(drain)
                : await CliRun.RunAsync(drain) is var run ? (run.Exit, run.Stderr) : default;

            Assert.True(exit == 66, stderr);
            Assert.Contains($"The spool directory '{Path.GetFullPath(Spool)}' cannot be read: ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(Spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task<(int Exit, string Stderr)> AsNobodyAsync(string[] args)
    {
        using var run = SluiceProcess.StartWrapped(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], args);
        int exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, run.Stderr);
    }

    [Fact]
    public async Task Drain_refuses_a_missing_directory_with_66_and_a_spool_of_another_format_with_2_naming_it()
    {
        var missing = await CliRun.RunAsync(["spool", "drain", Path.Combine(_directory.Path, "nowhere"), .. Segment]);
        Assert.Equal(66, missing.Exit);
        Assert.Contains("no spool directory", missing.Stderr, StringComparison.Ordinal);

        _server.Down = true;
        await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--retry-budget", "0s", "--spool", Spool, "-q"]);
        var other = await CliRun.RunAsync("spool", "drain", Spool, "-f", "thrivestack", "-e", _server.BaseAddress.AbsoluteUri, "--token", "t");

        Assert.Equal(2, other.Exit);
        Assert.Contains("SegmentFormat", other.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spool_path_that_names_a_file_is_refused_by_each_command_saying_it_is_a_file()
    {
        string file = Path.Combine(_directory.Path, "events.spool");
        File.WriteAllText(file, "mine");

        var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--spool", file]);
        var status = await CliRun.RunAsync("spool", "status", file);
        var drain = await CliRun.RunAsync(["spool", "drain", file, .. Segment]);

        Assert.Equal((73, 66, 66), (send.Exit, status.Exit, drain.Exit));
        foreach (var run in new[] { send, status, drain })
            Assert.True(run.Stderr.Contains($"'{file}' is a file, not a directory", StringComparison.Ordinal), run.ToString());
        Assert.Equal("mine", File.ReadAllText(file));
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task A_spool_directory_that_cannot_be_created_is_one_line_saying_so_and_why_with_73()
    {
        // Under /proc the runtime's words were "Could not find file '/proc/self/nope'", as if a file were missing.
        string file = Path.Combine(_directory.Path, "events.spool");
        File.WriteAllText(file, "mine");
        List<(string Spool, string Why)> cases = [(Path.Combine(file, "spool"), $"'{file}' is a file, not a directory.")];
        if (Directory.Exists("/proc/self"))
            cases.Add(("/proc/self/nope", "the system does not let a directory be made in '/proc/self' (no such file or directory)."));

        foreach (var (spool, why) in cases)
        {
            var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--spool", spool]);

            Assert.True(send.Exit == 73, send.ToString());
            Assert.Equal($"sluice: --spool {spool}: the spool directory cannot be created: {why}{Environment.NewLine}", send.Stderr);
        }

        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task Send_refuses_a_spool_another_engine_holds_with_73_naming_the_directory()
    {
        await using var holder = new SluiceEngine(new SluiceOptions { WireFormat = new Sluice.Serialization.SegmentFormat(), Spool = new SpoolOptions { DirectoryPath = Spool } },
            new InMemoryTransport());

        var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--spool", Spool]);

        Assert.Equal(73, send.Exit);
        Assert.Contains("in use by another Sluice engine", send.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_refused_a_spool_another_send_holds_does_not_take_that_sends_resume_file_for_one_a_kill_left()
    {
        // A send running on the spool keeps its line to resume after there: it did not end, so nothing is to be resumed.
        await using var holder = new SluiceEngine(new SluiceOptions { WireFormat = new Sluice.Serialization.SegmentFormat(), Spool = new SpoolOptions { DirectoryPath = Spool } },
            new InMemoryTransport());
        File.WriteAllText(Path.Combine(Spool, Sluice.Cli.ResumeFile.Name), $"10\n{Path.GetFullPath("other.ndjson")}\n");

        var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--spool", Spool]);

        Assert.Equal(73, send.Exit);
        Assert.DoesNotContain("ended without its summary", send.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_the_lock_file_of_a_spool_another_process_holds_does_not_let_send_use_it()
    {
        using var holder = SluiceProcess.StartWithOpenInput(["send", "-i", "-", .. Segment, "--spool", Spool]); // waits on its input
        string lockFile = Path.Combine(Spool, "sluice.lock");
        await Eventually.True(() => Directory.Exists(Spool) && Directory.EnumerateFiles(Spool, "*.segment").Any(), "the other process holds the spool");
        File.Delete(lockFile);

        var send = await CliRun.RunAsync(["send", "-i", WriteEvents(), .. Segment, "--spool", Spool]);

        Assert.True(send.Exit == 73, send.ToString());
        Assert.Contains("in use by another Sluice engine", send.Stderr, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
        holder.Input.Close();
        Assert.Equal(0, await holder.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private const int ExitCodesUnavailable = 69;
}
