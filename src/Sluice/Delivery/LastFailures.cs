namespace Sluice.Delivery;

/// <summary>
/// The last failure seen on each endpoint (partition), forgotten when a request to it succeeds: the likely
/// cause named in messages about events that were never sent (they waited behind the failing requests).
/// </summary>
internal sealed class LastFailures(int partitions)
{
    // Written by senders and probes after each answer (Volatile), read by whoever reports a loss.
    private readonly string?[] _causes = new string?[partitions];

    public void Record(int partition, string? cause) => Volatile.Write(ref _causes[partition], cause);

    public string? Of(int partition) => Volatile.Read(ref _causes[partition]);
}
