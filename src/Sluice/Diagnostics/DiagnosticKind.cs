namespace Sluice.Diagnostics;

/// <summary>What a <see cref="DiagnosticEvent"/> reports.</summary>
public enum DiagnosticKind
{
    /// <summary>An event alone exceeded the batch byte limit; it was not sent.</summary>
    EventOversize,

    /// <summary>An event could not be serialized (for example, a custom wire format threw); it was not sent.</summary>
    EventFailed,

    /// <summary>A transport attempt failed; the message says whether it will be retried.</summary>
    SendFailed,

    /// <summary>A batch reached a terminal failure state (failed, expired, rejected).</summary>
    BatchFailed,

    /// <summary>The server rejected one event as invalid (found by bisecting a rejected batch); it was not delivered.</summary>
    EventRejected,

    /// <summary>An endpoint refused the credentials (401/403): sending to it is paused and it is probed.</summary>
    EndpointPaused,

    /// <summary>A paused endpoint accepted a probe: sending to it resumes.</summary>
    EndpointResumed,

    /// <summary>An endpoint refused a body as too large (413): its partition's byte limit was lowered.</summary>
    LimitLowered,

    /// <summary>The server accepted a batch but returned warnings.</summary>
    ServerWarning,

    /// <summary>Events were lost because the shutdown deadline passed.</summary>
    ShutdownLoss,

    /// <summary>An unexpected error inside the engine; the engine carried on.</summary>
    InternalError,
}
