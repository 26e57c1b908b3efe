namespace Sluice.Diagnostics;

/// <summary>
/// Accepted events that all reached their terminal state, as <see cref="SluiceOptions.OnBatchSettled"/> reports them:
/// a whole sealed batch once its last event is settled, or events that never reached a sent batch (evicted from the
/// queue, still queued or in an open batch at the shutdown deadline, too large, unserializable).
/// <para>The spans view the engine's pooled memory: valid only during the callback (a <c>ref struct</c> cannot
/// outlive it). Copy what you keep.</para>
/// </summary>
public readonly ref struct SettledEvents
{
    private readonly ReadOnlySpan<string?> _messages;

    internal SettledEvents(int partition, long batchSequence, ReadOnlySpan<long> sequences, ReadOnlySpan<EventOutcome> outcomes,
        ReadOnlySpan<string?> messages, string? lastFailure)
    {
        Partition = partition;
        BatchSequence = batchSequence;
        Sequences = sequences;
        Outcomes = outcomes;
        _messages = messages;
        LastFailure = lastFailure;
    }

    /// <summary>The wire format's partition (endpoint) the events were for; −1 for events that never left the queue (evicted, or queued at the shutdown deadline).</summary>
    public int Partition { get; }

    /// <summary>The sealed batch's <see cref="Batching.Batch.Sequence"/>; −1 for events never sealed into a batch.</summary>
    public long BatchSequence { get; }

    /// <summary>Whether these events were in a sealed batch (handed to the transport, or lost queued for it).</summary>
    public bool IsBatch => BatchSequence >= 0;

    /// <summary>The events' sequence numbers (<see cref="EnqueueResult.Sequence"/>), in batch order: increasing, not necessarily contiguous.</summary>
    public ReadOnlySpan<long> Sequences { get; }

    /// <summary>The outcome of each event, index for index with <see cref="Sequences"/>.</summary>
    public ReadOnlySpan<EventOutcome> Outcomes { get; }

    /// <summary>How many events.</summary>
    public int Count => Sequences.Length;

    /// <summary>
    /// The cause of the last failed attempt to send these events (for example <c>connection refused</c> or
    /// <c>503: busy</c>), even if they were delivered later; null if none failed.
    /// </summary>
    public string? LastFailure { get; }

    /// <summary>
    /// Why event <paramref name="index"/> was not delivered, in the words of the server or transport (a rejected
    /// event: the server's message for it sent alone); null if delivered or nothing more specific than <see cref="LastFailure"/> is known.
    /// </summary>
    public string? MessageOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _messages.IsEmpty ? null : _messages[index];
    }
}
