namespace Sluice.Diagnostics;

/// <summary>
/// What a <see cref="DiagnosticEvent"/> reports. Names and numeric values are stable: a value is never
/// renumbered or reused, so both can be stored, filtered on, or mapped to a logging event id
/// (<see cref="DiagnosticEvent.EventId"/> is the numeric value). Each kind has one severity
/// (<see cref="DiagnosticEvent.Severity"/>), given in brackets.
/// </summary>
public enum DiagnosticKind
{
    /// <summary>[Error] An event alone exceeded the batch byte limit; it was not sent.</summary>
    EventOversize = 1,

    /// <summary>[Error] An event could not be serialized (for example, a custom wire format threw); it was not sent.</summary>
    EventFailed = 2,

    /// <summary>[Warning] A transport attempt failed; the message says why and whether it will be retried.</summary>
    SendFailed = 3,

    /// <summary>[Error] Events of a batch reached a terminal failure: failed permanently, or expired (out of attempts or retry budget, or beyond the batches a paused endpoint holds), with the last cause.</summary>
    BatchFailed = 4,

    /// <summary>[Error] The server refused an event sent alone (found by bisecting a rejected batch); it was not delivered.</summary>
    EventRejected = 5,

    /// <summary>[Error] An endpoint refused the credentials (401/403): sending to it is paused and it is probed.</summary>
    EndpointPaused = 6,

    /// <summary>[Information] A paused endpoint answered a probe without refusing the credentials (accepted it, or failed it some other way, named): sending to it resumes.</summary>
    EndpointResumed = 7,

    /// <summary>[Warning] An endpoint refused a body as too large (413): its partition's byte limit was lowered, until <see cref="LimitRestored"/>.</summary>
    LimitLowered = 8,

    /// <summary>[Warning] The server accepted a batch but returned warnings.</summary>
    ServerWarning = 9,

    /// <summary>[Error] The shutdown deadline passed before these events were sent, or while every attempt to send them had failed: they are lost (the server does not have them).</summary>
    ShutdownLoss = 10,

    /// <summary>[Critical] An unexpected error inside the engine; the engine carried on.</summary>
    InternalError = 11,

    /// <summary>
    /// [Warning] The shutdown deadline cancelled a request holding these events, or an earlier attempt ended without an
    /// answer (a timeout, a broken connection) or with a gateway's 502 or 504: the server may or may not have them. Resending them may create duplicates.
    /// </summary>
    OutcomeUnknown = 12,

    /// <summary>[Error] The <see cref="SluiceOptions.OnBatchSettled"/> callback threw; delivery went on, the events' outcomes stand.</summary>
    CallbackFailed = 13,

    /// <summary>[Warning] Events were left in the disk spool (out of retries, or not delivered by the shutdown deadline): out of retries, this engine sends them again once the endpoint delivers; else the next engine on the directory does.</summary>
    Spooled = 14,

    /// <summary>[Information] Batches spooled by an earlier run were read back at start and are sent first; or batches this engine kept in the spool when their retries ran out are sent again (<see cref="SluiceCounters.Resent"/>).</summary>
    SpoolReplayed = 15,

    /// <summary>[Error] The spool found a damaged record or a torn tail when it opened: the damage was skipped (counted), the rest is sent.</summary>
    SpoolDamaged = 16,

    /// <summary>[Error] The spool reached its byte cap: its oldest batches were deleted before they were delivered. Or a segment file holding batches not yet delivered was deleted or truncated by something other than the spool (the directory removed under the engine): they are lost. Or a sync to the device failed: the batches written since the last one are not known to be on disk, and are sent from memory only.</summary>
    SpoolEvicted = 17,

    /// <summary>[Error] The spool could not write or sync (the disk is full, or another I/O error): batches are sent from memory only for a while. Given once per suspension, however many retries fail; <see cref="SpoolResumed"/> ends it.</summary>
    SpoolSuspended = 18,

    /// <summary>[Information] The spool is written again after <see cref="SpoolSuspended"/>.</summary>
    SpoolResumed = 19,

    /// <summary>[Warning] A spool file could not be read, deleted or acknowledged in; the spool carried on (a batch may be sent again after a restart).</summary>
    SpoolFileFailed = 20,

    /// <summary>[Warning] The senders took no batch for <see cref="SluiceOptions.FlushInterval"/> (the endpoint is failing or slow): new batches wait in the spool only, not in memory, and are read back in order as the senders make room.</summary>
    SpoolBacklog = 21,

    /// <summary>[Information] An endpoint whose byte limit a 413 lowered (<see cref="LimitLowered"/>) delivered a batch 10 minutes or more after its last 413: its limit is back to <see cref="SluiceOptions.MaxBatchBytes"/>.</summary>
    LimitRestored = 22,
}
