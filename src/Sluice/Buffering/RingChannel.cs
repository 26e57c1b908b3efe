using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Sluice.Producing;

namespace Sluice.Buffering;

/// <summary>
/// Lock-free bounded multi-writer single-reader ring behind the <see cref="Channel{T}"/> API.
/// Writers claim a ticket with one CAS on the tail and publish the slot by advancing its sequence
/// number (the bounded MPMC queue of D. Vyukov, specialised to one reader): one interlocked
/// operation per write. The reader parks on one reusable <see cref="ReaderSignal"/>, and may keep a
/// distance behind fast writers (see <see cref="PeekHead"/>). Besides the reader, only a writer
/// evicting the oldest item (drop-oldest mode, if enabled) dequeues; only then is the head advanced
/// by CAS.
/// </summary>
internal sealed class RingChannel<T> : Channel<T>, IDisposable
{
    private const long ClosedBit = long.MinValue;

    private readonly Slot[] _slots;
    private readonly long _mask;
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

    // How far (in items) the reader stays behind fast writers, and how long it waits for them to get
    // that far ahead. Reading an item right after it is written makes the two cores trade its cache
    // lines (a 64-byte slot straddles two, and a writer's next slot shares one) while the writer is
    // still writing next to them: a reader at the writers' heels made one writer 3-4 times slower
    // (146-169 against 36-54 ns per item in the buffer benchmark), and held a Track call at 4-10
    // times its cost for the rest of a burst, the serializer being faster than a caller it slows.
    // 16 items are well past the lines a writer is writing; 20 µs covers 16 calls of the engine's
    // slowest API and bounds what the last items of a burst wait.
    private static readonly long ReadBehindWait = Stopwatch.Frequency / 50_000;
    private readonly int _readBehind;

    // Reader only: items it may still read at the writers' heels without waiting for the distance:
    // the next _readBehind after it parked (the writer that woke it may be alone) or after a wait
    // timed out (the writers slowed down or stopped), so what they wrote does not wait; zero once
    // the ring is empty. Bounded, not "until empty": a writer slowed by the reader at its heels
    // (or by code not yet optimized, at start-up) never got ahead again.
    private int _heelReads;

    // Writers blocked for space (wait mode). Incremented/decremented by writers, read by the reader.
    private int _writersWaiting;
    private readonly ManualResetEventSlim _space = new(false, spinCount: 0);

