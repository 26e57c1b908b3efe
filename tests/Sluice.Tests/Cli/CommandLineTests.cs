using System.Text.Json;
using Sluice.Cli;

namespace Sluice.Tests.Cli;

/// <summary>The <c>sluice</c> command line: help, version, mistakes, option syntax, paths, summaries.</summary>
public sealed class CommandLineTests : IDisposable
{
    private const string Track = """{"user_id":"3e474abe-5943-41fd-8b7b-4c87ad95b0c7","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059Z","properties":{"email":"JohnDoe@acmelabs.com"},"context":{"group_id":"g"}}""";
    private const string Page = """{"session_id":"1rwttH3IN","timestamp":"2024-10-20T15:51:35.059000Z","properties":{"page_name":"Homepage"}}""";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-cli-test-" + Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_on_the_tool_lists_the_commands_and_the_exit_codes(string ask)
    {
        var run = await CliRun.RunAsync(ask);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("Usage:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("send", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("demo", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("66   the input is missing, unreadable or a directory", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("130  stopped by SIGINT", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(run.Stderr);
    }

    [Theory]
    [InlineData("send", "--help")]
    [InlineData("send", "-h")]
    [InlineData("help", "send")]
    public async Task Help_on_send_lists_its_options_deadlines_credentials_and_exit_codes(string first, string second)
    {
        var run = await CliRun.RunAsync(first, second);
        Assert.True(run.Exit == 0, run.ToString());
        foreach (string expected in new[] { "-i, --input <FILE>", "--skip-lines <N>", "--retry-budget <DURATION>", "--drain-timeout", "--stop-timeout", "--json", "-q, --quiet", "SLUICE_WRITE_KEY", "73 --out not writable", "130/143" })
            Assert.Contains(expected, run.Stdout, StringComparison.Ordinal);

        // The notes are written for the help's width: a line past it wraps mid-word in an 104-column terminal.
        Assert.All(run.Stdout.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 104, line));
    }

