using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Producing;

namespace Sluice.Buffering;

/// <summary>
/// Lock-free bounded multi-writer single-reader ring. Writers claim a ticket with one CAS on the
/// tail and publish the slot by advancing its sequence number (the bounded MPMC queue of D. Vyukov,
/// specialised to one reader): one interlocked operation per write. The reader reads in place
/// (<see cref="PeekHead"/>) and never spins for data: when it has read everything it parks on one
/// reusable <see cref="ReaderSignal"/>, and writers wake it only once a backlog has built up (or a
/// short delay has passed, see <see cref="WaitToReadAsync"/>), so a reader faster than its writers
/// reads in bursts, not one wake-up per item. Besides the reader, only a writer evicting the oldest
/// item (drop-oldest mode, if enabled) dequeues; only then is the head advanced by CAS.
/// </summary>
internal sealed class RingChannel<T> : IDisposable
{
    private const long ClosedBit = long.MinValue;

    /// <summary>
    /// The longest a backlog smaller than <see cref="WakeBacklog"/> waits for the reader (see
    /// <see cref="ReadDelayFor"/>). Events wait for a batch to fill or its linger anyway (seconds by
    /// default); a few milliseconds cost them nothing, and let a reader faster than its writers read
    /// thousands of items per wake-up instead of one. Each wake-up is a thread-pool hand-off, and the
    /// pool thread spins (sched_yield) before it sleeps again: at a caller's 400k events/s, 1 ms cost
    /// 1.1-1.3 µs of process CPU per event, 5 ms 0.64-0.74 (null transport); at 200k events/s over
    /// HTTP, 5 ms cost 1.19-1.47 µs, 20 ms 0.91-1.07 (this machine under load, in pairs).
    /// </summary>
    public static readonly TimeSpan MaxReadDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The read delay for an engine whose batches linger <paramref name="linger"/>: <see cref="MaxReadDelay"/>,
    /// or the linger if shorter, so that a record is never held unread longer than a batch would hold it.
    /// </summary>
    public static TimeSpan ReadDelayFor(TimeSpan linger) => linger < MaxReadDelay ? linger : MaxReadDelay;

    private readonly Slot[] _slots;
    private readonly long _mask;
    private readonly TimeSpan _readDelay;
    private readonly int _wakeWritersEvery;

    // Writers may dequeue (evict the oldest): the head then needs a CAS; otherwise only the reader moves it.
    private readonly bool _evictingWriters;

    // Next ticket to hand out; high bit set once closed. CAS by writers, Or by Close.
    private PaddedLong _tail;

    // Next ticket to read. Written by the reader (CAS only if writers may evict).
    private PaddedLong _head;

    // 1 after a Kick (any thread); cleared by the reader when it reports the wake-up. On its own cache
    // line: the reader checks it often, and writing next to the fields every writer reads would slow them.
    private PaddedLong _kicked;

    private readonly ReaderSignal _readerSignal = new();

    // The read delay's and a blocked writer's clock.
    private readonly TimeProvider _time;

    // Wakes a reader parked on a small backlog after the read delay. Armed by the reader as it parks
    // that way, fired on a timer thread; disarmed when the reader parks idle.
    private readonly ITimer _nudge;

    // Reader only: tickets consumed when it last parked. Nothing read since (it woke to an empty
    // ring, from the nudge): it parks idle, woken by the first write, with no timer armed.
    private long _dequeuedAtPark;

    // Reader only: whether the nudge may still fire (for tests: an idle reader has none armed).
    private bool _nudgeArmed;

    // Writers blocked or awaiting space (wait mode). Incremented/decremented by writers, read by the reader.
    private int _writersWaiting;
    private readonly ManualResetEventSlim _space = new(false, spinCount: 0);

    // Completed (and cleared) by the reader when it frees space or parks, and at Close, for writers
    // awaiting room (NDJSON ingest); made by the first such writer to find none.
    private TaskCompletionSource? _roomWaiter;

    // How long a writer waits for space before it looks again itself: a reader that freed space while
    // the writer was announcing itself may not have seen it.
    private static readonly TimeSpan LostWakeUpBound = TimeSpan.FromMilliseconds(50);

