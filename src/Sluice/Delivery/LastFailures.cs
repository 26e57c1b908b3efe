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
    private readonly long[] _acceptedSentAt = new long[partitions];

    /// <summary>
    /// An answer from <paramref name="partition"/>'s endpoint to a request sent at <paramref name="sentAt"/> (a timestamp): a
    /// failure's <paramref name="cause"/>, or null for a success; <paramref name="retried"/> if the failure is retried.
    /// </summary>
    public void Record(int partition, string? cause, bool retried, long sentAt)
    {
        Volatile.Write(ref _retried[partition], retried);
        Volatile.Write(ref _causes[partition], cause);
        if (cause is null)
        {
            LatestTime.Raise(ref _acceptedSentAt[partition], sentAt); // whatever order the answers come in
        }
    }

    /// <summary>When the latest request that <paramref name="partition"/>'s endpoint accepted was sent (a timestamp; 0 if none was).</summary>
    public long AcceptedSentAt(int partition) => Volatile.Read(ref _acceptedSentAt[partition]);

    public string? Of(int partition) => Volatile.Read(ref _causes[partition]);

    /// <summary>Whether the last answer on <paramref name="partition"/>'s endpoint was a transient failure (its batch is retried).</summary>
    public bool Retried(int partition) => Volatile.Read(ref _retried[partition]);
}
