namespace Sluice.Spooling;

/// <summary>What a spool found on disk when it opened.</summary>
/// <param name="Batches">Batches spooled before and not acknowledged: what the replay reads.</param>
/// <param name="Events">Their events.</param>
/// <param name="Bytes">Their records' bytes.</param>
/// <param name="CorruptRecords">Damaged regions skipped (each one record, or several when a damaged length hid where the next began).</param>
/// <param name="CorruptBytes">Bytes in them.</param>
/// <param name="TornTails">Files whose tail was a write cut short, truncated.</param>
/// <param name="TornBytes">Bytes truncated.</param>
/// <param name="EvictedBatches">Batches evicted because the spool was over its byte cap (a smaller cap than before).</param>
/// <param name="EvictedEvents">Their events.</param>
internal readonly record struct SpoolRecovery(
    long Batches, long Events, long Bytes, int CorruptRecords, long CorruptBytes, int TornTails, long TornBytes, long EvictedBatches, long EvictedEvents);
