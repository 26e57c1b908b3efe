using System.Buffers;

namespace Sluice.Diagnostics;

/// <summary>
/// Hands settled events to <see cref="SluiceOptions.OnBatchSettled"/>, guarded: an exception from the callback is
/// reported as <see cref="DiagnosticKind.CallbackFailed"/> and never reaches delivery. With no callback every
/// method returns at once, and nothing per event is written anywhere (<see cref="Listening"/>).
/// Thread-safe, except the queued-loss buffer, which is the serializer's.
/// </summary>
internal sealed class FateReporter(BatchSettledCallback? callback, Action<DiagnosticEvent> diagnose)
{
    private const int LostChunk = 1024;

    // Serializer only: sequences read from the queue after the shutdown deadline, reported in chunks.
    private long[]? _lost;
    private int _lostCount;

    /// <summary>Whether anyone listens: batches then carry their events' sequence numbers and outcomes.</summary>
    public bool Listening => callback is not null;

    /// <summary>Reports settled events; never throws.</summary>
    public void Report(in SettledEvents settled)
    {
        if (callback is null || settled.Count == 0)
            return;
        try
        {
            callback(in settled);
        }
        catch (Exception ex)
        {
            diagnose(new DiagnosticEvent(DiagnosticKind.CallbackFailed,
                $"The OnBatchSettled callback threw for {settled.Count} event(s) (sequence {settled.Sequences[0]} and on): {ex.GetType().Name}: {ex.Message}. Delivery goes on.",
                settled.Count, ex));
        }
    }

    /// <summary>One event that never reached a batch (<paramref name="partition"/> −1 if it never left the queue).</summary>
    public void Single(int partition, long sequence, EventOutcome outcome, string? message)
    {
        if (callback is null)
            return;
        string?[]? messages = message is null ? null : [message];
        Report(new SettledEvents(partition, -1, new ReadOnlySpan<long>(in sequence), new ReadOnlySpan<EventOutcome>(in outcome), messages, null));
    }

    /// <summary>A drop-oldest queue evicted event <paramref name="sequence"/> (on the caller's thread that made room).</summary>
    public void Evicted(long sequence) => Single(-1, sequence, EventOutcome.Evicted, null);

    /// <summary>Serializer: event <paramref name="sequence"/> was read from the queue after the shutdown deadline; reported lost in chunks (<see cref="FlushLost"/>).</summary>
    public void QueuedLost(long sequence)
    {
        if (callback is null)
            return;
        _lost ??= new long[LostChunk];
        _lost[_lostCount++] = sequence;
        if (_lostCount == LostChunk)
            FlushLost(null);
    }

    /// <summary>Serializer: reports the buffered queued losses, naming <paramref name="cause"/> as the last failure.</summary>
    public void FlushLost(string? cause)
    {
        if (_lostCount == 0)
            return;
        var outcomes = ArrayPool<EventOutcome>.Shared.Rent(_lostCount);
        outcomes.AsSpan(0, _lostCount).Fill(EventOutcome.Lost);
        Report(new SettledEvents(-1, -1, _lost.AsSpan(0, _lostCount), outcomes.AsSpan(0, _lostCount), default, cause));
        ArrayPool<EventOutcome>.Shared.Return(outcomes);
        _lostCount = 0;
    }

    /// <summary>Events of an open batch <paramref name="partition"/> dropped at the shutdown deadline, before it was sealed.</summary>
    public void OpenLost(int partition, ReadOnlySpan<long> sequences, string? cause)
    {
        if (callback is null || sequences.IsEmpty)
            return;
        var outcomes = ArrayPool<EventOutcome>.Shared.Rent(sequences.Length);
        outcomes.AsSpan(0, sequences.Length).Fill(EventOutcome.Lost);
        Report(new SettledEvents(partition, -1, sequences, outcomes.AsSpan(0, sequences.Length), default, cause));
        ArrayPool<EventOutcome>.Shared.Return(outcomes);
    }
}
