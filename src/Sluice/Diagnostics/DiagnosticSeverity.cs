namespace Sluice.Diagnostics;

/// <summary>
/// How much a <see cref="DiagnosticEvent"/> matters. The values are those of
/// <c>Microsoft.Extensions.Logging.LogLevel</c> (Trace = 0 … Critical = 5), so a logging bridge can cast
/// one to the other; the core takes no logging dependency.
/// </summary>
public enum DiagnosticSeverity
{
    /// <summary>Detail for tracing the engine's work.</summary>
    Trace = 0,

    /// <summary>Detail for debugging.</summary>
    Debug = 1,

    /// <summary>Normal operation worth knowing about (an endpoint resumed).</summary>
    Information = 2,

    /// <summary>Something went wrong and the engine is handling it (a retry, a lowered limit); or an outcome the caller may want to check.</summary>
    Warning = 3,

    /// <summary>Events did not reach the server (rejected, expired, lost) or an endpoint stopped accepting them.</summary>
    Error = 4,

    /// <summary>The engine itself failed unexpectedly.</summary>
    Critical = 5,
}
