namespace Sluice;

/// <summary>
/// The result of a Track/Page call: its <see cref="Status"/> and, for an accepted event, its
/// <see cref="Sequence"/> number, which <see cref="SluiceOptions.OnBatchSettled"/> reports again with the
/// event's fate. Sixteen bytes, returned in registers: the call stays allocation-free.
/// Converts implicitly to its <see cref="EnqueueStatus"/>, so <c>engine.Track(...) == EnqueueStatus.Accepted</c> reads as it should.
/// </summary>
public readonly struct EnqueueResult : IEquatable<EnqueueResult>
{
    private readonly long _sequence;

    internal EnqueueResult(EnqueueStatus status, long sequence)
    {
        Status = status;
        _sequence = sequence;
    }

    /// <summary>Whether the event was accepted, refused because the queue was full, or refused at shutdown.</summary>
    public EnqueueStatus Status { get; }

    /// <summary>Whether the event was accepted (it then has a <see cref="Sequence"/> number).</summary>
    public bool IsAccepted => Status == EnqueueStatus.Accepted;

    /// <summary>
    /// The accepted event's number in its engine: the n-th event the engine accepted has number n − 1 (refused
    /// calls take none, so the numbers are dense and unique; an event a drop-oldest queue evicts keeps its number
    /// and is reported evicted). −1 for a refused event.
    /// </summary>
    public long Sequence => Status == EnqueueStatus.Accepted ? _sequence : -1;

    /// <summary>The status alone.</summary>
    public static implicit operator EnqueueStatus(EnqueueResult result) => result.Status;

    /// <summary>The status alone (the named form of the implicit conversion).</summary>
    public EnqueueStatus ToEnqueueStatus() => Status;

    /// <summary>Same status and sequence number.</summary>
    public static bool operator ==(EnqueueResult left, EnqueueResult right) => left.Equals(right);

    /// <summary>Different status or sequence number.</summary>
    public static bool operator !=(EnqueueResult left, EnqueueResult right) => !left.Equals(right);

    /// <summary>Same status and sequence number.</summary>
    public bool Equals(EnqueueResult other) => Status == other.Status && Sequence == other.Sequence;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EnqueueResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Status, Sequence);

    /// <summary>The status, and the sequence number if accepted: <c>Accepted #42</c>, <c>QueueFull</c>.</summary>
    public override string ToString() => IsAccepted ? $"Accepted #{Sequence}" : Status.ToString();
}
