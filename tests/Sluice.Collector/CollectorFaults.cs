using System.Runtime.CompilerServices;

namespace Sluice.Collector;

/// <summary>
/// Faults injected on demand (from tests, or through <c>/_collector/faults/...</c>). Each applies to
/// the next requests of one API (<c>api: null</c> = any API), in this order: delay, drop the
/// connection, fail with a status; then, past the proxy limit, 413; then the API's own checks, where
/// <see cref="RejectEventsContaining"/> and <see cref="RequireCredential"/> take part. Thread-safe.
/// </summary>
public sealed class CollectorFaults
{
    private readonly CollectorCredentials _credentials;
    private volatile string? _poisonMarker;

    // Boxed so that "no limit" (null) and a limit are one atomic reference.
    private volatile StrongBox<int>? _proxyLimit;

    internal CollectorFaults(CollectorCredentials credentials) => _credentials = credentials;

    internal FaultQueue<TimeSpan> Delays { get; } = new();

    internal FaultQueue<bool> Drops { get; } = new();

    internal FaultQueue<FailFault> Failures { get; } = new();

    internal FaultQueue<string> Warnings { get; } = new();

    internal FaultQueue<TimeSpan> AnswerHolds { get; } = new();

    internal FaultQueue<bool> AnswerCuts { get; } = new();

    /// <summary>The marker set by <see cref="RejectEventsContaining"/>, if any.</summary>
    public string? PoisonMarker => _poisonMarker;

    /// <summary>The body limit of the simulated proxy, if any.</summary>
    public int? ProxyBodyLimit => _proxyLimit?.Value;

    /// <summary>Fault applications not yet used (delays, drops, failures, warnings).</summary>
    public int Pending => Delays.Pending + Drops.Pending + Failures.Pending + Warnings.Pending + AnswerHolds.Pending + AnswerCuts.Pending;

    /// <summary>
    /// Answers the next <paramref name="count"/> requests with <paramref name="status"/> (and a
    /// <c>Retry-After</c> header if given) before looking at them. The body is the API's error shape;
    /// on the ThriveStack APIs a 2xx status gives <c>200</c> with <c>"success":false</c>.
    /// </summary>
    public void FailNext(int count, int status, string? retryAfter = null, CollectorApi? api = null, string? message = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        Failures.Add(count, api, new FailFault(status, retryAfter, message ?? $"Injected failure {status}."));
    }

    /// <summary>Holds the next <paramref name="count"/> requests for <paramref name="delay"/> before handling them.</summary>
    public void DelayNext(int count, TimeSpan delay, CollectorApi? api = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Delays.Add(count, api, delay);
    }

    /// <summary>
    /// Handles the next <paramref name="count"/> requests as usual — their events are checked and kept, the
    /// request recorded — then holds the answer for <paramref name="delay"/>: a client that gives up first
    /// (a deadline) never learns that its events arrived.
    /// </summary>
    public void HoldAnswerNext(int count, TimeSpan delay, CollectorApi? api = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        AnswerHolds.Add(count, api, delay);
    }

    /// <summary>
    /// Handles the next <paramref name="count"/> requests as usual — their events are checked and kept, the request
    /// recorded — then sends the answer's status, headers and half its body, and closes the connection: the client
    /// has the server's decision but not the whole reply.
    /// </summary>
    public void CutAnswerNext(int count, CollectorApi? api = null) => AnswerCuts.Add(count, api, true);

    /// <summary>Drops the connection of the next <paramref name="count"/> requests without an answer (<c>HttpContext.Abort</c>).</summary>
    public void DropNext(int count, CollectorApi? api = null) => Drops.Add(count, api, true);

    /// <summary>Adds <paramref name="warning"/> to the <c>warnings</c> of the next <paramref name="count"/> successful ThriveStack replies.</summary>
    public void WarnNext(int count, string warning, CollectorApi? api = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(warning);
        Warnings.Add(count, api, warning);
    }

    /// <summary>
    /// Rejects (400, naming the event's index and identity) every request holding an event whose JSON
    /// text contains <paramref name="marker"/> (in a user id, a property...), until cleared with null.
    /// </summary>
    public void RejectEventsContaining(string? marker)
    {
        if (marker is not null)
            ArgumentException.ThrowIfNullOrEmpty(marker);
        _poisonMarker = marker;
    }

    /// <summary>
    /// Simulates a proxy in front of the APIs with a lower body limit: bodies larger than
    /// <paramref name="bytes"/> as received on the wire (compressed, if gzip) are answered 413,
    /// like nginx's <c>client_max_body_size</c>. Null removes it.
    /// </summary>
    public void SetProxyBodyLimit(int? bytes)
    {
        if (bytes is { } b)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b);
        _proxyLimit = bytes is { } limit ? new StrongBox<int>(limit) : null;
    }

    /// <summary>From now on <paramref name="api"/> accepts only <paramref name="credential"/> (its token, key or write key) and answers 401 to the old one.</summary>
    public void RequireCredential(CollectorApi api, string credential) => _credentials.Set(api, credential);

    /// <summary>Clears every pending fault, the marker and the proxy limit (credentials stay as they are).</summary>
    public void Reset()
    {
        Delays.Clear();
        Drops.Clear();
        Failures.Clear();
        Warnings.Clear();
        AnswerHolds.Clear();
        AnswerCuts.Clear();
        _poisonMarker = null;
        _proxyLimit = null;
    }
}
