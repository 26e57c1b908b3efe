namespace Sluice.Delivery;

/// <summary>
/// The last failure seen on each endpoint (partition), forgotten when a request to it succeeds: the likely
/// cause named in messages about events that were never sent (they waited behind the failing requests); and
/// whether that failure is one being retried (a 5xx, a timeout, a connection refused), for the health check.
/// </summary>
internal sealed class LastFailures(int partitions)
{
    // Written by senders and probes after each answer (Volatile), read by whoever reports a loss or checks health.
    private readonly string?[] _causes = new string?[partitions];
    private readonly bool[] _retried = new bool[partitions];

    public void Record(int partition, string? cause, bool retried = false)
    {
        Volatile.Write(ref _retried[partition], retried);
        Volatile.Write(ref _causes[partition], cause);
    }

    public string? Of(int partition) => Volatile.Read(ref _causes[partition]);

    /// <summary>Whether the last answer on <paramref name="partition"/>'s endpoint was a transient failure (its batch is retried).</summary>
    public bool Retried(int partition) => Volatile.Read(ref _retried[partition]);
}
