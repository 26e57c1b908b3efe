using System.Globalization;

namespace Sluice.Spooling;

/// <summary>The spool's start: its segments scanned, a write cut short truncated, the live batches listed for replay.</summary>
internal sealed partial class DiskSpool
{
    private async ValueTask RecoverAsync(CancellationToken cancellationToken)
    {
        var ids = SpoolDirectory.List(_directory, SpoolDirectory.SegmentExtension);
        var scans = new List<SegmentScan>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            long limit = i + 1 < ids.Count ? ids[i + 1] : long.MaxValue;
            scans.Add(await SegmentScan.RunAsync(ids[i], SpoolDirectory.SegmentPath(_directory, ids[i]),
                SpoolDirectory.AcknowledgementsPath(_directory, ids[i]), limit, _formatTag, cancellationToken).ConfigureAwait(false));
        }

        // Refuse a spool of another format or layout before changing anything in it: read as damage, it would be truncated and deleted.
        foreach (var scan in scans)
        {
            if (scan.OtherVersion is { } version)
            {
                throw new InvalidOperationException(
                    $"The spool in '{_directory}' holds {Path.GetFileName(scan.SegmentPath)}, written in spool layout version {version} (by another version of Sluice); "
                    + $"this one reads layout version {SegmentHeader.Version}. Send those batches with the version that wrote them, or give this engine another directory.");
            }

            if (scan.Header is { } header && header.FormatIdentity != _formatIdentity)
                throw ForeignFormat($"'{header.FormatIdentity}' (segment {Path.GetFileName(scan.SegmentPath)})");
            if (scan.ForeignTags.Count > 0)
                throw ForeignFormat($"another format (records tagged {string.Join(", ", scan.ForeignTags.Select(t => t.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)))} in {Path.GetFileName(scan.SegmentPath)}, whose header is damaged)");
        }

        lock (_gate)
        {
            long maxId = -1, maxFirstId = -1;
            int corrupt = 0, torn = 0;
            long corruptBytes = 0, tornBytes = 0;
            foreach (var scan in scans)
            {
                var segment = new SpoolSegment(scan.FirstId, _directory, scan.Live)
                {
                    LiveEvents = scan.LiveEvents,
                    LiveBytes = scan.LiveBytes,
                    Length = scan.SegmentLength,
                    AcknowledgementsLength = scan.AcknowledgementsLength,
                };
                foreach (var damage in scan.Damage)
                {
                    if (damage.Torn)
                    {
                        torn++;
                        tornBytes += damage.Length;
                        Truncate(damage);
                        if (damage.Path == scan.SegmentPath)
                            segment.Length = damage.Offset;
                        else
                            segment.AcknowledgementsLength = damage.Offset;
                    }
                    else
                    {
                        corrupt++;
                        corruptBytes += damage.Length;
                        Report(new SpoolDiagnostic(SpoolDiagnosticKind.CorruptRecord,
                            string.Create(CultureInfo.InvariantCulture, $"The spool file '{damage.Path}' has {damage.Length:N0} damaged bytes at offset {damage.Offset:N0} (a corrupt record); they were skipped and the records around them are intact."),
                            Bytes: damage.Length));
                    }
                }

                _segments.Add(segment);
                _diskBytes += segment.DiskBytes;
                maxId = Math.Max(maxId, scan.MaxId);
                maxFirstId = Math.Max(maxFirstId, scan.FirstId);
            }

            foreach (long orphan in SpoolDirectory.List(_directory, SpoolDirectory.AcknowledgementsExtension).Except(ids))
                DeleteFile(SpoolDirectory.AcknowledgementsPath(_directory, orphan));

            // Ids go on from the highest one seen, or from past the newest segment's name: the new
            // segment is made before empty ones are deleted, so ids keep increasing across restarts.
            _nextId = Math.Max(maxId, maxFirstId) + 1;
            try
            {
                Rotate();
                if (_options.Sync != SpoolSync.None)
                {
                    _io.FlushToDisk(_active!.Writer!);
                    _activeDirty = false;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(e, "starting a new segment");
            }

            // Without a new segment, the empty ones are all that remembers the ids: keep them.
            foreach (var segment in _segments.ToArray())
            {
                if (_active is not null && segment != _active && segment.Live.Count == 0)
                    RemoveSegment(segment);
            }

            long evictedBatches = _evictedBatches, evictedEvents = _evictedEvents;
            while (_diskBytes > _options.MaxBytes && _segments.Count > 0 && _segments[0] != _active)
                Evict(_segments[0]);

            _recovered = [.. _segments.Where(s => s != _active)];
            _recovery = new SpoolRecovery(
                _recovered.Sum(s => (long)s.Live.Count), _recovered.Sum(s => s.LiveEvents), _recovered.Sum(s => s.LiveBytes),
                corrupt, corruptBytes, torn, tornBytes, _evictedBatches - evictedBatches, _evictedEvents - evictedEvents);
        }

        // Under SpoolSync.None too, which syncs nothing: the tick still looks for segment files deleted under the spool, which
        // writes to them would not reveal.
        _syncTimer = _time.CreateTimer(static state => ((DiskSpool)state!).Sync(), this, _options.SyncInterval, _options.SyncInterval);
    }

    private InvalidOperationException ForeignFormat(string found) => new(
        $"The spool in '{_directory}' holds batches written for {found}; this engine writes '{_formatIdentity}'. "
        + "Send them with the format they were written for (sluice spool drain), or give this engine another directory.");

    private void Truncate(DamageRegion damage)
    {
        try
        {
            using var file = _io.OpenWrite(damage.Path, createNew: false);
            _io.SetLength(file, damage.Offset);
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.TornTail,
                string.Create(CultureInfo.InvariantCulture, $"The spool file '{damage.Path}' ended in {damage.Length:N0} bytes of a write cut short (at offset {damage.Offset:N0}); they were truncated."),
                Bytes: damage.Length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.FileFailed,
                string.Create(CultureInfo.InvariantCulture, $"The spool file '{damage.Path}' ends in {damage.Length:N0} bytes of a write cut short (at offset {damage.Offset:N0}) that could not be truncated ({e.Message}); they are skipped."),
                Bytes: damage.Length, Exception: e));
        }
    }
}
