namespace Sluice.Spooling;

/// <summary>What a spool directory holds, read without changing it (<see cref="SpoolInspector"/>).</summary>
/// <param name="DirectoryPath">The directory (full path).</param>
/// <param name="InUse">
/// Whether an engine holds the directory now. Then the figures are a snapshot of files being written:
/// a record being appended is not damage, and is counted in <see cref="IncompleteBytes"/>.
/// </param>
/// <param name="Formats">The wire formats the segments were written for (their identities), normally one.</param>
/// <param name="Segments">Segment files.</param>
/// <param name="Batches">Batches not acknowledged: what a start or a drain would send.</param>
/// <param name="Events">Their events.</param>
/// <param name="Bytes">Bytes of every spool file.</param>
/// <param name="OldestAppendedAt">When the oldest of those batches was written, or null if there is none.</param>
/// <param name="OldestAge">How long ago that was, by the inspector's clock.</param>
/// <param name="CorruptRecords">Damaged regions an engine would skip.</param>
/// <param name="TornTails">Files ending in a write cut short, which an engine would truncate (none counted while in use).</param>
/// <param name="DamagedBytes">Bytes in both.</param>
/// <param name="IncompleteBytes">While in use: bytes at the ends of files still being written.</param>
internal sealed record SpoolStatus(
    string DirectoryPath, bool InUse, IReadOnlyList<string> Formats, int Segments, long Batches, long Events, long Bytes,
    DateTimeOffset? OldestAppendedAt, TimeSpan? OldestAge, int CorruptRecords, int TornTails, long DamagedBytes, long IncompleteBytes);
