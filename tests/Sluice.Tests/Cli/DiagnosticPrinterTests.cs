using Sluice.Cli;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Cli;

/// <summary>Causes on standard error: readable in a storm of retries, and counted when held back.</summary>
public class DiagnosticPrinterTests
{
    private readonly LockedWriter _stderr = new();
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void The_first_few_of_a_kind_are_printed_then_one_a_second_saying_how_many_were_held_back()
    {
        var printer = new DiagnosticPrinter(new ErrorOutput(_stderr, terminal: false), quiet: false, _clock);
        for (int i = 0; i < 20; i++)
            printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, $"attempt {i}: connection refused"));
        Assert.Equal(DiagnosticPrinter.Burst, Lines().Length);

        _clock.Advance(DiagnosticPrinter.Spacing);
        printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "attempt 20: connection refused"));
        Assert.Equal("sluice: attempt 20: connection refused (15 more like it not shown)", Lines()[^1]);

        printer.Print(new DiagnosticEvent(DiagnosticKind.BatchFailed, "batch 3 expired")); // another kind has its own allowance
        printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "attempt 21"));
        printer.Flush();
        Assert.Equal(["sluice: batch 3 expired", "sluice: 1 more SendFailed message(s) not shown."], Lines()[^2..]);
    }

    [Fact]
    public void Nothing_is_printed_after_the_flush_that_comes_before_the_summary()
    {
        // A second signal leaves the engine running while the process exits: its sends then fail (the transport disposed),
        // and those failures are no cause of anything the summary says.
        var printer = new DiagnosticPrinter(new ErrorOutput(_stderr, terminal: false), quiet: false, _clock);
        printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "attempt 1: connection refused"));
        printer.Flush();
        printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "attempt 2: the transport threw ObjectDisposedException"));
        printer.Flush();
        Assert.Equal(["sluice: attempt 1: connection refused"], Lines());
    }

    [Fact]
    public void Quiet_hides_retries_and_warnings_but_not_failures()
    {
        var printer = new DiagnosticPrinter(new ErrorOutput(_stderr, terminal: false), quiet: true, _clock);
        printer.Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "retrying"));
        printer.Print(new DiagnosticEvent(DiagnosticKind.ServerWarning, "a warning"));
        printer.Print(new DiagnosticEvent(DiagnosticKind.EventRejected, "event rejected: bad field"));
        Assert.Equal(["sluice: event rejected: bad field"], Lines());
    }

    [Fact]
    public void A_message_clears_the_progress_line_first()
    {
        var output = new ErrorOutput(_stderr, terminal: true);
        output.Status("read 10 lines");
        new DiagnosticPrinter(output, quiet: false, _clock).Print(new DiagnosticEvent(DiagnosticKind.SendFailed, "connection refused"));
        Assert.Equal("\rread 10 lines\u001b[K\r\u001b[Ksluice: connection refused" + Environment.NewLine, _stderr.Text);
    }

    [Fact]
    public void Every_endpoint_refused_is_set_only_while_each_endpoint_is_paused()
    {
        // ThriveStack's two endpoints: one refusing leaves the other deliverable; a resumed one is deliverable again.
        var printer = new DiagnosticPrinter(new ErrorOutput(_stderr, terminal: false), quiet: false, _clock, endpoints: 2);
        printer.OnDiagnostic(new DiagnosticEvent(DiagnosticKind.EndpointPaused, "/api/track paused"));
        printer.OnDiagnostic(new DiagnosticEvent(DiagnosticKind.EndpointResumed, "/api/track resumed"));
        printer.OnDiagnostic(new DiagnosticEvent(DiagnosticKind.EndpointPaused, "/api/track paused again"));
        Assert.True(printer.CredentialsRefused.Task.IsCompleted);
        Assert.False(printer.EveryEndpointRefused.Task.IsCompleted);

        printer.OnDiagnostic(new DiagnosticEvent(DiagnosticKind.EndpointPaused, "/api/page paused"));
        Assert.True(printer.EveryEndpointRefused.Task.IsCompleted);
    }

    private string[] Lines() => _stderr.Text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
