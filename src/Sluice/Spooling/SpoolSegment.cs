using Microsoft.Win32.SafeHandles;

namespace Sluice.Spooling;

/// <summary>
/// One segment of an open spool: its files and what is live in it. Every mutable field is written
/// and read under the owning <see cref="DiskSpool"/>'s lock.
/// </summary>
internal sealed class SpoolSegment(long firstId, string directory, LiveSet live)
{
    /// <summary>The first batch id this segment may hold; its file name.</summary>
    public long FirstId { get; } = firstId;

    public string SegmentPath { get; } = SpoolDirectory.SegmentPath(directory, firstId);

    public string AcknowledgementsPath { get; } = SpoolDirectory.AcknowledgementsPath(directory, firstId);

    /// <summary>Batches written and not acknowledged.</summary>
    public LiveSet Live { get; } = live;

    /// <summary>
    /// Batches given up after a failed sync (no longer live) and not settled yet: their acknowledgements are still written, so
    /// that a restart does not send again those delivered or counted lost meanwhile. Null until a sync fails.
    /// </summary>
    public LiveSet? GivenUp;

    /// <summary>Nothing in it is waited for: no live batch, none given up and unsettled. It can be deleted once it is not the active one.</summary>
    public bool Done => Live.Count == 0 && (GivenUp is null || GivenUp.Count == 0);

    /// <summary>Events of the live batches.</summary>
    public long LiveEvents;

    /// <summary>Record bytes of the live batches.</summary>
    public long LiveBytes;

    /// <summary>Bytes of the segment file: where the next record goes (active segment).</summary>
    public long Length;

    /// <summary>Bytes of the acknowledgement file: where the next acknowledgement goes.</summary>
    public long AcknowledgementsLength;

    /// <summary>Batches ever written to it (in this process or before); zero for a new segment still empty.</summary>
    public long Records;

    /// <summary>The segment file open for appending: the active segment only.</summary>
    public SafeFileHandle? Writer;

    /// <summary>The acknowledgement file, opened by its first acknowledgement.</summary>
    public SafeFileHandle? AcknowledgementsWriter;

    /// <summary>Acknowledgements written since the last sync.</summary>
    public bool AcknowledgementsDirty;

    /// <summary>Deleted (all acknowledged) or evicted: acknowledgements and the replay skip it.</summary>
    public bool Removed;

    /// <summary>Bytes of both files.</summary>
    public long DiskBytes => Length + AcknowledgementsLength;

    /// <summary>Closes the open files (idempotent).</summary>
    public void CloseFiles()
    {
        Writer?.Dispose();
        Writer = null;
        AcknowledgementsWriter?.Dispose();
        AcknowledgementsWriter = null;
    }
}
