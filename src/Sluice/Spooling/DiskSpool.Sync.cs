using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Spooling;

/// <summary>Syncs: the appended records and acknowledgements flushed to the device outside the append lock.</summary>
internal sealed partial class DiskSpool
{
    private bool SyncCore(bool acknowledgements, long through = -1)
    {
        if (_options.Sync == SpoolSync.None)
            return true;
        lock (_syncGate)
        {
            // A sync that ran while this one waited for the gate may have covered it already.
            if (through >= 0 && _durableThrough >= through)
                return true;
            long covered;
            SpoolSegment? segment = null;
            lock (_gate)
            {
                if (_disposed)
                    return false;

                // Syncs are serialized by _syncGate and a rotation syncs the segment it closes, so once the active
                // segment's handle is synced, every batch appended so far is durable.
                covered = _nextId - 1;
                if (_activeDirty && _active?.Writer is { } writer)
                {
                    _activeDirty = false;
                    Hold(writer); // first: a failure at index 0 is the segment's
                    segment = _active;
                    (_syncing, _unsynced) = (_unsynced, _syncing);
                }

                if (acknowledgements)
                {
                    foreach (var dirty in _dirtyAcknowledgements)
                    {
                        dirty.AcknowledgementsDirty = false;
                        if (dirty.AcknowledgementsWriter is { } acks)
                            Hold(acks);
                    }

                    _dirtyAcknowledgements.Clear();
                }
            }

            // The handles are held (not closed until released), so a rotation or deletion meanwhile does no harm.
            Exception? failure = null;
            bool appendsFailed = false;
            for (int i = 0; i < _syncHandles.Count; i++)
            {
                var handle = _syncHandles[i];
                try
                {
                    if (failure is null)
                        _io.FlushToDisk(handle);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failure = e;
                    appendsFailed = i == 0 && segment is not null;
                }
                finally
                {
                    handle.DangerousRelease();
                }
            }

            _syncHandles.Clear();
            lock (_gate)
            {
                if (appendsFailed)
                    GiveUpUnsynced(segment!, failure!);
                else
                    _syncing.Clear();
                if (failure is not null)
                    Fail(failure, "syncing to the device");
            }

            EmitDiagnostics();
            if (!appendsFailed)
                Volatile.Write(ref _durableThrough, Math.Max(_durableThrough, covered));
            return failure is null;
        }
    }

    // Under _syncGate and _gate.
    private void Hold(SafeFileHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        if (added)
            _syncHandles.Add(handle);
    }

    /// <summary>
    /// Under _gate. Syncing <paramref name="segment"/> failed: the batches written to it since its last sync are not known to be
    /// on the device, and a second fsync would not tell (Linux reports a failed write-back once, then marks the pages clean). So
    /// the spool gives them up: no longer held (<see cref="Contains"/>), so the engine sends them from memory and counts them as
    /// it would without a spool; counted and reported as lost from the spool; and the next record goes to a new segment. Their
    /// records stay in the file, acknowledged once the engine settles them (<see cref="SpoolSegment.GivenUp"/>): a restart after
    /// a crash sends again those of them it can read, as the only copy left.
    /// </summary>
    private void GiveUpUnsynced(SpoolSegment segment, Exception cause)
    {
        long batches = 0, events = 0, bytes = 0;
        GiveUp(_syncing);
        GiveUp(_unsynced);
        if (segment == _active)
        {
            _activeDirty = false;
            _activeSpoiled = true;
        }

        CountLost(batches, events, bytes, string.Create(CultureInfo.InvariantCulture,
            $"The spool in '{_directory}' could not sync '{Path.GetFileName(segment.SegmentPath)}' to the device ({cause.Message}): its {batches:N0} batch(es) ({events:N0} events) written since the last sync are not known to be on the device, so the spool no longer counts them as held. Those still in memory are sent from there, and counted lost if they cannot be delivered."));

        void GiveUp(List<SpoolTicket> tickets)
        {
            for (int i = tickets.Count - 1; i >= 0; i--)
            {
                var ticket = tickets[i];
                if (ticket.SegmentId != segment.FirstId)
                    continue;
                tickets.RemoveAt(i);
                if (segment.Removed || !segment.Live.Remove(ticket.BatchId))
                    continue; // acknowledged or evicted meanwhile
                (segment.GivenUp ??= new LiveSet(segment.FirstId)).Add(ticket.BatchId);
                segment.LiveEvents -= ticket.EventCount;
                segment.LiveBytes -= ticket.Length;
                (batches, events, bytes) = (batches + 1, events + ticket.EventCount, bytes + ticket.Length);
            }
        }
    }
}
