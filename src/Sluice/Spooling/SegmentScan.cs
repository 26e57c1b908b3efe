namespace Sluice.Spooling;

/// <summary>
/// What one segment and its acknowledgement file hold, read from disk without changing them: its
/// header, the batches not acknowledged, and the damage. Shared by the spool's recovery and the
/// read-only status.
/// </summary>
internal sealed class SegmentScan
{
    private SegmentScan(long firstId, string segmentPath, string acknowledgementsPath)
    {
        FirstId = firstId;
        SegmentPath = segmentPath;
        AcknowledgementsPath = acknowledgementsPath;
        Live = new LiveSet(firstId);
    }

    /// <summary>The first batch id, from the file name.</summary>
    public long FirstId { get; }

    public string SegmentPath { get; }

    public string AcknowledgementsPath { get; }

    /// <summary>The header, or null if it is damaged or missing.</summary>
    public SegmentHeader? Header { get; private set; }

    /// <summary>The layout version of a segment written by another version of Sluice (its header intact), which is not read; null if none.</summary>
    public ushort? OtherVersion { get; private set; }

    /// <summary>Batches on disk and not acknowledged.</summary>
    public LiveSet Live { get; }

    public long LiveEvents { get; private set; }

    /// <summary>Bytes of the live batches' records.</summary>
    public long LiveBytes { get; private set; }

    /// <summary>When the oldest live batch was appended (Unix milliseconds), or null if none is live.</summary>
    public long? OldestLiveMs { get; private set; }

    /// <summary>The highest batch id seen in either file, or -1.</summary>
    public long MaxId { get; private set; } = -1;

    /// <summary>Format tags of intact records that differ from the expected one.</summary>
    public HashSet<uint> ForeignTags { get; } = [];

    /// <summary>The segment file's length.</summary>
    public long SegmentLength { get; private set; }

    /// <summary>The acknowledgement file's length (0 if there is none).</summary>
    public long AcknowledgementsLength { get; private set; }

    /// <summary>Damage in either file, in file order.</summary>
    public List<DamageRegion> Damage { get; } = [];

    /// <summary>
    /// Reads both files. Records whose ids are outside [first id, <paramref name="idLimit"/>) or not
    /// increasing are counted as damage; so are records of another format when <paramref name="formatTag"/> is given.
    /// </summary>
    /// <exception cref="FileNotFoundException">The segment file disappeared (another process deleted it).</exception>
    public static async ValueTask<SegmentScan> RunAsync(long firstId, string segmentPath, string acknowledgementsPath, long idLimit, uint? formatTag, CancellationToken cancellationToken)
    {
        var scan = new SegmentScan(firstId, segmentPath, acknowledgementsPath);
        var acknowledged = new HashSet<long>();
        if (File.Exists(acknowledgementsPath))
        {
            var acks = FrameReader.Open(acknowledgementsPath, segmentFile: false);
            await using var acksScope = acks.ConfigureAwait(false);
            scan.AcknowledgementsLength = await ReadAllAsync(acks, scan, acknowledgementsPath, onFrame: (reader, kind) =>
            {
                if (kind == FrameKind.Acknowledgement)
                {
                    acknowledged.Add(reader.AcknowledgedId);
                    scan.MaxId = Math.Max(scan.MaxId, reader.AcknowledgedId);
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        long previousId = firstId - 1;
        var segment = FrameReader.Open(segmentPath, segmentFile: true);
        await using var segmentScope = segment.ConfigureAwait(false);
        scan.SegmentLength = await ReadAllAsync(segment, scan, segmentPath, onFrame: (reader, kind) =>
        {
            if (kind == FrameKind.SegmentHeader)
            {
                scan.Header = reader.Header;
                return;
            }

            if (kind == FrameKind.OtherVersionHeader)
            {
                scan.OtherVersion = reader.OtherVersion;
                return;
            }

            if (kind != FrameKind.Batch)
                return;
            var batch = reader.Batch;
            if (batch.BatchId <= previousId || batch.BatchId >= idLimit)
            {
                // Intact but out of place: not a record this segment can hold. Counted, never replayed.
                scan.Damage.Add(new DamageRegion(segmentPath, reader.Offset, reader.Length, Torn: false));
                return;
            }

            if (formatTag is { } expected && batch.FormatTag != expected)
                scan.ForeignTags.Add(batch.FormatTag);
            previousId = batch.BatchId;
            scan.MaxId = Math.Max(scan.MaxId, batch.BatchId);
            if (acknowledged.Contains(batch.BatchId))
                return;
            scan.Live.Add(batch.BatchId);
            scan.LiveEvents += batch.EventCount;
            scan.LiveBytes += batch.RecordLength;
            scan.OldestLiveMs = Math.Min(scan.OldestLiveMs ?? long.MaxValue, batch.AppendedAtMs);
        }, cancellationToken).ConfigureAwait(false);
        return scan;
    }

    // Reads every frame, records the damage, and returns the file's length.
    private static async ValueTask<long> ReadAllAsync(FrameReader reader, SegmentScan scan, string path, Action<FrameReader, FrameKind> onFrame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var kind = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            switch (kind)
            {
                case FrameKind.End:
                    return reader.Offset;
                case FrameKind.OtherVersionHeader:
                    // What follows is neither records this code reads nor damage: the file is left to the version that wrote it.
                    onFrame(reader, kind);
                    return new FileInfo(path).Length;
                case FrameKind.Damaged:
                case FrameKind.TornTail:
                    scan.Damage.Add(new DamageRegion(path, reader.Offset, reader.Length, kind == FrameKind.TornTail));
                    break;
                default:
                    onFrame(reader, kind);
                    break;
            }
        }
    }
}
