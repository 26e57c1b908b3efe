using Sluice.Cli;
using Sluice.Tests.Support;

namespace Sluice.Tests.Cli;

/// <summary>
/// <c>sluice send</c> in a real process whose standard output or error is closed or full, as a script may leave them: the
/// send still runs to its end, with its own exit code, and never ends in a runtime abort. And standard input as a pipe
/// whose writer goes quiet: a signal still ends the send.
/// </summary>
public sealed class StandardStreamTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _dir = new("sluice-streams-test");
    private readonly string _input;

    public StandardStreamTests()
    {
        // Two good lines and one refused: the refusal is reported on standard error during the reading.
        _input = Path.Combine(_dir.Path, "events.ndjson");
        File.WriteAllLines(_input, ["""{"user_id":"u1","event_name":"e"}""", "{bad", """{"user_id":"u2","event_name":"e"}"""]);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("2>&-")]
    [InlineData("2>/dev/full")]
    public async Task Standard_error_closed_or_full_loses_the_messages_but_not_the_send_nor_its_exit_code(string redirection)
    {
        using var run = SluiceProcess.StartRedirected(redirection, "send", "-i", _input, "-o", Path.Combine(_dir.Path, "out"), "-q");
        int exit = await run.WaitForExitAsync(Bound);

        Assert.True(exit == ExitCodes.NotAllDelivered, $"exit {exit}\n{run.Stdout}"); // not 134, the runtime's abort
        Assert.Contains("2 events delivered in 1 batch; 3 lines read", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 refused", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(">&-", "it is closed or not open for writing")]
    [InlineData(">/dev/full", "No space left on device")]
    public async Task Standard_output_closed_or_full_is_said_on_standard_error_and_a_success_exits_74(string redirection, string why)
    {
        string good = Path.Combine(_dir.Path, "good.ndjson");
        await File.WriteAllLinesAsync(good, ["""{"user_id":"u1","event_name":"e"}"""]);
        using var run = SluiceProcess.StartRedirected(redirection, "send", "-i", good, "-o", Path.Combine(_dir.Path, "out"));
        int exit = await run.WaitForExitAsync(Bound);

        Assert.True(exit == ExitCodes.OutputFailed, $"exit {exit}\n{run.Stderr}"); // not 70, an internal error
        Assert.Equal($"sluice: standard output could not be written ({why}); what was printed there is lost.", run.Stderr.Trim());
    }

    [Fact]
    public async Task Standard_input_closed_is_one_line_and_exit_66_when_it_is_the_input_and_no_matter_otherwise()
    {
        // With descriptor 0 closed the runtime's own pipe took its place: reading it waited for a signal that never came.
        using var stdin = SluiceProcess.StartRedirected("<&-", "send", "-i", "-", "-o", Path.Combine(_dir.Path, "out"));
        int exit = await stdin.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit == ExitCodes.NoInput, $"exit {exit}\n{stdin.Stderr}\n{stdin.Stdout}");
        Assert.Equal("sluice: --input -: standard input is not open (closed, as <&- leaves it); nothing was read.", stdin.Stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "out")));

        using var named = SluiceProcess.StartRedirected("<&-", "send", "-i", "/dev/stdin", "-o", Path.Combine(_dir.Path, "out"));
        Assert.Equal(ExitCodes.NoInput, await named.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("sluice: --input /dev/stdin: standard input is not open", named.Stderr, StringComparison.Ordinal);

        string good = Path.Combine(_dir.Path, "good.ndjson");
        await File.WriteAllLinesAsync(good, ["""{"user_id":"u1","event_name":"e"}"""]);
        using var file = SluiceProcess.StartRedirected("<&-", "send", "-i", good, "-o", Path.Combine(_dir.Path, "out"), "-q");
        Assert.Equal(ExitCodes.Success, await file.WaitForExitAsync(Bound));
    }

    [Fact]
    public async Task SIGTERM_while_standard_input_waits_for_more_ends_the_send_with_the_lines_read_so_far()
    {
        // The writer keeps the pipe open and sends nothing more: the read waits in the kernel, where cancelling it does not reach.
        using var run = SluiceProcess.StartWithOpenInput("send", "-i", "-", "-o", Path.Combine(_dir.Path, "out"), "--json");
        await run.Input.WriteAsync("""{"user_id":"u1","event_name":"e"}""" + "\r\n\r\n" + """{"user_id":"u2","event_name":"e"}""" + "\r\n{bad\r\n");
        await run.Input.FlushAsync();
        await run.WaitForStderrAsync("line 4: ", Bound); // every line written was read
        run.Signal("TERM");
        int exit = await run.WaitForExitAsync(Bound);

        Assert.True(exit == ExitCodes.Terminated, $"exit {exit}\n{run.Stderr}");
        Assert.Contains("sluice: SIGTERM: reading stopped after line 4;", run.Stderr, StringComparison.Ordinal);
        using var summary = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var lines = summary.RootElement.GetProperty("lines");
        Assert.Equal((4, 1, 2, 1), (lines.GetProperty("read").GetInt64(), lines.GetProperty("blank").GetInt64(),
            lines.GetProperty("accepted").GetInt64(), lines.GetProperty("invalid").GetInt64()));
        Assert.False(lines.GetProperty("completed").GetBoolean());
        Assert.Equal(2, summary.RootElement.GetProperty("events").GetProperty("delivered").GetInt64());
        Assert.Equal(4, summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
    }

    [Fact]
    public async Task SIGHUP_a_closed_terminal_stops_the_send_as_ctrl_c_does_delivering_what_was_read()
    {
        // The default action of SIGHUP ends the process at once: accepted events would be dropped without a summary.
        using var run = SluiceProcess.StartWithOpenInput("send", "-i", "-", "-o", Path.Combine(_dir.Path, "out"), "--json");
        await run.Input.WriteAsync("{\"user_id\":\"u1\",\"event_name\":\"e\"}\n{\"user_id\":\"u2\",\"event_name\":\"e\"}\n{bad\n");
        await run.Input.FlushAsync();
        await run.WaitForStderrAsync("line 3: ", Bound);
        run.Signal("HUP");
        int exit = await run.WaitForExitAsync(Bound);

        Assert.True(exit == ExitCodes.HungUp, $"exit {exit}\n{run.Stderr}");
        Assert.Contains("sluice: SIGHUP: reading stopped after line 3;", run.Stderr, StringComparison.Ordinal);
        using var summary = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.Equal(2, summary.RootElement.GetProperty("events").GetProperty("delivered").GetInt64());
        Assert.Equal(3, summary.RootElement.GetProperty("resume").GetProperty("skip_lines").GetInt64());
    }

    [Fact]
    public async Task Standard_output_lost_keeps_the_exit_code_of_a_send_that_did_not_succeed()
    {
        using var run = SluiceProcess.StartRedirected(">/dev/full", "send", "-i", _input, "-o", Path.Combine(_dir.Path, "out"), "-q");
        int exit = await run.WaitForExitAsync(Bound);

        Assert.True(exit == ExitCodes.NotAllDelivered, $"exit {exit}\n{run.Stderr}");
        Assert.Contains("line 2: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("sluice: standard output could not be written (No space left on device)", run.Stderr, StringComparison.Ordinal);
    }
}
