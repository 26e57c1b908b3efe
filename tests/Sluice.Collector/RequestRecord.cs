namespace Sluice.Collector;

/// <summary>One request an API received, whatever its answer.</summary>
/// <param name="Status">The status answered; 0 if the connection was dropped or the client went away.</param>
/// <param name="WireBytes">Body bytes as received (compressed, if gzip); -1 if the body was not read.</param>
/// <param name="Bytes">Body bytes decompressed: what the 2,097,152-byte limit counts; -1 if not read.</param>
/// <param name="Events">Events in the body; -1 if it was not parsed that far.</param>
/// <param name="Gzip">Whether the body came with <c>Content-Encoding: gzip</c>.</param>
/// <param name="SentAt">The envelope's <c>sentAt</c> (batch API), as sent.</param>
/// <param name="Message">The reply's message: why it was refused, or which fault applied.</param>
public sealed record RequestRecord(int Status, long WireBytes, long Bytes, int Events, bool Gzip, string? SentAt, string Message);
