namespace Sluice.Diagnostics;

/// <summary>
/// The terminal state of an accepted event, as <see cref="SluiceOptions.OnBatchSettled"/> reports it. Each state is
/// counted in its own <see cref="SluiceCounters"/> counter (named in brackets). Values are stable.
/// </summary>
public enum EventOutcome : byte
{
    /// <summary>The server took it [<see cref="SluiceCounters.Delivered"/>].</summary>
    Delivered = 1,

    /// <summary>The server refused it sent alone (400, or 413 for one event); the server's words are its message [<see cref="SluiceCounters.RejectedByServer"/>].</summary>
    Rejected = 2,

    /// <summary>A permanent failure no retry would fix, or the event could not be serialized [<see cref="SluiceCounters.Failed"/>].</summary>
    Failed = 3,

    /// <summary>Out of attempts or retry budget, or its batch came for an endpoint paused by a 401/403 that already held all the batches it keeps (never sent);
    /// the server does not have it, unless an attempt went unanswered [<see cref="SluiceCounters.Expired"/>].</summary>
    Expired = 4,

    /// <summary>The server may or may not have it: the shutdown deadline cancelled its request, or an earlier attempt got no answer or a gateway's 502 or 504 [<see cref="SluiceCounters.OutcomeUnknown"/>].</summary>
    OutcomeUnknown = 5,

    /// <summary>The shutdown deadline passed and the server does not have it: never sent, or every attempt was answered with a failure [<see cref="SluiceCounters.LostAtShutdown"/>].</summary>
    Lost = 6,

    /// <summary>Evicted, never sent, from the full queue to make room for a newer event (<see cref="FullMode.DropOldest"/>) [<see cref="SluiceCounters.Evicted"/>].</summary>
    Evicted = 7,

    /// <summary>Larger than the batch byte limit even alone; never sent [<see cref="SluiceCounters.RejectedOversize"/>].</summary>
    Oversize = 8,

    /// <summary>Left in the disk spool (out of retries, or the shutdown deadline passed): sent again under a sequence number of its own, by this engine once the endpoint delivers if its retries ran out (<see cref="SluiceCounters.Resent"/>), else by the next engine on the directory [<see cref="SluiceCounters.Spooled"/>].</summary>
    Spooled = 9,
}
