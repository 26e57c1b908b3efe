using Sluice.Diagnostics;

namespace Sluice.Tests.Diagnostics;

/// <summary>Diagnostic kinds are stable ids with a fixed severity, mappable to logging levels and event ids.</summary>
public class DiagnosticEventTests
{
    [Fact]
    public void Kinds_keep_their_names_and_numbers()
    {
        // Stored, filtered on and mapped to logging event ids by users: never renumbered or reused.
        string[] expected =
        [
            "EventOversize=1", "EventFailed=2", "SendFailed=3", "BatchFailed=4", "EventRejected=5", "EndpointPaused=6",
            "EndpointResumed=7", "LimitLowered=8", "ServerWarning=9", "ShutdownLoss=10", "InternalError=11", "OutcomeUnknown=12",
            "CallbackFailed=13",
            "Spooled=14", "SpoolReplayed=15", "SpoolDamaged=16", "SpoolEvicted=17", "SpoolSuspended=18", "SpoolResumed=19", "SpoolFileFailed=20",
            "SpoolBacklog=21", "LimitRestored=22",
        ];
        Assert.Equal(expected, Enum.GetValues<DiagnosticKind>().Select(k => $"{k}={(int)k}"));
        Assert.All(Enum.GetValues<DiagnosticKind>(), k => Assert.Equal((int)k, new DiagnosticEvent(k, "m").EventId));
    }

    [Theory]
    [InlineData(DiagnosticKind.EventOversize, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.EventFailed, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.SendFailed, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.BatchFailed, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.EventRejected, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.EndpointPaused, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.EndpointResumed, DiagnosticSeverity.Information)]
    [InlineData(DiagnosticKind.LimitLowered, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.ServerWarning, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.ShutdownLoss, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.InternalError, DiagnosticSeverity.Critical)]
    [InlineData(DiagnosticKind.OutcomeUnknown, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.CallbackFailed, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.Spooled, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.SpoolReplayed, DiagnosticSeverity.Information)]
    [InlineData(DiagnosticKind.SpoolDamaged, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.SpoolEvicted, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.SpoolSuspended, DiagnosticSeverity.Error)]
    [InlineData(DiagnosticKind.SpoolResumed, DiagnosticSeverity.Information)]
    [InlineData(DiagnosticKind.SpoolFileFailed, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.SpoolBacklog, DiagnosticSeverity.Warning)]
    [InlineData(DiagnosticKind.LimitRestored, DiagnosticSeverity.Information)]
    public void Each_kind_has_the_severity_its_documentation_gives(DiagnosticKind kind, DiagnosticSeverity severity) =>
        Assert.Equal(severity, new DiagnosticEvent(kind, "m").Severity);

    [Fact]
    public void Severities_have_the_logging_levels_values()
    {
        // Microsoft.Extensions.Logging.LogLevel: Trace 0, Debug 1, Information 2, Warning 3, Error 4, Critical 5.
        Assert.Equal([0, 1, 2, 3, 4, 5], Enum.GetValues<DiagnosticSeverity>().Select(s => (int)s));
        Assert.Equal(["Trace", "Debug", "Information", "Warning", "Error", "Critical"], Enum.GetNames<DiagnosticSeverity>());
    }
}
