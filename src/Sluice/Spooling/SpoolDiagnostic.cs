namespace Sluice.Spooling;

/// <summary>Something the spool found or did that a person should know; the engine passes it to its diagnostics.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A sentence a person can act on, naming the file or directory.</param>
/// <param name="Batches">Batches it concerns (evicted ones), when known.</param>
/// <param name="Events">Events it concerns, when known.</param>
/// <param name="Bytes">Bytes it concerns (damaged, truncated, evicted).</param>
/// <param name="Exception">The underlying exception, if any.</param>
internal readonly record struct SpoolDiagnostic(SpoolDiagnosticKind Kind, string Message, long Batches = 0, long Events = 0, long Bytes = 0, Exception? Exception = null);