    [Theory]
    [InlineData("demo", "--help")]
    [InlineData("help", "demo")]
    public async Task Help_on_demo_lists_its_options(string first, string second)
    {
        var run = await CliRun.RunAsync(first, second);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("-n, --events <N>", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--clean", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var run = await CliRun.RunAsync("--version");
        Assert.Equal(0, run.Exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Stdout);
    }

    [Fact]
    public async Task A_typo_in_an_option_is_rejected_with_a_suggestion_and_exit_2_and_nothing_runs()
    {
        var run = await CliRun.RunAsync("demo", "--evnets", "10", "--out", _dir);
        Assert.Equal(2, run.Exit);
        Assert.Contains("sluice: unknown option '--evnets' for 'sluice demo'; did you mean --events?", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("'10'", run.Stderr, StringComparison.Ordinal); // the typo's value is not a second error
        Assert.Empty(run.Stdout);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData("sned", "unknown command 'sned' for 'sluice'; did you mean send?")]
    [InlineData("--timeout", "did you mean --drain-timeout (the wait after the input ends), --stop-timeout (after Ctrl+C) or --retry-budget (per batch)?")]
    [InlineData("-x", "unknown option '-x' for 'sluice send'.")]
    public async Task Unknown_commands_and_options_are_usage_errors_with_the_closest_name(string token, string message)
    {
        string[] args = token == "sned" ? ["sned"] : ["send", "-i", "x.ndjson", token, "3"];
        var run = await CliRun.RunAsync(args);
        Assert.Equal(2, run.Exit);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retry-budget", "soon", "--retry-budget takes a duration from 0s to 24h such as 500ms, 10s, 2m or 1h (got 'soon').")]
    [InlineData("--stop-timeout", "2h", "--stop-timeout takes a duration from 0s to 1h")]
    [InlineData("--skip-lines", "-1", "--skip-lines must be 0 or more.")]
    [InlineData("--skip-lines", "x", "--skip-lines takes a whole number of lines, 0 or more (got 'x').")]
    [InlineData("--skip-lines", "99999999999999999999", "--skip-lines takes a whole number of lines, 0 or more (got '99999999999999999999').")]
    [InlineData("--retry-budget", "NaN", "--retry-budget takes a duration from 0s to 24h")]
    [InlineData("--stop-timeout", "-Infinity", "--stop-timeout takes a duration from 0s to 1h")]
    [InlineData("--format", "kafka", "Argument 'kafka' not recognized. Must be one of: 'thrivestack' 'segment' 'primedata'")]
    [InlineData("--spool-max-bytes", "1GB", "--spool-max-bytes takes a size of at least 32 MiB, in bytes or with KiB, MiB, GiB or TiB such as 10GiB (got '1GB').")]
    [InlineData("--spool-max-bytes", "1MiB", "--spool-max-bytes takes a size of at least 32 MiB")]
    [InlineData("--spool-max-bytes", "99999999TiB", "--spool-max-bytes takes a size of at least 32 MiB")]
    public async Task A_bad_value_is_a_one_line_usage_error(string option, string value, string message)
    {
        var run = await CliRun.RunAsync("send", "-i", "x.ndjson", option, value);
        Assert.Equal(2, run.Exit);
        Assert.Contains($"sluice: {message}", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thrivestack", "--token", "Bearer abc", "--token (SLUICE_TOKEN): Pass the token alone, without its 'Bearer ' scheme: the transport adds it.")]
    [InlineData("thrivestack", "--api-key", "kéy", "--api-key (SLUICE_API_KEY): A credential sent as a header must be printable ASCII; it has U+00E9 at index 1.")]
    [InlineData("primedata", "--client-access-token", "tøken", "--client-access-token (SLUICE_CLIENT_ACCESS_TOKEN): A credential sent as a header must be printable ASCII; it has U+00F8 at index 1.")]
    public async Task A_credential_that_cannot_be_sent_is_a_one_line_usage_error_naming_its_option(string format, string option, string value, string message)
    {
        // It was an internal error (70) with a stack-trace-like line, or, for a character HttpClient refuses, every batch retried until it expired.
        string[] args = ["send", "-i", "-", "-f", format, "-e", "http://127.0.0.1:9", option, value, .. format == "primedata" ? new[] { "--client-id", "c" } : []];
        var run = await CliRun.RunAsync(args, CliRun.Stdin("{\"user_id\":\"u\",\"event_name\":\"e\"}\n"));
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Equal($"sluice: {message}{Environment.NewLine}", run.Stderr);
        Assert.DoesNotContain(value, run.Stderr, StringComparison.Ordinal); // a credential is never echoed
    }

    [Theory]
    [InlineData("x", "--events takes a whole number of events, 1 or more (got 'x').")]
    [InlineData("1.5", "--events takes a whole number of events, 1 or more (got '1.5').")]
    [InlineData("0", "--events must be 1 or more.")]
    public async Task A_bad_event_count_for_demo_is_a_one_line_usage_error(string value, string message)
    {
        var run = await CliRun.RunAsync("demo", "--events", value);
        Assert.Equal(2, run.Exit);
        Assert.StartsWith($"sluice: {message}", run.Stderr, StringComparison.Ordinal);
    }

    // An unset shell variable ("$INPUT") gives an empty value: a usage mistake, not an internal error.
    [Theory]
    [InlineData("send", "-i", "", "-o", "out")]
    [InlineData("send", "-i", " ", "-o", "out")]
    [InlineData("send", "-i", "in.ndjson", "-o", "")]
    [InlineData("send", "-i", "in.ndjson", "--spool", "")]
    [InlineData("demo", "-n", "1", "-o", "")]
    [InlineData("spool", "status", "")]
    [InlineData("spool", "drain", "", "-e", "http://127.0.0.1:9", "--token", "t")]
    public async Task An_empty_path_is_a_one_line_usage_error(params string[] args)
    {
        var run = await CliRun.RunAsync(args);
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Matches("^sluice: (--input|--out|--spool|DIR) needs a path, not an empty value\\.", run.Stderr);
        Assert.DoesNotContain("internal error", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_in_a_spool_subcommand_names_the_command_as_typed()
    {
        // It said "Run 'sluice drain --help'" and "for 'sluice drain'": there is no such command.
        var missing = await CliRun.RunAsync("spool", "drain");
        var unknown = await CliRun.RunAsync("spool", "status", "dir", "--bogus");

        Assert.Equal((2, 2), (missing.Exit, unknown.Exit));
        Assert.Contains("Run 'sluice spool drain --help' for the usage.", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("sluice: unknown option '--bogus' for 'sluice spool status'.", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("Run 'sluice spool status --help' for the usage.", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_input_file_given_without_its_option_gets_the_option_suggested()
    {
        var bare = await CliRun.RunAsync("send", "events.ndjson");
        var extra = await CliRun.RunAsync("send", "-i", "events.ndjson", "more.ndjson");

        Assert.Equal((2, 2), (bare.Exit, extra.Exit));
        Assert.Contains("sluice: unknown argument 'events.ndjson' for 'sluice send'; did you mean -i events.ndjson?", bare.Stderr, StringComparison.Ordinal);
        Assert.Contains("sluice: unknown argument 'more.ndjson' for 'sluice send'.", extra.Stderr, StringComparison.Ordinal); // -i was given
    }

    [Fact]
    public async Task A_missing_required_option_or_command_is_a_usage_error()
    {
        Assert.Contains("Option '--input' is required.", (await CliRun.RunAsync("send")).Stderr, StringComparison.Ordinal);
        var none = await CliRun.RunAsync();
        Assert.Equal(2, none.Exit);
        Assert.Contains("no command given: send, spool, demo or help.", none.Stderr, StringComparison.Ordinal);
        var spool = await CliRun.RunAsync("spool");
        Assert.Equal(2, spool.Exit);
        Assert.Contains("no command given: status, drain.", spool.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_take_their_value_after_an_equals_sign()
    {
        string input = await WriteInputAsync(Track, Page);
        var run = await CliRun.RunAsync($"send", $"--input={input}", $"--out={Out}", "--retry-budget=30s", "--skip-lines=1");
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(1, DeliveredToFiles()); // the first line was skipped
    }

    [Fact]
    public async Task Short_aliases_stand_for_the_long_options()
    {
        string input = await WriteInputAsync(Track, Track);
        var run = await CliRun.RunAsync("send", "-i", input, "-o", Out, "-f", "segment", "-q");
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(2, DeliveredToFiles("batch")); // in Segment's envelope
        Assert.Single(run.Stdout.Trim().Split('\n'), l => !l.StartsWith("resume:", StringComparison.Ordinal)); // quiet: a one-line summary
    }

    [Fact]
    public async Task A_missing_input_file_is_one_line_and_exit_66()
    {
        var run = await CliRun.RunAsync("send", "-i", Path.Combine(_dir, "nope.ndjson"), "-o", Out);
        Assert.Equal(66, run.Exit);
        Assert.Equal($"sluice: --input {Path.Combine(_dir, "nope.ndjson")}: no such file.", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_directory_as_input_is_one_line_and_exit_66()
    {
        var run = await CliRun.RunAsync("send", "-i", _dir, "-o", Out);
        Assert.Equal(66, run.Exit);
        Assert.Equal($"sluice: --input {_dir} is a directory; give an NDJSON file, or - for standard input.", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_signal_while_a_named_pipe_as_input_waits_for_its_writer_ends_the_send_with_its_exit_code()
    {
        string fifo = Path.Combine(_dir, "events.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var interrupts = new Interrupts();
        var run = Task.Run(() => CliRun.RunAsync(["send", "-i", fifo, "-o", Out], new MemoryStream(), interrupts: interrupts));
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT); // before or while the open waits: either way it must end the send
        try
        {
            var result = await run.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(result.Exit == 130, result.ToString());
            Assert.Equal($"sluice: SIGINT before --input {fifo} was opened (a named pipe opens when a writer opens it); nothing was read.", result.Stderr.Trim());
        }
        finally
        {
            // Opened for reading and writing, a FIFO opens at once on Linux and releases a reader still waiting in open.
            await using var release = new FileStream(fifo, FileMode.Open, FileAccess.ReadWrite);
        }
    }

    [Fact]
    public async Task An_output_directory_that_cannot_be_created_is_one_line_and_exit_73_before_any_input_is_read()
    {
        string file = await WriteInputAsync(Track);
        string under = Path.Combine(file, "out"); // a directory cannot be made under a file (whoever runs the test, root included)
        var run = await CliRun.RunAsync("send", "-i", file, "-o", under);
        Assert.Equal(73, run.Exit);
        Assert.StartsWith($"sluice: --out {under} cannot be written:", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));

        var demo = await CliRun.RunAsync("demo", "-n", "10", "-o", under);
        Assert.Equal(73, demo.Exit);
    }

    [Fact]
    public async Task A_batch_file_that_cannot_be_written_stops_the_send_at_once_with_73_not_after_each_batch_retried_for_minutes()
    {
        // What a directory made read-only or a full disk does mid-run, made certain: the first batch's temporary file is a directory.
        Directory.CreateDirectory(Path.Combine(Out, "00000000-api-track.json.tmp"));
        string input = await WriteInputAsync(Track, Track, Track);

        var run = await CliRun.RunAsync("send", "-i", input, "-o", Out, "--json").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(run.Exit == ExitCodes.CannotCreate, run.ToString());
        // Said once, whether the reading had ended before the batch settled (most often: three lines) or the stop came first.
        Assert.Single(run.Stderr.Split('\n'), line => line.StartsWith($"sluice: a batch file cannot be written in {Out} (", StringComparison.Ordinal));
        using var summary = JsonDocument.Parse(run.Stdout);
        var events = summary.RootElement.GetProperty("events");
        Assert.Equal((3, 0, 0), (events.GetProperty("failed").GetInt64(), events.GetProperty("delivered").GetInt64(), events.GetProperty("expired").GetInt64()));
        Assert.Equal(0, summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
        Assert.Equal("a batch file that could not be written", summary.RootElement.GetProperty("stopped_by").GetString());
    }

    [Fact]
    public async Task An_output_path_that_is_a_file_is_said_to_be_one()
    {
        string file = await WriteInputAsync(Track);
        var run = await CliRun.RunAsync("send", "-i", file, "-o", file);
        Assert.Equal(73, run.Exit);
        Assert.Equal($"sluice: --out {file} is a file, not a directory: name a directory for the batch files.", run.Stderr.Trim());
        Assert.Equal(Track + "\n", await File.ReadAllTextAsync(file)); // untouched
    }

    [Fact]
    public async Task Send_delivers_the_good_lines_and_reports_each_bad_line_with_its_number_and_reason()
    {
        string input = await WriteInputAsync(
            Track,
            Page,
            """{"user_id":"u","event_name":"bad json",""",
            """{"event_name":"no user"}""",
            """{"user_id":"u","session_id":"s"}""",
            // The (invalid) timestamp of spec 001's own example.
            """{"user_id":"u","event_name":"signed_up","timestamp":"20-11-23T22:28:55.111Z"}""",
            "",
            """{"user_id":"0rwtoH3IN","timestamp":"2024-10-20T15:51:35.059000+02:00"}""");

        var run = await CliRun.RunAsync("send", "--input", input, "--out", Out);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("sluice: line 3: Not valid JSON", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 4: user_id is required for a track event.\n", run.Stderr.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("line 5: A page event takes user_id or session_id, not both", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 6: timestamp '20-11-23T22:28:55.111Z' is not ISO 8601", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("line 7", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("8 lines read from", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"lines refused\s+4\s+invalid 4, oversize 0", run.Stdout);

        var files = Directory.GetFiles(Out).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        using var track = JsonDocument.Parse(await File.ReadAllBytesAsync(files.Single(f => f.EndsWith("api-track.json", StringComparison.Ordinal))));
        var signedUp = Assert.Single(track.RootElement.EnumerateArray().ToList());
        Assert.Equal("signed_up", signedUp.GetProperty("event_name").GetString());
        Assert.Equal("2024-10-20T15:51:35.059000Z", signedUp.GetProperty("timestamp").GetString());
        using var page = JsonDocument.Parse(await File.ReadAllBytesAsync(files.Single(f => f.EndsWith("api-page.json", StringComparison.Ordinal))));
        var pages = page.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, pages.Count);
        Assert.Equal("2024-10-20T13:51:35.059000Z", pages[1].GetProperty("timestamp").GetString()); // converted to UTC
    }

    [Fact]
    public async Task Send_reads_standard_input_and_exits_0_when_every_line_is_delivered()
    {
        var run = await CliRun.RunAsync(["send", "--input", "-", "--out", Out], CliRun.Stdin(Track + "\n" + Page + "\n"));
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("2 events delivered", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("resume: nothing to resume", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_input_that_fails_mid_read_delivers_what_was_accepted_and_exits_66_with_the_line_to_resume_after()
    {
        // Standard input fails after two events, a blank line and part of a fourth line (a terminal hung up, a network file
        // system gone).
        var stdin = new FailingStream(System.Text.Encoding.UTF8.GetBytes(Track + "\n" + Page + "\n\n{\"user_id\":"));
        var result = await CliRun.RunAsync(["send", "-i", "-", "-o", Out], stdin).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Exit == 66, result.ToString());
        Assert.Contains("reading - failed after line 3: Input/output error", result.Stderr, StringComparison.Ordinal); // the blank line too
        Assert.DoesNotContain("internal error", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, DeliveredToFiles());
        Assert.Contains("2 events delivered", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("resume: rerun with --skip-lines 3:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_while_skipped_lines_are_still_being_passed_over_keeps_the_resume_point_at_the_skip()
    {
        // A rerun asked to pass over 10 lines (settled by the run before) is stopped before it got that far: the
        // resume point stays 10, or the next rerun would send lines the first run delivered again.
        var stdin = new System.IO.Pipelines.Pipe();
        using var interrupts = new Interrupts();
        var run = CliRun.RunAsync(["send", "-i", "-", "-o", Out, "--skip-lines", "10"], stdin.Reader.AsStream(), interrupts: interrupts);
        await stdin.Writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Track + "\n", 5))));
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Exit == 130, result.ToString());
        Assert.True(result.Stdout.Contains("resume: rerun with --skip-lines 10:", StringComparison.Ordinal), result.ToString());
        Assert.Contains("0 events delivered", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_lines_past_the_end_of_the_input_is_said_and_sends_nothing()
    {
        string input = await WriteInputAsync(Track, "", Page);
        var past = await CliRun.RunAsync("send", "-i", input, "-o", Out, "--skip-lines", "4");
        var atEnd = await CliRun.RunAsync("send", "-i", input, "-o", Out, "--skip-lines", "3");

        Assert.True(past.Exit == 0, past.ToString()); // every line is settled: nothing to do is no failure
        Assert.Contains($"sluice: --skip-lines 4 is past the end of {input} (3 lines): no line was sent.", past.Stderr, StringComparison.Ordinal);
        Assert.Contains("0 events delivered", past.Stdout, StringComparison.Ordinal);
        Assert.True(atEnd.Exit == 0, atEnd.ToString());
        Assert.Equal("", atEnd.Stderr); // resuming after the last line is what a finished run reports: nothing to say
    }

    [Fact]
    public async Task A_stop_while_skipped_lines_are_passed_over_says_how_far_the_reading_got()
    {
        // Five of the ten lines to pass over are read when the stop comes: the message and the summary agree on 5.
        var stdin = new StalledStream(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Track + "\r\n", 5))), honourCancellation: true);
        using var interrupts = new Interrupts();
        var run = CliRun.RunAsync(["send", "-i", "-", "-o", Out, "--skip-lines", "10", "--json"], stdin, interrupts: interrupts);
        await stdin.Stalled.WaitAsync(TimeSpan.FromSeconds(20));
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Exit == 130, result.ToString());
        Assert.Contains("sluice: SIGINT: reading stopped after line 5;", result.Stderr, StringComparison.Ordinal); // it said "after line 0"
        using var summary = JsonDocument.Parse(result.Stdout);
        Assert.Equal(5, summary.RootElement.GetProperty("lines").GetProperty("read").GetInt64());
        Assert.Equal(5, summary.RootElement.GetProperty("lines").GetProperty("skipped").GetInt64());
        Assert.Equal(10, summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
    }

    [Fact]
    public async Task A_stop_while_a_read_ignores_cancellation_still_prints_lines_that_add_up()
    {
        // A terminal's read does not end when cancelled: the summary is what the reading counted so far, blank lines too.
        var stdin = new StalledStream(System.Text.Encoding.UTF8.GetBytes(Track + "\n\n  \n" + Track + "\n\n"));
        using var interrupts = new Interrupts();
        var run = CliRun.RunAsync(["send", "-i", "-", "-o", Out, "--json"], stdin, interrupts: interrupts);
        await stdin.Stalled.WaitAsync(TimeSpan.FromSeconds(20));
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));
        stdin.End();

        Assert.True(result.Exit == 130, result.ToString());
        Assert.Contains("sluice: SIGINT: reading stopped after line 5;", result.Stderr, StringComparison.Ordinal); // not 4, the last event's
        using var summary = JsonDocument.Parse(result.Stdout);
        var lines = summary.RootElement.GetProperty("lines");
        Assert.Equal(5, lines.GetProperty("read").GetInt64());
        Assert.Equal(3, lines.GetProperty("blank").GetInt64());
        Assert.Equal(2, lines.GetProperty("accepted").GetInt64());
        Assert.False(lines.GetProperty("completed").GetBoolean());
    }

    [Fact]
    public async Task A_last_line_without_a_newline_that_is_not_valid_json_is_not_passed_over_by_the_resume_point()
    {
        // The file was copied while still being written: its last line is cut short. A rerun on the whole file must read that
        // line again, so the resume point is the line before it, not the end.
        string cut = Path.Combine(_dir, "cut.ndjson");
        await File.WriteAllTextAsync(cut, Track + "\n" + Page + "\n" + Track[..40]);
        string whole = await WriteInputAsync(Track, Page, Track[..40]); // the same bad line, ended: refused for good

        var run = await CliRun.RunAsync("send", "-i", cut, "-o", Out, "--json");
        var ended = await CliRun.RunAsync("send", "-i", whole, "-o", Out, "--json");

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("line 3: Not valid JSON", run.Stderr, StringComparison.Ordinal);
        using (var summary = JsonDocument.Parse(run.Stdout))
        {
            var resume = summary.RootElement.GetProperty("resume");
            Assert.True(resume.GetProperty("skip_lines").GetInt64() == 2, run.ToString());
            Assert.False(resume.GetProperty("nothing_to_resume").GetBoolean());
            Assert.Contains("line 3, the last, has no newline and was refused as invalid: it may have been cut short", resume.GetProperty("meaning").GetString(), StringComparison.Ordinal);
        }

        using var endedSummary = JsonDocument.Parse(ended.Stdout);
        Assert.Equal(3, endedSummary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
    }

    [Fact]
    public async Task Refused_lines_are_reported_one_by_one_up_to_a_cap_then_counted_in_one_line_and_in_the_summary()
    {
        int bad = SendCommand.RefusedLinesShown + 50;
        string input = await WriteInputAsync([Track, .. Enumerable.Repeat("{bad", bad), Page]);

        var run = await CliRun.RunAsync("send", "-i", input, "-o", Out, "--json");

        Assert.True(run.Exit == 1, run.ToString());
        var stderr = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reported = stderr.Where(l => l.StartsWith("sluice: line ", StringComparison.Ordinal)).Select(l => l["sluice: ".Length..(l.IndexOf(':', "sluice: ".Length) + 1)]);
        Assert.Equal(Enumerable.Range(2, SendCommand.RefusedLinesShown).Select(n => $"line {n}:"), reported);
        Assert.Contains($"sluice: 50 more refused lines were not reported one by one (only the first {SendCommand.RefusedLinesShown} are); the summary counts them all.", stderr);
        Assert.Equal(SendCommand.RefusedLinesShown + 1, stderr.Length);
        using var summary = JsonDocument.Parse(run.Stdout);
        Assert.Equal(bad, summary.RootElement.GetProperty("lines").GetProperty("invalid").GetInt64());
        Assert.Equal(2, summary.RootElement.GetProperty("events").GetProperty("delivered").GetInt64());
    }

    [Fact]
    public async Task Json_prints_the_summary_for_scripts()
    {
        string input = await WriteInputAsync(Track, "{", Page);
        var run = await CliRun.RunAsync("send", "-i", input, "-o", Out, "--json");

        Assert.Equal(1, run.Exit);
        using var summary = JsonDocument.Parse(run.Stdout);
        var root = summary.RootElement;
        Assert.Equal(3, root.GetProperty("lines").GetProperty("read").GetInt64());
        Assert.Equal(1, root.GetProperty("lines").GetProperty("invalid").GetInt64());
        Assert.True(root.GetProperty("lines").GetProperty("completed").GetBoolean());
        Assert.Equal(2, root.GetProperty("events").GetProperty("delivered").GetInt64());
        Assert.Equal(0, root.GetProperty("events").GetProperty("lost_at_shutdown").GetInt64());
        Assert.True(root.GetProperty("resume").GetProperty("nothing_to_resume").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stopped_by").ValueKind);
        Assert.Equal(1, root.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Progress_is_drawn_on_standard_error_while_it_is_a_terminal()
    {
        // Standard input stays open, so the send is still running when the progress line is due.
        var pipe = new System.IO.Pipelines.Pipe();
        var stderr = new LockedWriter();
        var run = CliRun.RunAsync(["send", "-i", "-", "-o", Out], pipe.Reader.AsStream(), terminal: true, stderr: stderr);
        await pipe.Writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(Track + "\n"));
        await Support.Eventually.True(() => stderr.Text.Contains("events/s", StringComparison.Ordinal), "a progress line");
        await pipe.Writer.CompleteAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Matches(@"\rread 1 line, accepted 1, delivered \d, pending \d, [\d,]+ events/s", result.Stderr);
        Assert.EndsWith("\r\u001b[K", result.Stderr, StringComparison.Ordinal); // cleared before the summary
    }

    [Fact]
    public async Task Demo_keeps_its_output_folder_and_prints_its_figures_in_one_table()
    {
        var run = await CliRun.RunAsync("demo", "--events", "5000", "--out", Out);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("sluice demo: 5,000 events", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"end to end\s+[\d,]+ events/s", run.Stdout);
        Assert.Matches(@"allocated\s+[\d.]+ B/event", run.Stdout);
        Assert.Matches(@"delivered\s+5,000", run.Stdout);
        Assert.Contains($"{Out}   kept", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(5000, DeliveredToFiles());
    }

    [Fact]
    public async Task Demo_stops_with_73_when_a_batch_file_cannot_be_written()
    {
        // As a full disk would: the first batch's temporary file is a directory. Each batch was retried for two minutes.
        Directory.CreateDirectory(Path.Combine(Out, "00000000-api-track.json.tmp"));
        Directory.CreateDirectory(Path.Combine(Out, "00000000-api-page.json.tmp"));

        var run = await CliRun.RunAsync("demo", "--events", "100000", "--out", Out).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(run.Exit == ExitCodes.CannotCreate, run.ToString());
        Assert.Contains($"sluice: a batch file cannot be written in {Out} (", run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"failed\s+[1-9]", run.Stdout);
    }

    [Fact]
    public async Task Demo_stopped_by_a_signal_says_so_and_how_far_it_got()
    {
        using var interrupts = new Interrupts();
        interrupts.Raise(System.Runtime.InteropServices.PosixSignal.SIGINT);

        var run = await CliRun.RunAsync(["demo", "--events", "5000", "--out", Out], new MemoryStream(), interrupts: interrupts);

        Assert.True(run.Exit == ExitCodes.Interrupted, run.ToString());
        Assert.Contains("sluice: SIGINT: the demo stopped after 0 of 5,000 events.", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_with_clean_deletes_its_output_folder()
    {
        var run = await CliRun.RunAsync("demo", "-n", "2000", "-o", Out, "--clean");
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("deleted (--clean)", run.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    private string Out => Path.Combine(_dir, "out");

    /// <summary>Reads its bytes, then waits for more: as a terminal does (cancelling the read does not end it), or with <paramref name="honourCancellation"/> as a pipe does.</summary>
    private sealed class StalledStream(byte[] data, bool honourCancellation = false) : MemoryStream(data)
    {
        private readonly TaskCompletionSource<int> _more = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once every byte was read and the next read waits.</summary>
        public Task Stalled => _stalled.Task;

        /// <summary>Ends the waiting read (the end of the input).</summary>
        public void End() => _more.TrySetResult(0);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position < Length)
                return ValueTask.FromResult(Read(buffer.Span));
            _stalled.TrySetResult();
            return new ValueTask<int>(honourCancellation ? _more.Task.WaitAsync(cancellationToken) : _more.Task);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Reads its bytes, then fails as a device that went away does.</summary>
    private sealed class FailingStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => Position < Length ? base.Read(buffer, offset, count) : throw new IOException("Input/output error");

        public override int Read(Span<byte> buffer)
        {
            byte[] read = new byte[buffer.Length];
            int count = Read(read, 0, read.Length);
            read.AsSpan(0, count).CopyTo(buffer);
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    }

    private async Task<string> WriteInputAsync(params string[] lines)
    {
        string path = Path.Combine(_dir, $"events-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllLinesAsync(path, lines);
        return path;
    }

    /// <summary>Events in the batch files written to <see cref="Out"/>: arrays, or an envelope's array named <paramref name="envelope"/>.</summary>
    private int DeliveredToFiles(string? envelope = null) => Directory.GetFiles(Out).Sum(f =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(f));
        return envelope is null ? doc.RootElement.GetArrayLength() : doc.RootElement.GetProperty(envelope).GetArrayLength();
    });
}
