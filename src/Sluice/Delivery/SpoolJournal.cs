using Sluice.Batching;
using Sluice.Spooling;

namespace Sluice.Delivery;

/// <summary>
/// The engine's side of the disk spool: sealed batches are appended before they are queued for sending, synced
/// before their first send (under <see cref="SpoolSync.PerBatch"/>), and acknowledged once every event reached a
/// final state, unless some were left to the spool (<see cref="Batch.KeepInSpool"/>). Disk trouble never throws
/// from here: the spool returns it as a status and reports it, and the batch goes from memory. Thread-safe.
/// </summary>
internal sealed class SpoolJournal(DiskSpool spool, SpoolSync sync, KeptBatches kept, SpooledEventsCallback? appended = null)
{
    public DiskSpool Disk => spool;

    /// <summary>The batches left in the spool when their retries ran out, to be sent again.</summary>
    public KeptBatches Kept => kept;

    /// <summary>
    /// Serializer: writes the sealed batch to the spool, straight from its pooled memory. False if it is not spooled; with
    /// <paramref name="evict"/> false, also when it does not fit under the cap without evicting older batches.
    /// </summary>
    public bool Append(Batch batch, bool evict = true)
    {
        if (spool.TryAppend(batch.Partition, batch.Body, batch.EventEnds, out var ticket, evict) != SpoolAppendStatus.Appended)
            return false;
        batch.SpoolTicket = ticket;
        appended?.Invoke(batch.Sequences);
        return true;
    }

    /// <summary>
    /// Sender, before a batch's first send: under <see cref="SpoolSync.PerBatch"/> makes it durable, unless a sync already
    /// did (one fsync covers every batch appended before it, so the senders of the batches sealed meanwhile share it).
    /// A failed sync is reported by the spool; the batch goes anyway.
    /// </summary>
    public void BeforeSend(Batch batch)
    {
        if (batch.SpoolDurable || batch.SpoolTicket is not { } ticket)
            return;
        if (sync == SpoolSync.PerBatch)
            spool.SyncAppendsThrough(ticket.BatchId);
        batch.SpoolDurable = true;
    }

    /// <summary>
    /// Whether the spool still holds the batch (appended, not evicted), on the device unless the policy is <see cref="SpoolSync.None"/>:
    /// then what is not delivered can stay there, counted spooled. Syncs it first if no sync covered it yet (a batch left at the
    /// shutdown deadline before any sender took it, or under <see cref="SpoolSync.Interval"/>); one whose sync fails is no longer held.
    /// </summary>
    public bool Holds(Batch batch) => batch.SpoolTicket is { } ticket && spool.SyncAppendsThrough(ticket.BatchId) && spool.Contains(ticket);

    /// <summary>Whether the spool still holds the batch, as written so far (no sync): for the serializer, which must not wait for the device.</summary>
    public bool StillHolds(Batch batch) => batch.SpoolTicket is { } ticket && spool.Contains(ticket);

    /// <summary>
    /// Every event of the batch is settled: its record is acknowledged, unless some of them were left to the spool; then, if
    /// that was because its retries ran out, it is kept to be sent again (<see cref="KeptBatches"/>), else listed as left there. With
    /// <paramref name="bodyHeld"/> (the caller is the job's owner, which gives the body back only after this), a batch of which
    /// a bisection delivered or had rejected some parts is written again as a record of the parts left, and its own record is
    /// acknowledged, so that a restart sends those parts only (<see cref="TryNarrow"/>).
    /// </summary>
    public void Finished(Batch batch, bool bodyHeld)
    {
        if (batch.SpoolTicket is { } ticket)
        {
            if (!batch.KeepInSpool)
                spool.Acknowledge(ticket);
            else if (batch.RanOutOfRetries)
                Keep(batch, ticket, bodyHeld);
            else
                kept.Leave(ticket, batch.SpooledEvents);
        }

        if (batch.Resent)
            kept.Settled(batch.Partition);
    }

    private void Keep(Batch batch, SpoolTicket ticket, bool bodyHeld)
    {
        // Not if events were left at the shutdown deadline: the parts do not list those (and the next start sends them anyway).
        var parts = batch.SpooledParts;
        if (bodyHeld && parts is not null && parts.Sum(static p => p.Count) == batch.SpooledEvents && batch.SpooledEvents < ticket.EventCount
            && TryNarrow(batch, parts) is { } narrowed)
        {
            spool.Acknowledge(ticket);
            kept.Keep(narrowed, batch.Partition, batch.SpooledEvents);
            return;
        }

        // The record holds every event; this engine sends the parts again, a restart all of it.
        kept.Keep(ticket, batch.Partition, batch.SpooledEvents, parts);
    }

    /// <summary>
    /// Appends the events of <paramref name="parts"/> as a record of their own, in the envelope they go in, and makes it durable
    /// before the batch's own record may be acknowledged (a crash in between leaves both: sent twice, never lost). Null if the
    /// spool cannot take it without evicting older batches, or fails to write or sync it: the batch's record stays as it is.
    /// </summary>
    private SpoolTicket? TryNarrow(Batch batch, (int Start, int Count)[] parts)
    {
        var narrowed = batch.Slice(parts);
        try
        {
            if (spool.TryAppend(narrowed.Partition, narrowed.Body, narrowed.EventEnds, out var ticket, evict: false) != SpoolAppendStatus.Appended)
                return null;
            if (spool.SyncAppendsThrough(ticket.BatchId))
                return ticket;
            spool.Acknowledge(ticket); // not known to be on the device: the batch's own record stays the one to send
            return null;
        }
        finally
        {
            narrowed.Release();
        }
    }
}
