using Sluice.Spooling;

namespace Sluice.Delivery;

/// <summary>
/// The batches a running engine left in the spool because their retries ran out (an outage longer than the retry budget),
/// and when to send them again without waiting for a restart. A kept batch of a partition is sent again once that
/// partition delivers any batch after it was kept (the endpoint is back), or, while it delivers nothing (a host tracking
/// nothing new), as a probe: the oldest kept batch alone, <c>probeAfter</c> after it was kept, one at a time per partition,
/// whose delivery then sends the rest. So an outage costs its kept batches a pause, not a restart, and the endpoint is
/// asked by one batch at a time, not by all of them at once. The batches left in the spool for another reason (the shutdown
/// deadline passed, or a record could not be read back) are not sent again, but listed too: if the spool loses one, its events
/// are no longer counted as left in it either. Thread-safe: settlement keeps, leaves and delivers; the serializer takes.
/// </summary>
internal sealed class KeptBatches
{
    private readonly object _gate = new();
    private readonly List<Entry> _entries = []; // oldest first, by batch id
    private readonly List<(SpoolTicket Ticket, int Spooled)> _left = []; // not sent again by this engine (Leave)
    private readonly long[] _deliveries;        // per partition: batches delivered, counted only while some are kept
    private readonly int[] _resending;          // per partition: kept batches taken and not settled yet
    private readonly bool[] _probed;            // per partition, under _gate during one TryTake: its oldest was looked at
    private readonly TimeProvider _time;
    private readonly TimeSpan _probeAfter;
    private readonly Action _wake;
    private readonly Func<SpoolTicket, bool> _held;
    private readonly Action<long> _deleted;
    private readonly ITimer _probe;
    private DateTimeOffset _probeAt = DateTimeOffset.MaxValue; // when the probe's timer fires, if set
    private bool _stopped;
    private int _count;

