namespace Sluice.Spooling;

/// <summary>A snapshot of an open spool.</summary>
/// <param name="LiveBatches">Batches on disk and not acknowledged.</param>
/// <param name="LiveEvents">Their events.</param>
/// <param name="LiveBytes">Their records' bytes.</param>
/// <param name="DiskBytes">Bytes of every spool file (what the cap counts).</param>
/// <param name="Segments">Segment files.</param>
/// <param name="Appended">Batches written since the spool was opened.</param>
/// <param name="Acknowledged">Batches acknowledged since then.</param>
/// <param name="EvictedBatches">Batches deleted at the byte cap before they were acknowledged (on open included).</param>
/// <param name="EvictedEvents">Their events.</param>
/// <param name="WriteFailures">Appends and syncs that failed.</param>
/// <param name="AcknowledgementFailures">Acknowledgements that could not be written.</param>
/// <param name="Suspended">Whether writing is stopped after a failure.</param>
internal readonly record struct SpoolCounters(
    long LiveBatches, long LiveEvents, long LiveBytes, long DiskBytes, int Segments, long Appended, long Acknowledged,
    long EvictedBatches, long EvictedEvents, long WriteFailures, long AcknowledgementFailures, bool Suspended);
