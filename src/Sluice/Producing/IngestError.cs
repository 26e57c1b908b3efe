namespace Sluice.Producing;

/// <summary>One NDJSON line that was not accepted, reported while the rest of the input goes on.</summary>
/// <param name="LineNumber">The line's number in the input, counting from 1 (skipped, blank and refused lines included).</param>
/// <param name="Reason">Why it was refused.</param>
/// <param name="Message">A sentence a person can act on (for an invalid line: what is wrong with it).</param>
public readonly record struct IngestError(long LineNumber, IngestRefusal Reason, string Message);