    /// <param name="capacity">A power of two of at least 2.</param>
    /// <param name="evictingWriters">Whether writers may evict the oldest item (drop-oldest mode).</param>
    /// <param name="wakeBacklog">Items a parked reader is left to accumulate before a writer wakes it (1: every write wakes it); at most half the capacity.</param>
    /// <param name="time">The clock of the read delay and of a writer's wait for room (the system's, but in tests).</param>
    /// <param name="readDelay">How long a backlog smaller than <paramref name="wakeBacklog"/> may wait for the reader (default <see cref="MaxReadDelay"/>).</param>
    public RingChannel(int capacity, bool evictingWriters = true, int wakeBacklog = 1, TimeProvider? time = null, TimeSpan? readDelay = null)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
            throw new ArgumentOutOfRangeException(nameof(capacity), "Capacity must be a power of two of at least 2.");
        if (wakeBacklog < 1 || wakeBacklog > capacity / 2)
            throw new ArgumentOutOfRangeException(nameof(wakeBacklog), "The wake-up backlog must be at least 1 and at most half the capacity (a full ring must wake the reader).");
        _slots = new Slot[capacity];
        for (int i = 0; i < capacity; i++)
            _slots[i].Sequence = i;
        _mask = capacity - 1;
        _wakeWritersEvery = Math.Max(1, capacity / 8);
        _evictingWriters = evictingWriters;
        WakeBacklog = wakeBacklog;
        _readDelay = readDelay ?? MaxReadDelay;
        _time = time ?? TimeProvider.System;
        _nudge = _time.CreateTimer(static s => ((RingChannel<T>)s!)._readerSignal.WakeHere(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The engine's wake-up backlog for a ring of <paramref name="capacity"/>: 4,096 items, or a quarter of a smaller ring.</summary>
    public static int WakeBacklogFor(int capacity) => Math.Clamp(capacity / 4, 1, 4096);

    /// <summary>How long a backlog smaller than <see cref="WakeBacklog"/> may wait for the reader.</summary>
    public TimeSpan ReadDelay => _readDelay;

    /// <summary>Items a parked reader is left to accumulate before a writer wakes it.</summary>
    public int WakeBacklog { get; }

    public int Capacity => _slots.Length;

    /// <summary>Tickets handed out so far: every item ever accepted.</summary>
    public long TotalEnqueued => Volatile.Read(ref _tail.Value) & ~ClosedBit;

    /// <summary>Tickets consumed so far (read or evicted).</summary>
    public long TotalDequeued => Volatile.Read(ref _head.Value);

    public bool IsClosed => Volatile.Read(ref _tail.Value) < 0;

    /// <summary>Whether the reader is parked, waiting for a write (for tests).</summary>
    public bool ReaderParked => _readerSignal.IsParked;

    /// <summary>Closed and every ticket handed out has been read.</summary>
    public bool IsDrained => IsClosed && TotalDequeued == TotalEnqueued;

    public RingStatus TryEnqueue(in T item) => TryEnqueue(in item, out _);

    /// <summary>
    /// Enqueues <paramref name="item"/>; when accepted, <paramref name="ticket"/> is its ticket: unique in
    /// this ring and increasing in the order of acceptance (an evicted item's ticket is never handed out again).
    /// </summary>
    public RingStatus TryEnqueue(in T item, out long ticket)
    {
        ticket = -1;
        long pos = Volatile.Read(ref _tail.Value);
        while (true)
        {
            if (pos < 0)
                return RingStatus.Closed;
            ref Slot slot = ref _slots[pos & _mask];
            long diff = Volatile.Read(ref slot.Sequence) - pos;
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _tail.Value, pos + 1, pos);
                if (seen == pos)
                {
                    Store(ref slot.Item, in item);
                    // A plain release store publishes the item. The check below may pass it (store-load
                    // reordering), which is safe: the CAS above is a full fence, so a reader that parks
                    // after it sees this ticket claimed and waits for the publication instead of
                    // parking (see WaitToReadAsync).
                    Volatile.Write(ref slot.Sequence, pos + 1);
                    if (_readerSignal.Mode != ReaderSignal.Running)
                        WakeIfDue(pos);
                    ticket = pos;
                    return RingStatus.Ok;
                }

                pos = seen;
            }
            else if (diff < 0)
            {
                // The slot one lap back has not been read yet: full (or closed meanwhile).
                long tail = Volatile.Read(ref _tail.Value);
                return tail < 0 ? RingStatus.Closed : RingStatus.Full;
            }
            else
            {
                pos = Volatile.Read(ref _tail.Value);
            }
        }
    }

