namespace Sluice.Spooling;

/// <summary>
/// The status of a spool directory for <c>sluice spool status</c>: read-only, without its lock, so it
/// works while an engine uses the directory (and says so), and never keeps an engine from starting.
/// </summary>
internal static class SpoolInspector
{
    /// <summary>Reads every segment and acknowledgement file of <paramref name="directory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">There is no such directory, or the path is a file.</exception>
    public static async ValueTask<SpoolStatus> InspectAsync(string directory, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        string full = Path.GetFullPath(directory);
        if (SpoolDirectory.Missing(full) is { } missing)
            throw new DirectoryNotFoundException(missing);

        bool inUse = SpoolDirectory.IsLocked(full);
        var ids = SpoolDirectory.List(full, SpoolDirectory.SegmentExtension);
        var formats = new List<string>();
        int segments = 0, corrupt = 0, torn = 0;
        long batches = 0, events = 0, bytes = 0, damaged = 0, incomplete = 0;
        long? oldest = null;
        for (int i = 0; i < ids.Count; i++)
        {
            SegmentScan scan;
            try
            {
                long limit = i + 1 < ids.Count ? ids[i + 1] : long.MaxValue;
                scan = await SegmentScan.RunAsync(ids[i], SpoolDirectory.SegmentPath(full, ids[i]), SpoolDirectory.AcknowledgementsPath(full, ids[i]),
                    limit, formatTag: null, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                continue; // the engine deleted it meanwhile: all acknowledged
            }

            segments++;
            batches += scan.Live.Count;
            events += scan.LiveEvents;
            bytes += scan.SegmentLength + scan.AcknowledgementsLength;
            if (scan.OldestLiveMs is { } ms)
                oldest = Math.Min(oldest ?? long.MaxValue, ms);
            string? format = scan.Header?.FormatIdentity
                ?? (scan.OtherVersion is { } version ? $"spool layout version {version} (another version of Sluice; this one reads {SegmentHeader.Version})" : null);
            if (format is not null && !formats.Contains(format))
                formats.Add(format);
            foreach (var damage in scan.Damage)
            {
                if (damage.Torn && inUse)
                {
                    incomplete += damage.Length;
                    continue;
                }

                damaged += damage.Length;
                if (damage.Torn)
                    torn++;
                else
                    corrupt++;
            }
        }

        DateTimeOffset? oldestAt = oldest is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
        TimeSpan? age = oldestAt is { } at ? timeProvider.GetUtcNow() - at : null;
        return new SpoolStatus(full, inUse, formats, segments, batches, events, bytes, oldestAt, age, corrupt, torn, damaged, incomplete);
    }
}
