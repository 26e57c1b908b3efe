namespace Sluice.Producing;

/// <summary>
/// Told of every NDJSON line whose event the engine accepted, in the order of acceptance (which, with
/// the ingest as the engine's only caller, is the order of the queue's tickets): lets a tool map
/// events back to input lines, for a resume point.
/// </summary>
internal interface IAcceptedLines
{
    /// <summary>The event of line <paramref name="lineNumber"/> was accepted as <paramref name="sequence"/> (<see cref="EnqueueResult.Sequence"/>). Called on the reading thread; keep it quick.</summary>
    void Accepted(long lineNumber, long sequence);
}
