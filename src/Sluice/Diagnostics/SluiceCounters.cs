namespace Sluice.Diagnostics;

/// <summary>
/// A snapshot of an engine's accounting. Every accepted event ends in exactly one terminal state,
/// and so does every event a spool replayed or sent again, so <c>Accepted + Replayed + Resent == Evicted + Delivered + Failed + RejectedOversize + RejectedByServer
/// + Expired + OutcomeUnknown + LostAtShutdown + Spooled + InFlight</c>, and <see cref="InFlight"/> is zero once the engine has shut down.
/// </summary>
public readonly record struct SluiceCounters
{
    /// <summary>Track/Page calls that returned <see cref="EnqueueStatus.Accepted"/>.</summary>
    public long Accepted { get; init; }

    /// <summary>Calls refused because the queue was full.</summary>
    public long RefusedQueueFull { get; init; }

    /// <summary>Calls refused because the engine was shutting down.</summary>
    public long RefusedShutdown { get; init; }

    /// <summary>Accepted events pushed out of a full queue by newer ones (drop-oldest mode).</summary>
    public long Evicted { get; init; }

    /// <summary>Batches sealed (closed for count, bytes, linger, flush or shutdown).</summary>
    public long BatchesSealed { get; init; }

    /// <summary>Events in sealed batches.</summary>
    public long EventsSealed { get; init; }

    /// <summary>Bytes of sealed batch bodies, envelopes included.</summary>
    public long BytesSealed { get; init; }

    /// <summary>Events the transport delivered.</summary>
    public long Delivered { get; init; }

    /// <summary>
    /// Request bodies the transport delivered: one per batch, or one per part of a batch that was split (a 400 bisected, a
    /// 413 halved), so it can exceed the batches sealed.
    /// </summary>
    public long BatchesDelivered { get; init; }

    /// <summary>Events that failed for good (a permanent transport failure, or an event that could not be serialized).</summary>
    public long Failed { get; init; }

    /// <summary>Events that alone exceeded the batch byte limit.</summary>
    public long RejectedOversize { get; init; }

    /// <summary>Events the server refused each sent alone (a rejected batch is bisected until that is known).</summary>
    public long RejectedByServer { get; init; }

    /// <summary>Events whose batch ran out of retries, or came for an endpoint paused by a 401/403 that already held all the batches it keeps (never sent).</summary>
    public long Expired { get; init; }

    /// <summary>
    /// Events not delivered when the shutdown deadline passed, that the server does not have: never sent, or
    /// every attempt to send them was answered with a failure. Resending them creates no duplicates.
    /// </summary>
    public long LostAtShutdown { get; init; }

    /// <summary>
    /// Events whose fate is unknown: when the shutdown deadline passed, a request holding them had been sent and
    /// got no answer (cancelled in flight, timed out, its connection broken) or a gateway's 502, 504 or 524. The server may have them.
    /// </summary>
    public long OutcomeUnknown { get; init; }

    /// <summary>
    /// Events left in the disk spool (<see cref="SluiceOptions.Spool"/>): their batch ran out of retries, or was not delivered when the
    /// shutdown deadline passed. Terminal for that batch's send; a running engine sends a batch whose retries ran out again once its
    /// endpoint delivers (<see cref="Resent"/>), and the next engine on the directory (or <c>sluice spool drain</c>) sends what is
    /// left (<see cref="LeftInSpool"/>).
    /// </summary>
    public long Spooled { get; init; }

    /// <summary>
    /// Events of batches this engine left in the spool when their retries ran out (<see cref="Spooled"/>), read back and sent again
    /// once their endpoint delivered another batch, or as a probe while it delivered none; they are settled like accepted ones.
    /// </summary>
    public long Resent { get; init; }

    /// <summary>Events read back from the disk spool at start (spooled by an earlier run) and sent again; they are settled like accepted ones.</summary>
    public long Replayed { get; init; }

    /// <summary>Batches read back from the disk spool at start.</summary>
    public long BatchesReplayed { get; init; }

    /// <summary>Events of batches the spool's byte cap deleted before they were acknowledged, or whose segment file something else deleted (a batch still being sent from memory may yet be delivered).</summary>
    public long SpoolEvicted { get; init; }

    /// <summary>Damaged regions the spool found on open: corrupt records skipped plus torn tails truncated.</summary>
    public long SpoolDamaged { get; init; }

    /// <summary>Send attempts that were retried.</summary>
    public long Retries { get; init; }

    /// <summary>
    /// Events this engine left in the spool (<see cref="Spooled"/>), has not sent again, and the spool still holds: they wait there
    /// for the engine to send them again or for the next start. <c>Spooled - Resent</c>, less the events of the batches it left there that the spool's
    /// byte cap deleted since, or that were lost with a segment file something else deleted (counted in <see cref="SpoolEvicted"/>). Of a kept batch a 400 bisected, some parts delivered or
    /// rejected before its retries ran out, only the parts left in the spool are sent again (and counted in <see cref="Resent"/>).
    /// </summary>
    public long LeftInSpool { get; init; }

    /// <summary>All refused calls.</summary>
    public long Refused => RefusedQueueFull + RefusedShutdown;

    /// <summary>Accepted events not yet in a terminal state (queued, in an open batch, or being sent).</summary>
    public long InFlight => Accepted + Replayed + Resent - Evicted - Delivered - Failed - RejectedOversize - RejectedByServer - Expired - OutcomeUnknown - LostAtShutdown - Spooled;
}
