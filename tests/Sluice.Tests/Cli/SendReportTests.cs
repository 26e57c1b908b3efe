using Sluice.Cli;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Tests.Cli;

/// <summary>What the end of <c>sluice send --spool</c> says about the spool.</summary>
public sealed class SendReportTests
{
    private static string SpoolLine(SluiceCounters events)
    {
        var report = new SendReport
        {
            Input = "events.ndjson",
            Destination = "http://127.0.0.1:1/v1/batch",
            Format = "segment",
            Spool = "/var/spool/sluice",
            Lines = new IngestSummary { LinesRead = events.Accepted, Accepted = events.Accepted, Completed = true },
            Events = events,
            Elapsed = TimeSpan.FromSeconds(1),
            ResumeAfter = events.Accepted,
            ExitCode = ExitCodes.NotAllDelivered,
        };
        var text = new StringWriter();
        report.WriteText(text, brief: true);
        return Assert.Single(text.ToString().Split('\n'), l => l.StartsWith("spool:", StringComparison.Ordinal)).TrimEnd('\r');
    }

    [Fact]
    public void Kept_batches_sent_again_as_probes_to_an_endpoint_still_down_are_not_said_to_have_found_it_back()
    {
        // 25 events kept; two probes of 10 ran out of retries again and were kept again: the endpoint never came back.
        var line = SpoolLine(new SluiceCounters { Accepted = 25, Spooled = 45, Resent = 20, LeftInSpool = 25 });
        Assert.Equal("spool: 25 events stayed in /var/spool/sluice; 0 events spooled by an earlier run were sent again, " +
            "and 20 events kept in it when retries ran out were sent again (their endpoint delivered, or as a probe).", line);
    }
}
