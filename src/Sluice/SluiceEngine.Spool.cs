using System.Buffers;
using System.Globalization;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Microsoft.IO;
using Sluice.Spooling;

namespace Sluice;

// The serializer's side of the disk spool: opening it, replaying what an earlier run left, keeping batches on disk only
// while the senders have no room for them (an outage), and, at shutdown, writing everything still queued to it at once.
public sealed partial class SluiceEngine
{
    // Serializer only: batches sealed and written to the spool by SpoolAhead, waiting to be handed to the senders first.
    private readonly Queue<Batch> _spooledAhead = new();

    // Serializer only: batches the spool holds that wait on disk only, their memory given back, oldest first (KeepOnDisk):
    // read back and queued as the senders make room, before any newer batch.
    private readonly Queue<Batch> _onDisk = new();

    // The events of _onDisk: written by the serializer, read by the health check.
    private long _eventsOnDisk;

    // 1 while a task waits for room in the sealed queue to wake the serializer for _onDisk.
    private int _watchingForRoom;

    /// <summary>
    /// Opens the spool and reads it back (torn tails truncated, damage counted). The constructor is synchronous, so it
    /// waits for that here, on the pool: a caller's synchronization context is never captured.
    /// </summary>
    private DiskSpool OpenSpool(SpoolOptions spool)
    {
        string identity = SpoolFormatIdentity.Of(_format);
        return Task.Run(() => DiskSpool.OpenAsync(spool, identity, _time, OnSpoolDiagnostic, _options.SpoolFileIO).AsTask()).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The serializer, before anything else: hands the batches an earlier run left in the spool to the senders, oldest
    /// first, their bodies as written (send-time fields are stamped at each send), one at a time through the bounded
    /// queue, so memory does not grow with the spool. What is not read when shutdown begins stays in the spool.
    /// </summary>
    private async Task ReplayAsync(SpoolJournal spool)
    {
        var recovery = spool.Disk.Recovery;
        if (recovery.Batches == 0)
            return;
        Diagnose(new DiagnosticEvent(DiagnosticKind.SpoolReplayed,
            string.Create(CultureInfo.InvariantCulture, $"The spool in '{spool.Disk.DirectoryPath}' holds {recovery.Batches:N0} batch(es) ({recovery.Events:N0} events) left by an earlier run: they are sent first, as written ") +
            "(the same message ids; a batch sent but not acknowledged before that run ended may arrive twice).", (int)Math.Min(recovery.Events, int.MaxValue)));
        try
        {
            var replay = spool.Disk.OpenReplay();
            await using var _ = replay.ConfigureAwait(false);
            while (Volatile.Read(ref _shutdown) is null && await replay.MoveNextAsync(_abort.Token).ConfigureAwait(false))
            {
                var spooled = replay.Current;
                int[] ends = ArrayPool<int>.Shared.Rent(spooled.EventCount);
                replay.CopyEventEndsTo(ends);
                var body = _assembler.Memory.GetStream(tag: null, requiredSize: spooled.BodyLength);
                replay.CopyBodyTo(body);
                var batch = AdoptSpooled(spooled.Partition, spooled.Ticket, ends, body);
                Volatile.Write(ref _counters.Replayed, _counters.Replayed + spooled.EventCount);
                Volatile.Write(ref _counters.BatchesReplayed, _counters.BatchesReplayed + 1);
                await HandOverAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The shutdown deadline passed: what was not read stays in the spool.
        }
        catch (Exception ex)
        {
            Diagnose(new DiagnosticEvent(DiagnosticKind.InternalError, $"Reading the spool back failed; what was not read stays in it for the next start: {ex.Message}", 0, ex));
        }
    }

    /// <summary>What the spool finds and does, as the engine's diagnostics.</summary>
    private void OnSpoolDiagnostic(SpoolDiagnostic diagnostic)
    {
        if (diagnostic.Kind == SpoolDiagnosticKind.Evicted)
            _spool?.Kept.ForgetEvicted(); // null while the spool opens: nothing is kept yet
        var kind = diagnostic.Kind switch
        {
            SpoolDiagnosticKind.CorruptRecord or SpoolDiagnosticKind.TornTail => DiagnosticKind.SpoolDamaged,
            SpoolDiagnosticKind.Evicted => DiagnosticKind.SpoolEvicted,
            SpoolDiagnosticKind.WritesSuspended => DiagnosticKind.SpoolSuspended,
            SpoolDiagnosticKind.WritesResumed => DiagnosticKind.SpoolResumed,
            _ => DiagnosticKind.SpoolFileFailed,
        };
        Diagnose(new DiagnosticEvent(kind, diagnostic.Message, (int)Math.Min(diagnostic.Events, int.MaxValue), diagnostic.Exception));
    }

    /// <summary>
    /// Serializer: hands a batch to the senders, waiting for room in the sealed queue. With a spool, a newly sealed batch is
    /// appended first (<paramref name="append"/>), and a batch the spool holds waits on disk only, not in memory, while the
    /// senders have no room (see <see cref="KeepOnDiskOrWaitAsync"/>).
    /// </summary>
    private async ValueTask HandOverAsync(Batch batch, bool append = false)
    {
        if (_spool is { } spool && await KeepOnDiskOrWaitAsync(spool, batch, append).ConfigureAwait(false))
            return;
        await _delivery.EnqueueAsync(batch).ConfigureAwait(false);
    }

    /// <summary>
    /// Serializer, with a spool: decides where a batch waits for the senders. True if it waits on disk only (its memory given
    /// back, read back in order as room comes); false if it is to be queued now.
    /// <list type="bullet">
    /// <item>Older batches waiting on disk go first: then this one joins them if the spool takes it without evicting anything;
    /// if not (the spool's cap is reached, or the disk failed), it waits in memory while the backlog is read back as room
    /// comes, and the spool is asked again every <see cref="SluiceOptions.FlushInterval"/> (acknowledgements free room, a
    /// failed disk is tried again after <see cref="DiskSpool.RetryWritesAfter"/>): once it takes the batch, the batch joins
    /// the backlog and the serializer goes on. Once the backlog is all handed over, it goes on as below.</item>
    /// <item>Otherwise it waits for room for <see cref="SluiceOptions.FlushInterval"/>; if none comes (an outage, a stalled
    /// endpoint), it waits on disk, so that the serializer goes on and what callers track reaches the disk, not the memory of
    /// a full event queue that a crash would lose.</item>
    /// <item>Once shutdown begins, everything queued is written to the spool at once (<see cref="SpoolAhead"/>), without evicting
    /// a backlog still on disk, and the batches are queued oldest first, each waiting for room until the deadline; what the
    /// senders do not deliver stays in the spool.</item>
    /// </list>
    /// </summary>
    private async ValueTask<bool> KeepOnDiskOrWaitAsync(SpoolJournal spool, Batch batch, bool append)
    {
        var begun = _shutdownBegun!;
        if (_onDisk.Count > 0 && !begun.IsCancellationRequested)
        {
            await HandOverFromDiskAsync(spool, wait: false).ConfigureAwait(false);
            while (_onDisk.Count > 0 && !begun.IsCancellationRequested)
            {
                // Never evicting: the oldest batches in the spool are the backlog's own.
                if (append && spool.Append(batch, evict: false))
                    append = false;

                if (!append && batch.SpoolTicket is not null && KeepOnDisk(batch))
                    return true;

                if (!append)
                {
                    await HandOverFromDiskAsync(spool, wait: true, begun.Token).ConfigureAwait(false);
                    break;
                }

                // The spool did not take it (at its cap, or writing suspended after a failure). It must not pass the backlog,
                // so it waits in memory while the backlog goes out as the senders make room; but not for the whole outage:
                // the spool is asked again at least every FlushInterval, as room may have been freed or the disk recovered.
                if (await RoomWithinAsync(_options.FlushInterval, begun.Token).ConfigureAwait(false))
                    await HandOverFromDiskAsync(spool, wait: false).ConfigureAwait(false);
            }
        }

        // Not spooled (disk trouble, reported; or the backlog still on disk at shutdown fills the cap): it goes from memory.
        if (append)
            spool.Append(batch, evict: _onDisk.Count == 0);

        while (!begun.IsCancellationRequested)
        {
            var patience = spool.StillHolds(batch) ? _options.FlushInterval : Timeout.InfiniteTimeSpan;
            if (await RoomWithinAsync(patience, begun.Token).ConfigureAwait(false))
                return false;
            if (!begun.IsCancellationRequested && KeepOnDisk(batch))
                return true;
        }

        // Shutdown began while the senders had no room.
        SpoolAhead(spool);
        await HandOverFromDiskAsync(spool, wait: true).ConfigureAwait(false);
        return false;
    }

    /// <summary>Serializer: whether the sealed queue has room within <paramref name="patience"/>; false at once if <paramref name="stop"/> is cancelled.</summary>
    private async ValueTask<bool> RoomWithinAsync(TimeSpan patience, CancellationToken stop)
    {
        if (_delivery.HasRoom)
            return true;
        using var timeout = patience == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(patience, _time);
        using var either = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            return await _delivery.WaitForRoomAsync(either?.Token ?? stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || timeout?.IsCancellationRequested == true)
        {
            return false;
        }
    }

    /// <summary>
    /// Serializer: the batch waits on disk only; its memory goes back to the pool until it is read back. False if the spool gave it
    /// up (its sync failed, or its file was deleted): it then waits in memory, as a batch the spool did not take.
    /// </summary>
    private bool KeepOnDisk(Batch batch)
    {
        _spool!.BeforeSend(batch); // under SpoolSync.PerBatch, synced now (one sync covers the backlog appended so far), not at its first send
        if (!_spool.StillHolds(batch))
            return false;

        if (_onDisk.Count == 0)
        {
            Diagnose(new DiagnosticEvent(DiagnosticKind.SpoolBacklog,
                $"The senders took no batch for {_options.FlushInterval.TotalSeconds:0.###} s (the endpoint is failing or slow): new batches wait in the spool " +
                $"'{_spool!.Disk.DirectoryPath}' only, not in memory, and are read back in order as the senders make room.", batch.EventCount));
        }

        batch.ReleaseBodyToDisk();
        _onDisk.Enqueue(batch);
        Volatile.Write(ref _eventsOnDisk, _eventsOnDisk + batch.EventCount);
        WatchForRoom(); // the loop arms it too before it parks, but not after a batch sealed by a flush or the linger
        return true;
    }

    /// <summary>
    /// Serializer: reads the batches waiting on disk back, oldest first, and queues them: while there is room, or, if
    /// <paramref name="wait"/>, waiting for it until <paramref name="stop"/> is cancelled (with none, until the deadline, as
    /// <see cref="BatchDelivery.EnqueueAsync"/> does). After the deadline, or if one can no longer be read, it is settled
    /// unsent: spooled while the spool holds it, lost if its cap deleted it.
    /// </summary>
    private async ValueTask HandOverFromDiskAsync(SpoolJournal spool, bool wait, CancellationToken stop = default)
    {
        while (_onDisk.Count > 0)
        {
            if (!_delivery.HasRoom && !_abort.IsCancellationRequested)
            {
                if (!wait)
                {
                    WatchForRoom();
                    return;
                }

                if (stop.CanBeCanceled && !await RoomWithinAsync(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false))
                    return;
            }

            var batch = _onDisk.Dequeue();
            Volatile.Write(ref _eventsOnDisk, _eventsOnDisk - batch.EventCount);
            if (await TryReadBackAsync(spool, batch).ConfigureAwait(false))
                await _delivery.EnqueueAsync(batch).ConfigureAwait(false);
            else
                _delivery.SettleUnsent(batch, _abort.IsCancellationRequested ? null : "its record could not be read back from the spool, reported");
        }
    }

    /// <summary>
    /// Serializer, once the backlog on disk is handed over: reads back the batches this engine left in the spool when their
    /// retries ran out and that may go again (their endpoint delivered since, or the oldest as a probe: <see cref="KeptBatches"/>),
    /// and queues them while the senders have room. Each is sent with its body as written, under a sequence number of its own,
    /// and counted in <see cref="SluiceCounters.Resent"/>: its events were counted spooled when it was kept, and settle again.
    /// </summary>
    private async ValueTask ResendKeptAsync(SpoolJournal spool)
    {
        var kept = spool.Kept;
        int batches = 0;
        long events = 0;
        string? endpoint = null;
        while (!_shutdownBegun!.IsCancellationRequested)
        {
            if (!_delivery.HasRoom)
            {
                WatchForRoom();
                break;
            }

            if (!kept.TryTake(out var ticket, out int partition, out var parts))
                break;
            int[] ends = ArrayPool<int>.Shared.Rent(ticket.EventCount);
            if (await ReadBodyAsync(spool, ticket, ends).ConfigureAwait(false) is not { } body)
            {
                // Evicted by the cap or deleted (counted there), damaged (reported), or the deadline passed: it stays as it is.
                ArrayPool<int>.Shared.Return(ends);
                kept.Unread(ticket, partition, parts.Sum(static p => p.Count));
                continue;
            }

            var batch = AdoptSpooled(partition, ticket, ends, body);
            batch.Resent = true;
            batch.SendOnly(parts); // not the parts a bisection delivered or had rejected before its retries ran out
            int resent = parts.Sum(static p => p.Count);
            Volatile.Write(ref _counters.Resent, _counters.Resent + resent);
            (batches, events, endpoint) = (batches + 1, events + resent, batch.EndpointPath);
            await _delivery.EnqueueAsync(batch).ConfigureAwait(false);
        }

        if (batches > 0)
        {
            Diagnose(new DiagnosticEvent(DiagnosticKind.SpoolReplayed,
                string.Create(CultureInfo.InvariantCulture, $"{batches:N0} batch(es) ({events:N0} events{(batches == 1 ? $" to {endpoint}" : "")}) left in the spool '{spool.Disk.DirectoryPath}' when their retries ran out are sent again, as written: ") +
                "their endpoint delivered a batch since, or the oldest goes alone to see whether it does.", (int)Math.Min(events, int.MaxValue)));
        }
    }

    /// <summary>Serializer: puts a batch's body and event ends, read back from the spool, in its memory again; false after the deadline or if it cannot be read.</summary>
    private async ValueTask<bool> TryReadBackAsync(SpoolJournal spool, Batch batch)
    {
        int[] ends = ArrayPool<int>.Shared.Rent(batch.EventCount);
        if (await ReadBodyAsync(spool, batch.SpoolTicket!.Value, ends).ConfigureAwait(false) is not { } body)
        {
            ArrayPool<int>.Shared.Return(ends);
            return false;
        }

        batch.RestoreBody(body, ends);
        return true;
    }

    /// <summary>
    /// Serializer: a spooled batch's body (and its event ends into <paramref name="ends"/>, if given) read into pooled memory;
    /// null after the deadline, or if the record cannot be read (evicted by the cap, or damaged: the spool reports it).
    /// </summary>
    private async ValueTask<RecyclableMemoryStream?> ReadBodyAsync(SpoolJournal spool, SpoolTicket ticket, int[]? ends)
    {
        if (_abort.IsCancellationRequested)
            return null;
        var body = _assembler.Memory.GetStream(tag: null, requiredSize: ticket.Length);
        try
        {
            if (await spool.Disk.TryReadBodyAsync(ticket, body, ends, _abort.Token).ConfigureAwait(false))
                return body;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The deadline passed: the record stays in the spool.
        }

        body.Dispose();
        return null;
    }

    /// <summary>Serializer: a batch for a record the spool holds (replayed or sent again), under a sequence number of this engine's.</summary>
    private Batch AdoptSpooled(int partition, SpoolTicket ticket, int[] ends, RecyclableMemoryStream body)
    {
        var batch = _assembler.Adopt(partition, ticket.EventCount, ends, body);
        batch.SpoolTicket = ticket;
        batch.SpoolDurable = true;
        return batch;
    }

    /// <summary>
    /// While batches wait on disk, wakes the serializer when the senders make room, so it reads them back even if no event
    /// comes. Armed when a batch goes to disk and whenever <see cref="HandOverFromDiskAsync"/> finds no room.
    /// </summary>
    private void WatchForRoom()
    {
        if (Interlocked.Exchange(ref _watchingForRoom, 1) == 0)
            _ = WatchForRoomAsync();
    }

    private async Task WatchForRoomAsync()
    {
        try
        {
            await _delivery.WaitForRoomAsync(_shutdownBegun!.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown began: the serializer hands the backlog over itself.
        }

        Volatile.Write(ref _watchingForRoom, 0);
        _ring.Kick();
    }

    /// <summary>
    /// Shutting down: serializes every record still queued, seals every open batch and writes each sealed batch to the spool,
    /// keeping them in order for the senders. Memory: the batches of what the event queue held, which its capacity bounds.
    /// </summary>
    private void SpoolAhead(SpoolJournal spool)
    {
        Drain(int.MaxValue, stopAtSeal: false);
        _assembler.SealAll();
        while (_assembler.TryTakeSealed(out var batch))
        {
            // Never by evicting batches waiting on disk only: they are in no memory, so evicting them loses them even if the
            // senders deliver everything before the deadline, while this batch can still go from memory. Not spooled (that,
            // or disk trouble, reported): it goes from memory.
            spool.Append(batch, evict: _onDisk.Count == 0);
            _spooledAhead.Enqueue(batch);
        }
    }
}
