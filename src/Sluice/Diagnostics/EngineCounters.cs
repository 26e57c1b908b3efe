namespace Sluice.Diagnostics;

/// <summary>
/// The live counters behind <see cref="SluiceCounters"/>. Accepted is not counted here: it is the
/// ring's ticket count, which costs the hot path nothing.
/// </summary>
internal sealed class EngineCounters
{
    // Written by producers (interlocked): rare paths only.
    public long RefusedQueueFull;
    public long RefusedShutdown;
    public long Evicted;

    // Written only by the serializer thread; read with Volatile by anyone.
    public long BatchesSealed;
    public long EventsSealed;
    public long BytesSealed;
    public long RejectedOversize;

    // Written by senders and the serializer (interlocked).
    public long Delivered;
    public long BatchesDelivered;
    public long Failed;
    public long RejectedByServer;
    public long Expired;
    public long LostAtShutdown;
    public long OutcomeUnknown;
    public long Spooled;
    public long Retries;

    // Written only by the serializer thread (replaying the spool at start, sending kept batches again); read with Volatile by anyone.
    public long Replayed;
    public long BatchesReplayed;
    public long Resent;

    // Written by whoever finds it (interlocked): events counted spooled of batches the spool lost since (KeptBatches).
    public long SpooledEvicted;

    /// <summary>A snapshot; <paramref name="accepted"/> reads the accepted count last, after the terminal counts, so that an
    /// event accepted and settled meanwhile is at worst counted in flight, never settled without being accepted (InFlight &lt; 0).</summary>
    public SluiceCounters Snapshot<TState>(Func<TState, long> accepted, TState state)
    {
        // Events are counted spooled before they are sent again or deleted: read in the other order, what is left is never negative.
        long spooledEvicted = Volatile.Read(ref SpooledEvicted);
        long resentBefore = Volatile.Read(ref Resent); // read again below, after the terminal counts, for InFlight's sake
        long spooled = Volatile.Read(ref Spooled);
        return new()
        {
            // Terminal counts first (initializers run in order), so a concurrent snapshot errs towards InFlight >= 0.
            Delivered = Volatile.Read(ref Delivered),
            BatchesDelivered = Volatile.Read(ref BatchesDelivered),
            Failed = Volatile.Read(ref Failed),
            RejectedByServer = Volatile.Read(ref RejectedByServer),
            Expired = Volatile.Read(ref Expired),
            LostAtShutdown = Volatile.Read(ref LostAtShutdown),
            OutcomeUnknown = Volatile.Read(ref OutcomeUnknown),
            Spooled = spooled,
            LeftInSpool = spooled - resentBefore - spooledEvicted,
            Retries = Volatile.Read(ref Retries),
            RejectedOversize = Volatile.Read(ref RejectedOversize),
            BatchesSealed = Volatile.Read(ref BatchesSealed),
            EventsSealed = Volatile.Read(ref EventsSealed),
            BytesSealed = Volatile.Read(ref BytesSealed),
            Evicted = Volatile.Read(ref Evicted),
            RefusedQueueFull = Volatile.Read(ref RefusedQueueFull),
            RefusedShutdown = Volatile.Read(ref RefusedShutdown),
            Replayed = Volatile.Read(ref Replayed),
            BatchesReplayed = Volatile.Read(ref BatchesReplayed),
            Resent = Volatile.Read(ref Resent),
            Accepted = accepted(state),
        };
    }
}