    /// <param name="partitions">The wire format's partitions.</param>
    /// <param name="time">The engine's clock.</param>
    /// <param name="probeAfter">How long a kept batch waits before it is sent again alone, when nothing else was delivered meanwhile.</param>
    /// <param name="wake">Wakes the serializer: a kept batch can be taken.</param>
    /// <param name="held">Whether the spool still holds a batch (its byte cap deletes the oldest).</param>
    /// <param name="deleted">Told the events counted spooled of kept or left batches the spool lost: no longer left in it.</param>
    public KeptBatches(int partitions, TimeProvider time, TimeSpan probeAfter, Action wake, Func<SpoolTicket, bool> held, Action<long> deleted)
    {
        _held = held;
        _deleted = deleted;
        _deliveries = new long[partitions];
        _resending = new int[partitions];
        _probed = new bool[partitions];
        _time = time;
        _probeAfter = probeAfter;
        _wake = wake;
        _probe = time.CreateTimer(static s => ((KeptBatches)s!).OnProbe(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Kept batches not taken yet (a racy read: the serializer's cue to look).</summary>
    public bool Any => Volatile.Read(ref _count) > 0;

    /// <summary>
    /// Settlement: the retries of the batch's <paramref name="parts"/> ran out (all of it if null; fewer if a bisection delivered
    /// or rejected some parts before), and <paramref name="spooled"/> of its events were counted spooled. Kept, to send those
    /// parts again, if the spool still holds it.
    /// </summary>
    public void Keep(SpoolTicket ticket, int partition, int spooled, (int Start, int Count)[]? parts = null)
    {
        lock (_gate)
        {
            if (!_held(ticket))
            {
                _deleted(spooled); // the cap deleted it meanwhile
                return;
            }

            var now = _time.GetUtcNow();
            var entry = new Entry(ticket, partition, spooled, parts ?? [(0, ticket.EventCount)], Volatile.Read(ref _deliveries[partition]), now);
            long id = ticket.BatchId;
            int at = _entries.FindLastIndex(e => e.Ticket.BatchId < id) + 1; // a batch kept again goes back in its place
            _entries.Insert(at, entry);
            _count = _entries.Count;
            ProbeAt(now + _probeAfter, now);
        }
    }

    /// <summary>
    /// Settlement: a batch stays in the spool for the next start, <paramref name="spooled"/> of its events counted spooled,
    /// though its retries did not run out (the shutdown deadline passed, or its record could not be read back). Not sent
    /// again; listed only so that, if the spool loses it, those events are no longer counted as left in it.
    /// </summary>
    public void Leave(SpoolTicket ticket, int spooled)
    {
        lock (_gate)
        {
            if (_held(ticket))
                _left.Add((ticket, spooled));
            else
                _deleted(spooled); // lost since it was counted spooled
        }
    }

    /// <summary>Settlement: a batch of <paramref name="partition"/> was delivered; the partition's kept batches may go again.</summary>
    public void Delivered(int partition)
    {
        if (Volatile.Read(ref _count) == 0)
            return;
        Interlocked.Increment(ref _deliveries[partition]);
        _wake();
    }

    /// <summary>
    /// Settlement: a batch taken by <see cref="TryTake"/> has every event settled (or could not be read back). The partition's
    /// next kept batch may probe now: a probe settled neither delivered nor kept again (failed for good, or expired once the
    /// spool's cap deleted its record) sets no timer, and nothing else may come to wake the serializer for it.
    /// </summary>
    public void Settled(int partition)
    {
        Interlocked.Decrement(ref _resending[partition]);
        if (Volatile.Read(ref _count) > 0)
            _wake();
    }

    /// <summary>
    /// Serializer: the oldest kept batch that may be sent again: its partition delivered since it was kept, or it is the
    /// partition's oldest, none of the partition's is being sent again, and it has waited <c>probeAfter</c>. While some are
    /// kept but none may go yet, the probe's timer is set for the earliest that will. (Batches the spool lost are forgotten when
    /// it reports them, <see cref="ForgetEvicted"/>; one lost since is settled by <see cref="Unread"/> when it cannot be read.)
    /// </summary>
    public bool TryTake(out SpoolTicket ticket, out int partition, out (int Start, int Count)[] parts)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var next = DateTimeOffset.MaxValue;
            var probed = _probed;
            Array.Clear(probed);
            for (int i = 0; i < _entries.Count; i++)
            {
                var entry = _entries[i];
                int p = entry.Partition;
                bool endpointBack = Volatile.Read(ref _deliveries[p]) != entry.Deliveries;
                if (!endpointBack && (probed[p] || Volatile.Read(ref _resending[p]) > 0))
                    continue;
                probed[p] = true; // only a partition's oldest may probe
                var due = entry.KeptAt + _probeAfter;
                if (endpointBack || due <= now)
                {
                    _entries.RemoveAt(i);
                    _count = _entries.Count;
                    Interlocked.Increment(ref _resending[p]);
                    (ticket, partition, parts) = (entry.Ticket, p, entry.Parts);
                    return true;
                }

                if (due < next)
                    next = due;
            }

            if (next != DateTimeOffset.MaxValue)
                ProbeAt(next, now);
            (ticket, partition, parts) = (default, default, []);
            return false;
        }
    }

    /// <summary>
    /// The spool lost batches: its cap deleted its oldest segments, or a segment's file was deleted by something else (any
    /// segment, not only the oldest). The kept and left ones among them are forgotten now, so that they are not counted as left in it.
    /// </summary>
    public void ForgetEvicted()
    {
        lock (_gate)
        {
            long events = 0;
            for (int i = _entries.Count - 1; i >= 0; i--)
            {
                if (_held(_entries[i].Ticket))
                    continue;
                events += _entries[i].Spooled;
                _entries.RemoveAt(i);
            }

            for (int i = _left.Count - 1; i >= 0; i--)
            {
                if (_held(_left[i].Ticket))
                    continue;
                events += _left[i].Spooled;
                _left.RemoveAt(i);
            }

            _count = _entries.Count;
            if (events > 0)
                _deleted(events);
        }
    }

    /// <summary>
    /// Serializer: a batch taken by <see cref="TryTake"/>, <paramref name="spooled"/> of its events counted spooled, could not be
    /// read back. If the spool no longer holds it (deleted meanwhile), those events are no longer left in it; then as <see cref="Settled"/>.
    /// </summary>
    public void Unread(SpoolTicket ticket, int partition, int spooled)
    {
        if (!_held(ticket))
            _deleted(spooled);
        Settled(partition);
    }

    /// <summary>The engine shuts down: what is kept stays in the spool for the next start.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            _probe.Dispose();
        }
    }

    // Under _gate: the probe's timer fires at `due` (never before now: a batch due by now is taken, not waited for) at the latest.
    private void ProbeAt(DateTimeOffset due, DateTimeOffset now)
    {
        if (_stopped || due >= _probeAt)
            return;
        _probeAt = due;
        _probe.Change(due - now, Timeout.InfiniteTimeSpan);
    }

    private void OnProbe()
    {
        lock (_gate)
            _probeAt = DateTimeOffset.MaxValue;
        _wake();
    }

    private readonly record struct Entry(SpoolTicket Ticket, int Partition, int Spooled, (int Start, int Count)[] Parts, long Deliveries, DateTimeOffset KeptAt);
}
