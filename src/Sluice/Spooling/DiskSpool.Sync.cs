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
                    Hold(writer);
                }

                if (acknowledgements)
                {
                    foreach (var segment in _dirtyAcknowledgements)
                    {
                        segment.AcknowledgementsDirty = false;
                        if (segment.AcknowledgementsWriter is { } acks)
                            Hold(acks);
                    }

                    _dirtyAcknowledgements.Clear();
                }
            }

            // The handles are held (not closed until released), so a rotation or deletion meanwhile does no harm.
            Exception? failure = null;
            foreach (var handle in _syncHandles)
            {
                try
                {
                    if (failure is null)
                        _io.FlushToDisk(handle);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failure = e;
                }
                finally
                {
                    handle.DangerousRelease();
                }
            }

            _syncHandles.Clear();
            if (failure is not null)
            {
                lock (_gate)
                {
                    _activeDirty = true; // nothing counts as covered: the next sync tries again
                    Fail(failure, "syncing to the device");
                }

                EmitDiagnostics();
                return false;
            }

            Volatile.Write(ref _durableThrough, Math.Max(_durableThrough, covered));
            return true;
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
}
