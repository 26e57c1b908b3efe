namespace Sluice.Collector;

/// <summary>An injected failure: the status, an optional <c>Retry-After</c> value (seconds or an HTTP date, sent verbatim), and the message.</summary>
internal sealed record FailFault(int Status, string? RetryAfter, string Message);
