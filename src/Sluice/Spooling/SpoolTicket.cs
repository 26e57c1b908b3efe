namespace Sluice.Spooling;

/// <summary>
/// Where a batch is in the spool: what <see cref="DiskSpool.TryAppend"/> and the replay hand out and
/// <see cref="DiskSpool.Acknowledge"/> takes back. Keep it with the batch.
/// </summary>
/// <param name="BatchId">The batch's id: each new one is above every id in the directory, across restarts.</param>
/// <param name="SegmentId">The first batch id of the segment that holds it (its file name).</param>
/// <param name="Offset">The record's offset in the segment file.</param>
/// <param name="Length">The record's length in bytes.</param>
/// <param name="EventCount">The batch's events.</param>
internal readonly record struct SpoolTicket(long BatchId, long SegmentId, long Offset, int Length, int EventCount);
