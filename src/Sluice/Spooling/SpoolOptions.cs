using System.Globalization;

namespace Sluice.Spooling;

/// <summary>
/// Settings of the disk spool: where sealed batches are written ahead of sending, how much room
/// they may take and when they are synced to the device. Validated together when the spool opens
/// (every problem reported in one exception); later changes have no effect.
/// </summary>
public sealed class SpoolOptions
{
    /// <summary>The smallest <see cref="SegmentBytes"/> accepted (4 KiB).</summary>
    public const long MinSegmentBytes = 4 * 1024;

    /// <summary>The directory that holds the spool's files; created if missing. One engine per directory.</summary>
    /// <value>Required; no default.</value>
    public string DirectoryPath { get; set; } = "";

    /// <summary>
    /// Bytes the spool's files may take on disk. When a new batch would pass it, the oldest segments
    /// are deleted, and the batches in them not yet acknowledged are counted as evicted.
    /// </summary>
    /// <value>Default 1 GiB (1,073,741,824). At least twice <see cref="SegmentBytes"/>.</value>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>When written batches and acknowledgements are synced to the device.</summary>
    /// <value>Default <see cref="SpoolSync.PerBatch"/>.</value>
    public SpoolSync Sync { get; set; } = SpoolSync.PerBatch;

    /// <summary>
    /// How often the spool syncs on its own: everything under <see cref="SpoolSync.Interval"/>, the
    /// acknowledgements under <see cref="SpoolSync.PerBatch"/>, nothing under <see cref="SpoolSync.None"/>. Under every
    /// policy it also looks, as often, for segment files deleted under it, whose batches it then counts lost.
    /// </summary>
    /// <value>Default 1 second. Range 1 ms – 1 minute.</value>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The size at which the spool starts a new segment file. A segment is deleted once all its
    /// batches are acknowledged, and evicted whole at the byte cap, so this is also the step in which
    /// the cap frees room. A batch larger than this gets a segment of its own.
    /// </summary>
    /// <value>Default 16 MiB (16,777,216). Range 4 KiB – 1 GiB, and at most half of <see cref="MaxBytes"/>.</value>
    public long SegmentBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Adds a sentence to <paramref name="errors"/> for every invalid setting, each naming its property with <paramref name="prefix"/>.</summary>
    internal void CollectErrors(List<string> errors, string prefix)
    {
        const long GiB = 1024L * 1024 * 1024;
        Check(!string.IsNullOrWhiteSpace(DirectoryPath), $"{prefix}{nameof(DirectoryPath)} is required.");
        Check(Enum.IsDefined(Sync), $"{prefix}{nameof(Sync)} is not a defined value (was {(int)Sync}).");
        Check(SyncInterval >= TimeSpan.FromMilliseconds(1) && SyncInterval <= TimeSpan.FromMinutes(1),
            $"{prefix}{nameof(SyncInterval)} must be between 1 ms and 1 minute (was {SyncInterval}).");
        bool segmentInRange = SegmentBytes is >= MinSegmentBytes and <= GiB;
        Check(segmentInRange, string.Create(CultureInfo.InvariantCulture, $"{prefix}{nameof(SegmentBytes)} must be between {MinSegmentBytes:N0} and {GiB:N0} (was {SegmentBytes:N0})."));
        Check(!segmentInRange || MaxBytes / 2 >= SegmentBytes,
            string.Create(CultureInfo.InvariantCulture, $"{prefix}{nameof(MaxBytes)} must be at least twice {nameof(SegmentBytes)} ({SegmentBytes:N0}) (was {MaxBytes:N0})."));

        void Check(bool ok, string error)
        {
            if (!ok) errors.Add(error);
        }
    }

    /// <summary>A copy of these options, or an <see cref="ArgumentException"/> listing every problem.</summary>
    internal SpoolOptions Validated()
    {
        var errors = new List<string>();
        CollectErrors(errors, "");
        if (errors.Count > 0)
            throw new ArgumentException("Invalid spool options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "- " + e)), "options");
        return (SpoolOptions)MemberwiseClone();
    }
}