    /// <summary>
    /// Writer, after publishing ticket <paramref name="pos"/> to a parked reader: wakes it if it parked
    /// idle, or if the backlog has reached <see cref="WakeBacklog"/>. The head does not move while the
    /// reader is parked (but for evicting writers, which only find the ring full), so the backlog is exact.
    /// </summary>
    private void WakeIfDue(long pos)
    {
        if (_readerSignal.Mode == ReaderSignal.OnBacklog && pos + 1 - Volatile.Read(ref _head.Value) < WakeBacklog)
            return;
        _readerSignal.WakeIfParked();
    }

    /// <summary>
    /// A struct holding references is copied as a `rep movsq` of its other fields, whose start-up
    /// costs more than the copy: the engine's record is copied field by field (7% of a Track call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref T slot, in T item)
    {
        if (typeof(T) == typeof(EventRecord))
            Unsafe.As<T, EventRecord>(ref Unsafe.AsRef(in item)).CopyTo(ref Unsafe.As<T, EventRecord>(ref slot));
        else
            slot = item;
    }

    /// <summary>Writers may evict the oldest item: the reader must copy items out (<see cref="TryDequeue(out T)"/>), not read them in place.</summary>
    public bool EvictingWriters => _evictingWriters;

    /// <summary>
    /// Reader, when writers never evict: the oldest published item, in its slot (no copy), or
    /// <paramref name="available"/> false. The slot stays the reader's until <see cref="ReleaseHead"/>.
    /// </summary>
    public ref T PeekHead(out bool available)
    {
        Debug.Assert(!_evictingWriters, "Only the reader moves the head.");
        long pos = Volatile.Read(ref _head.Value);
        ref Slot slot = ref _slots[pos & _mask];
        available = Volatile.Read(ref slot.Sequence) == pos + 1;
        return ref slot.Item;
    }

    /// <summary>Reader: frees the slot <see cref="PeekHead"/> returned, for a writer one lap later.</summary>
    public void ReleaseHead()
    {
        long pos = Volatile.Read(ref _head.Value);
        Volatile.Write(ref _slots[pos & _mask].Sequence, pos + _mask + 1);
        Volatile.Write(ref _head.Value, pos + 1);
        if (Volatile.Read(ref _writersWaiting) != 0 && (pos % _wakeWritersEvery) == 0)
            ReleaseWriters();
    }

    /// <summary>Reader: the ticket of the item <see cref="PeekHead"/> returns.</summary>
    public long HeadTicket => Volatile.Read(ref _head.Value);

    public bool TryDequeue(out T item) => TryDequeue(out item, out _);

