using Sluice.Batching;

namespace Sluice.Delivery;

/// <summary>
/// Counts the batch bodies delivery holds (sealed batches handed over, sub-batches cut for a send) and
/// returns each one's memory through <see cref="Release"/>, so a leak shows: after a shutdown that did not
/// have to write a stuck send off, <see cref="Held"/> is zero. Thread-safe.
/// </summary>
internal sealed class BodyLedger
{
    // Incremented and decremented by the serializer, senders and probes (interlocked); read by tests.
    private int _held;

    public int Held => Volatile.Read(ref _held);

    /// <summary>Delivery now holds <paramref name="body"/>.</summary>
    public Batch Take(Batch body)
    {
        Interlocked.Increment(ref _held);
        return body;
    }

    /// <summary>Returns <paramref name="body"/>'s memory; once per body taken.</summary>
    public void Release(Batch body)
    {
        body.Release();
        Interlocked.Decrement(ref _held);
    }
}
