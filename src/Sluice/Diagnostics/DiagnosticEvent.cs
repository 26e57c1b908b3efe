namespace Sluice.Diagnostics;

/// <summary>One thing worth a user's attention, passed to <see cref="SluiceOptions.OnDiagnostic"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A sentence a person can act on: what happened, to which events, and why.</param>
/// <param name="EventCount">How many events it concerns.</param>
/// <param name="Exception">The underlying exception, if any.</param>
public readonly record struct DiagnosticEvent(DiagnosticKind Kind, string Message, int EventCount = 0, Exception? Exception = null)
{
    /// <summary>How much it matters; fixed per <see cref="Kind"/> (see <see cref="DiagnosticKind"/>).</summary>
    public DiagnosticSeverity Severity => Kind switch
    {
        DiagnosticKind.EndpointResumed or DiagnosticKind.SpoolReplayed or DiagnosticKind.SpoolResumed or DiagnosticKind.LimitRestored => DiagnosticSeverity.Information,
        DiagnosticKind.SendFailed or DiagnosticKind.LimitLowered or DiagnosticKind.ServerWarning or DiagnosticKind.OutcomeUnknown
            or DiagnosticKind.Spooled or DiagnosticKind.SpoolFileFailed or DiagnosticKind.SpoolBacklog => DiagnosticSeverity.Warning,
        DiagnosticKind.InternalError => DiagnosticSeverity.Critical,
        _ => DiagnosticSeverity.Error,
    };

    /// <summary>A stable numeric id for the kind (its enum value), for logging event ids.</summary>
    public int EventId => (int)Kind;
}
