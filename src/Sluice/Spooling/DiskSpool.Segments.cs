using System.Globalization;

namespace Sluice.Spooling;

/// <summary>The spool's segments: room made at the byte cap, rotation to a new segment, eviction and deletion of old ones.</summary>
internal sealed partial class DiskSpool
{
    // Under _gate. Makes room for a record at the byte cap: the oldest segments go first; when only the
    // active one stands in the way, a new segment is started so that it can go too.
    private void MakeRoom(long recordLength)
    {
        while (_diskBytes + recordLength > _options.MaxBytes)
        {
            if (_segments.Count > 1)
                Evict(_segments[0]);
            else if (_active!.Records > 0)
                Rotate();
            else
                break;
        }
    }

    // Under _gate. Starts a new active segment; the old one is synced (unless the policy is None), closed,
    // and deleted if nothing in it is live. Throws IOException if the old one cannot be synced (its unsynced batches given
    // up) or the new one cannot be made (nothing changed).
    private void Rotate()
    {
        var old = _active;
        if (old?.Writer is not null && _activeDirty && _options.Sync != SpoolSync.None)
        {
            try
            {
                _io.FlushToDisk(old.Writer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                GiveUpUnsynced(old, e);
                throw;
            }

            _activeDirty = false;
            _unsynced.Clear(); // all of the old segment's: the new one has none yet
        }

        var next = new SpoolSegment(_nextId, _directory, new LiveSet(_nextId));
        byte[] header = new SegmentHeader(_nextId, _time.GetUtcNow().ToUnixTimeMilliseconds(), _formatIdentity).ToBytes();
        var writer = _io.OpenWrite(next.SegmentPath, createNew: true);
        try
        {
            _io.Write(writer, header, 0);
        }
        catch (Exception)
        {
            writer.Dispose();
            DeleteFile(next.SegmentPath);
            throw;
        }

        next.Writer = writer;
        next.Length = header.Length;
        _activeSpoiled = false;
        _diskBytes += header.Length;
        _segments.Add(next);
        _active = next;
        _activeDirty = true;
        if (old is not null)
        {
            old.Writer?.Dispose();
            old.Writer = null;
            if (old.Done)
                RemoveSegment(old);
        }
    }

    // Under _gate.
    private void Evict(SpoolSegment segment)
    {
        long batches = segment.Live.Count, events = segment.LiveEvents, bytes = segment.DiskBytes;
        RemoveSegment(segment);
        CountLost(batches, events, bytes, string.Create(CultureInfo.InvariantCulture,
            $"The spool in '{_directory}' reached its cap of {_options.MaxBytes:N0} bytes: its oldest segment ({Path.GetFileName(segment.SegmentPath)}) was deleted with {batches:N0} batches ({events:N0} events) not yet delivered."));
    }

    /// <summary>
    /// A live segment's file is gone, deleted by something other than this spool (an operator, a cleaner, the directory removed
    /// under the engine), or truncated (<paramref name="what"/>): its batches are lost, counted and reported as evicted ones are,
    /// so that they are no longer counted as waiting in the spool. Writes to an unlinked file still succeed, so the next append
    /// starts a new segment; if the directory is gone too, that fails and writing is suspended (batches go from memory only,
    /// and are counted as such).
    /// </summary>
    internal void Vanished(SpoolSegment segment, Exception cause, string what = "deleted")
    {
        lock (_gate)
        {
            if (_disposed || segment.Removed)
                return; // deleted or evicted by this spool meanwhile
            long batches = segment.Live.Count, events = segment.LiveEvents, bytes = segment.DiskBytes;
            Forget(segment);
            CountLost(batches, events, bytes, string.Create(CultureInfo.InvariantCulture,
                $"The spool file '{segment.SegmentPath}' was {what} by something other than this spool ({cause.Message}): its {batches:N0} batch(es) ({events:N0} events) not yet delivered were lost with it."));
        }

        EmitDiagnostics();
    }

    // Under _gate.
    private void CountLost(long batches, long events, long bytes, string message)
    {
        if (batches == 0)
            return;
        _evictedBatches += batches;
        _evictedEvents += events;
        Report(new SpoolDiagnostic(SpoolDiagnosticKind.Evicted, message, batches, events, bytes));
    }

    // Under _gate. With `acknowledged`, the batch whose acknowledgement the deletion is (its segment's last live one).
    private void RemoveSegment(SpoolSegment segment, SpoolTicket? acknowledged = null)
    {
        segment.CloseFiles();

        // The segment first: acknowledgements left without it are deleted on the next open, while a segment left without
        // its acknowledgements would have every batch in it sent again. So one that cannot be deleted (held open by another
        // program), which the next open reads again, keeps them, and gets the acknowledgement its deletion was to be.
        if (DeleteFile(segment.SegmentPath))
            DeleteFile(segment.AcknowledgementsPath);
        else if (acknowledged is { } ticket)
        {
            WriteAcknowledgement(segment, ticket);
            SyncAcknowledgementsNow(segment);
        }

        Forget(segment); // closes the acknowledgements too, if one was written here
    }

    // Under _gate. The segment leaves the spool's books: acknowledgements and the replay skip it.
    private void Forget(SpoolSegment segment)
    {
        segment.CloseFiles();
        segment.Removed = true;
        _segments.Remove(segment);
        if (segment == _active)
            _active = null;
        _dirtyAcknowledgements.Remove(segment);
        _diskBytes -= segment.DiskBytes;
    }

    // Under _gate. The segment leaves the list the next Sync covers, so the acknowledgements written since the last one are
    // synced here, or a crash could take them and the next open would send those batches again. It holds the gate for one
    // device sync, but only on this rare path (a segment that could not be deleted).
    private void SyncAcknowledgementsNow(SpoolSegment segment)
    {
        if (!segment.AcknowledgementsDirty || segment.AcknowledgementsWriter is not { } acknowledgements)
            return;
        try
        {
            _io.FlushToDisk(acknowledgements);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.AcknowledgementFailed,
                $"The acknowledgements in '{segment.AcknowledgementsPath}' could not be synced ({e.Message}): after a crash, its batches may be sent again.",
                Exception: e));
        }
    }

    // Under _gate. False if the file is still there (reported).
    private bool DeleteFile(string path)
    {
        try
        {
            _io.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.FileFailed,
                $"The spool file '{path}' could not be deleted ({e.Message}); the next start reads it again.", Exception: e));
            return false;
        }
    }
}