    /// <summary>Dequeues the oldest item (the reader, or an evicting writer) with its ticket.</summary>
    public bool TryDequeue(out T item, out long ticket)
    {
        AssertInvariants();
        long pos = Volatile.Read(ref _head.Value);
        ticket = -1;
        if (!_evictingWriters)
        {
            // The reader alone moves the head: plain stores, no interlocked operation.
            ref T head = ref PeekHead(out bool available);
            if (!available)
            {
                item = default!;
                return false;
            }

            item = head;
            ticket = pos;
            ReleaseHead();
            return true;
        }

        while (true)
        {
            ref Slot slot = ref _slots[pos & _mask];
            long diff = Volatile.Read(ref slot.Sequence) - (pos + 1);
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _head.Value, pos + 1, pos);
                if (seen == pos)
                {
                    item = slot.Item;
                    ticket = pos;
                    Volatile.Write(ref slot.Sequence, pos + _mask + 1);
                    if (Volatile.Read(ref _writersWaiting) != 0 && (pos % _wakeWritersEvery) == 0)
                        ReleaseWriters();
                    return true;
                }

                pos = seen;
            }
            else if (diff < 0)
            {
                item = default!;
                return false;
            }
            else
            {
                pos = Volatile.Read(ref _head.Value);
            }
        }
    }

    /// <summary>
    /// Evicting writer, having found the ring full: claims the next ticket for an item it will publish with
    /// <see cref="PublishClaimed"/> once <see cref="TryEvictFor"/> has made room. The ticket is claimed before
    /// anything is evicted, so a ring closed meanwhile refuses the item with nothing evicted: evicting first, then
    /// finding it closed, dropped an accepted item for one that was refused. A claimed ticket must be published.
    /// </summary>
    public RingStatus ClaimOverOldest(out long ticket)
    {
        Debug.Assert(_evictingWriters, "Only evicting writers claim over the oldest item.");
        long pos = Volatile.Read(ref _tail.Value);
        while (pos >= 0)
        {
            long seen = Interlocked.CompareExchange(ref _tail.Value, pos + 1, pos);
            if (seen == pos)
            {
                ticket = pos;
                return RingStatus.Ok;
            }

            pos = seen;
        }

        ticket = -1;
        return RingStatus.Closed;
    }

    /// <summary>
    /// Evicting writer holding <paramref name="ticket"/> (<see cref="ClaimOverOldest"/>): evicts the oldest item if
    /// the one a lap before the ticket, in its slot, is still queued, returning its ticket; false once there is room
    /// (the reader may have read it meanwhile: then nothing is evicted). Call until false.
    /// </summary>
    public bool TryEvictFor(long ticket, out long evicted)
    {
        long lapBefore = ticket - _slots.Length;
        var spinner = default(SpinWait);
        while (true)
        {
            long pos = Volatile.Read(ref _head.Value);
            if (pos > lapBefore)
            {
                evicted = -1;
                return false;
            }

            ref Slot slot = ref _slots[pos & _mask];
            if (Volatile.Read(ref slot.Sequence) != pos + 1)
            {
                spinner.SpinOnce(sleep1Threshold: -1); // its writer has claimed it and is publishing it
                continue;
            }

            if (Interlocked.CompareExchange(ref _head.Value, pos + 1, pos) == pos)
            {
                Volatile.Write(ref slot.Sequence, pos + _mask + 1);
                evicted = pos;
                return true;
            }
        }
    }

    /// <summary>Evicting writer: publishes <paramref name="item"/> under the <paramref name="ticket"/> it claimed, once <see cref="TryEvictFor"/> returned false.</summary>
    public void PublishClaimed(long ticket, in T item)
    {
        ref Slot slot = ref _slots[ticket & _mask];
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.Sequence) != ticket)
            spinner.SpinOnce(sleep1Threshold: -1); // whoever took the item a lap before frees its slot just after taking it
        Store(ref slot.Item, in item);
        Volatile.Write(ref slot.Sequence, ticket + 1); // the claim's CAS was the full fence (see TryEnqueue)
        if (_readerSignal.Mode != ReaderSignal.Running)
            WakeIfDue(ticket);
    }

    /// <summary>Blocks the calling writer until an enqueue succeeds, the ring closes, or <paramref name="timeout"/> has passed on the ring's clock.</summary>
    public RingStatus EnqueueOrWait(in T item, TimeSpan timeout, out long ticket)
    {
        var status = TryEnqueue(item, out ticket);
        if (status != RingStatus.Full)
            return status;

        // Block at once, no spinning: the reader frees an eighth of the ring before it wakes a
        // waiting writer (see ReleaseHead), so a wake-up is rare and a spin would only burn the caller's core.
        long start = _time.GetTimestamp();
        Interlocked.Increment(ref _writersWaiting);
        // On another clock than the system's (a test's manual one), a timer wakes the writers when the timeout passes there
        // (each then checks its own deadline); on the system's, the bounded waits below end on time, with nothing allocated.
        using var deadline = _time == TimeProvider.System ? null
            : _time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), _space, timeout, Timeout.InfiniteTimeSpan);
        try
        {
            while (true)
            {
                _space.Reset();
                status = TryEnqueue(item, out ticket);
                if (status != RingStatus.Full)
                    return status;
                var left = timeout - _time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero)
                    return RingStatus.Full;
                _space.Wait(left < LostWakeUpBound ? left : LostWakeUpBound);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writersWaiting);
        }
    }

    /// <summary>
    /// Completes when at most <paramref name="queued"/> items are queued, or the ring closes, or
    /// <paramref name="cancellationToken"/> is cancelled (then without throwing). Waits without
    /// polling: the reader releases it as it frees space (every eighth of the ring) or parks.
    /// </summary>
    public async ValueTask WaitForRoomAsync(long queued, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writersWaiting);
        try
        {
            while (TotalEnqueued - TotalDequeued > queued && !IsClosed && !cancellationToken.IsCancellationRequested)
            {
                var waiter = Volatile.Read(ref _roomWaiter);
                if (waiter is null)
                {
                    var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    waiter = Interlocked.CompareExchange(ref _roomWaiter, fresh, null) ?? fresh;
                }

                if (TotalEnqueued - TotalDequeued <= queued || IsClosed)
                    break;
                await waiter.Task.WaitAsync(LostWakeUpBound, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writersWaiting);
        }
    }

    private void ReleaseWriters()
    {
        _space.Set();
        if (Volatile.Read(ref _roomWaiter) is not null)
            Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();
    }

    /// <summary>Stops accepting; items already accepted stay readable. Idempotent.</summary>
    public void Close()
    {
        Interlocked.Or(ref _tail.Value, ClosedBit);
        ReleaseWriters();
        _readerSignal.WakeIfParked();
    }

    /// <summary>Wakes the reader for something other than data (a control request); it may find nothing to read.</summary>
    public void Kick()
    {
        Interlocked.Exchange(ref _kicked.Value, 1);
        _readerSignal.WakeIfParked();
    }

    /// <summary>
    /// Reader: completes with true when items may be readable or a kick arrived, false once closed
    /// and drained. Never spins for data and never allocates. Having read something since it last
    /// parked, the reader parks on its backlog: woken when <see cref="WakeBacklog"/> items are
    /// waiting, or by the nudge after the read delay; having read nothing (the nudge found
    /// the writers stopped), it parks idle: woken by the next write, no timer armed, no CPU used.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        long dequeued = TotalDequeued;
        bool idle = dequeued == _dequeuedAtPark;
        if (Ready(idle ? 1 : WakeBacklog, out bool result))
            return new ValueTask<bool>(result);

        // Blocked writers wait for space only while the reader works; release them before parking.
        if (Volatile.Read(ref _writersWaiting) != 0)
            ReleaseWriters();

        _readerSignal.Arm(onBacklog: !idle);
        if (Ready(idle ? 1 : WakeBacklog, out result))
        {
            if (_readerSignal.TryDisarm())
                return new ValueTask<bool>(result);
            // A waker won the race; its SetResult completes the park below.
        }

        _dequeuedAtPark = dequeued;
        if (!idle)
        {
            _nudge.Change(_readDelay, Timeout.InfiniteTimeSpan);
            _nudgeArmed = true;
        }
        else if (_nudgeArmed)
        {
            _nudge.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _nudgeArmed = false;
        }

        return _readerSignal.Park();
    }

    /// <summary>Whether the reader is parked idle: nothing but a write, a kick or closing can wake it (for tests).</summary>
    public bool ReaderIdle => _readerSignal.Mode == ReaderSignal.Idle && !_nudgeArmed;

    /// <summary>Reader: whether to read now rather than park: a kick, closing, or <paramref name="backlog"/> items claimed.</summary>
    private bool Ready(int backlog, out bool result)
    {
        result = true;
        if (Volatile.Read(ref _kicked.Value) != 0 && Interlocked.Exchange(ref _kicked.Value, 0) == 1)
            return true;
        long head = Volatile.Read(ref _head.Value);
        long tail = Volatile.Read(ref _tail.Value);
        if (tail < 0 && (tail & ~ClosedBit) != head)
            backlog = 1; // closed: what is left is read at once
        ref long sequence = ref _slots[head & _mask].Sequence;
        if ((tail & ~ClosedBit) - head < backlog)
        {
            if (IsDrained)
            {
                result = false;
                return true;
            }

            return false;
        }

        if (Volatile.Read(ref sequence) != head + 1)
        {
            // A writer claimed the next ticket and is publishing it. It may already have checked for a
            // parked reader (its publication is a plain store), so wait for the item rather than park.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref sequence) != head + 1 && Volatile.Read(ref _head.Value) == head)
                spinner.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    /// <summary>Stops the nudge timer (the event for blocked writers holds no kernel handle: it is never waited on by handle).</summary>
    public void Dispose() => _nudge.Dispose();

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        long tail = TotalEnqueued, head = TotalDequeued;
        // An evicting writer claims its ticket before it evicts: the tail may then be a lap and a few claims ahead.
        Debug.Assert(head <= tail && (_evictingWriters || tail - head <= _slots.Length), "Head and tail are at most one lap apart.");
    }

    [StructLayout(LayoutKind.Auto)]
    private struct Slot
    {
        public long Sequence;
        public T Item;
    }
}