    /// <param name="capacity">A power of two of at least 2.</param>
    /// <param name="evictingWriters">Whether writers may evict the oldest item (drop-oldest mode).</param>
    /// <param name="readBehind">How far the reader stays behind fast writers (0: at their heels); not with evicting writers.</param>
    public RingChannel(int capacity, bool evictingWriters = true, int readBehind = 0)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
            throw new ArgumentOutOfRangeException(nameof(capacity), "Capacity must be a power of two of at least 2.");
        if (readBehind < 0 || readBehind >= capacity || (readBehind > 0 && evictingWriters))
            throw new ArgumentOutOfRangeException(nameof(readBehind), "The read distance must be below the capacity, and zero when writers evict (the reader copies items out at once).");
        _slots = new Slot[capacity];
        for (int i = 0; i < capacity; i++)
            _slots[i].Sequence = i;
        _mask = capacity - 1;
        _wakeWritersEvery = Math.Max(1, capacity / 8);
        _evictingWriters = evictingWriters;
        _readBehind = readBehind;
        Writer = new RingWriter(this);
        Reader = new RingReader(this);
    }

    public int Capacity => _slots.Length;

    /// <summary>The engine's read distance for a ring of <paramref name="capacity"/>: 16, or a quarter of a smaller ring.</summary>
    public static int ReadBehindFor(int capacity) => Math.Min(16, capacity / 4);

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
                    _readerSignal.WakeIfParked();
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
    /// With a read distance, first waits (spinning, at most 20 µs) until the writers are that many
    /// items further, unless reading at their heels (see <see cref="_heelReads"/>).
    /// </summary>
    public ref T PeekHead(out bool available)
    {
        Debug.Assert(!_evictingWriters, "Only the reader moves the head.");
        long pos = Volatile.Read(ref _head.Value);
        ref Slot slot = ref _slots[pos & _mask];
        available = Volatile.Read(ref slot.Sequence) == pos + 1;
        if (!available)
            _heelReads = 0;
        else if (_readBehind > 0)
            KeepReadDistance();
        return ref slot.Item;
    }

    private void KeepReadDistance()
    {
        if (_heelReads > 0)
        {
            _heelReads--;
            return;
        }

        long deadline = Stopwatch.GetTimestamp() + ReadBehindWait;
        while (!IsPublishedAhead(_readBehind))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                _heelReads = _readBehind; // the writers slowed down or stopped: what they wrote must not wait
                return;
            }

            Thread.SpinWait(20);
        }
    }

    /// <summary>Reader: whether the item <paramref name="ahead"/> places past the head is published.</summary>
    public bool IsPublishedAhead(int ahead)
    {
        long pos = Volatile.Read(ref _head.Value) + ahead;
        return Volatile.Read(ref _slots[pos & _mask].Sequence) == pos + 1;
    }

    /// <summary>Reader: frees the slot <see cref="PeekHead"/> returned, for a writer one lap later.</summary>
    public void ReleaseHead()
    {
        long pos = Volatile.Read(ref _head.Value);
        Volatile.Write(ref _slots[pos & _mask].Sequence, pos + _mask + 1);
        Volatile.Write(ref _head.Value, pos + 1);
        if (Volatile.Read(ref _writersWaiting) != 0 && (pos % _wakeWritersEvery) == 0)
            _space.Set();
    }

    /// <summary>Reader: the ticket of the item <see cref="PeekHead"/> returns.</summary>
    public long HeadTicket => Volatile.Read(ref _head.Value);

    public bool TryDequeue(out T item) => TryDequeue(out item, out _);

    /// <summary>Dequeues the oldest item (the reader, or an evicting writer) with its ticket.</summary>
    public bool TryDequeue(out T item, out long ticket)
    {
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
                        _space.Set();
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

    /// <summary>Blocks the calling writer until an enqueue succeeds, the ring closes, or the timeout passes.</summary>
    public RingStatus EnqueueOrWait(in T item, TimeSpan timeout, out long ticket)
    {
        var status = TryEnqueue(item, out ticket);
        if (status != RingStatus.Full)
            return status;

        // Spin first: the reader usually frees a slot within microseconds, and blocking costs more.
        var spinner = default(SpinWait);
        for (int i = 0; i < 20; i++)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            status = TryEnqueue(item, out ticket);
            if (status != RingStatus.Full)
                return status;
        }

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Interlocked.Increment(ref _writersWaiting);
        try
        {
            while (true)
            {
                _space.Reset();
                status = TryEnqueue(item, out ticket);
                if (status != RingStatus.Full)
                    return status;
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                    return RingStatus.Full;
                _space.Wait((int)Math.Min(left, 50));
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writersWaiting);
        }
    }

    /// <summary>Stops accepting; items already accepted stay readable. Idempotent.</summary>
    public void Close()
    {
        Interlocked.Or(ref _tail.Value, ClosedBit);
        _space.Set();
        _readerSignal.WakeIfParked();
    }

    /// <summary>Wakes the reader for something other than data (a control request); it may find nothing to read.</summary>
    public void Kick()
    {
        Interlocked.Exchange(ref _kicked.Value, 1);
        _readerSignal.WakeIfParked();
    }

    /// <summary>
    /// Reader: completes with true when an item may be readable or a kick arrived, false once closed
    /// and drained. Never allocates.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        if (Ready(out bool result))
            return new ValueTask<bool>(result);

        // Spin a little first: under load the next item is microseconds away, and parking would make
        // the writer that brings it pay for a wake-up (a thread-pool hand-off) on its own thread.
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce();
            if (Ready(out result))
                return new ValueTask<bool>(result);
        }

        // Blocked writers wait for space only while the reader works; release them before parking.
        if (Volatile.Read(ref _writersWaiting) != 0)
            _space.Set();

        _readerSignal.Arm();
        if (Ready(out result))
        {
            if (_readerSignal.TryDisarm())
                return new ValueTask<bool>(result);
            // A waker won the race; its SetResult completes the park below.
        }

        // The writer that wakes it may be alone: its items must not wait for the distance.
        _heelReads = Math.Max(_heelReads, _readBehind);
        return _readerSignal.Park();
    }

    private bool Ready(out bool result)
    {
        result = true;
        if (Volatile.Read(ref _kicked.Value) != 0 && Interlocked.Exchange(ref _kicked.Value, 0) == 1)
            return true;
        long head = Volatile.Read(ref _head.Value);
        ref long sequence = ref _slots[head & _mask].Sequence;
        if (Volatile.Read(ref sequence) == head + 1)
            return true;
        if ((Volatile.Read(ref _tail.Value) & ~ClosedBit) != head)
        {
            // A writer claimed the next ticket and is publishing it. It may already have checked for a
            // parked reader (its publication is a plain store), so wait for the item rather than park.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref sequence) != head + 1 && Volatile.Read(ref _head.Value) == head)
                spinner.SpinOnce(sleep1Threshold: -1);
            return true;
        }

        if (IsDrained)
        {
            result = false;
            return true;
        }

        return false;
    }

    public void Dispose() => _space.Dispose();

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        long tail = TotalEnqueued, head = TotalDequeued;
        Debug.Assert(head <= tail && tail - head <= _slots.Length, "Head and tail are at most one lap apart.");
    }

    [StructLayout(LayoutKind.Auto)]
    private struct Slot
    {
        public long Sequence;
        public T Item;
    }

    private sealed class RingWriter(RingChannel<T> ring) : ChannelWriter<T>
    {
        public override bool TryWrite(T item) => ring.TryEnqueue(item) == RingStatus.Ok;

        public override bool TryComplete(Exception? error = null)
        {
            if (ring.IsClosed)
                return false;
            ring.Close();
            return true;
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
                return ValueTask.FromCanceled<bool>(cancellationToken);
            if (ring.IsClosed)
                return new ValueTask<bool>(false);
            if (ring.TotalEnqueued - ring.TotalDequeued < ring.Capacity)
                return new ValueTask<bool>(true);
            return WaitSlowAsync(cancellationToken);
        }

        private async ValueTask<bool> WaitSlowAsync(CancellationToken cancellationToken)
        {
            // Off the hot path: an async writer waits for the reader to free space.
            while (!ring.IsClosed && ring.TotalEnqueued - ring.TotalDequeued >= ring.Capacity)
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            return !ring.IsClosed;
        }
    }

    private sealed class RingReader(RingChannel<T> ring) : ChannelReader<T>
    {
        public override bool CanCount => true;

        public override int Count => (int)(ring.TotalEnqueued - ring.TotalDequeued);

        public override bool TryRead(out T item)
        {
            ring.AssertInvariants();
            return ring.TryDequeue(out item);
        }

        /// <summary>May complete with true spuriously (after a kick); callers loop on <see cref="TryRead"/>.</summary>
        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
            => cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<bool>(cancellationToken)
                : ring.WaitToReadAsync();
    }
}
