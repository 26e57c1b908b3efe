using System.Collections.Concurrent;
using System.Diagnostics;
using Sluice.Batching;
using Sluice.Buffering;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice;

/// <summary>
/// Batches track and page events into exact-size request bodies and hands them to a transport.
/// Track/Page are thread-safe, never block on I/O and never throw for runtime conditions; the
/// pipeline is: callers → lock-free queue → one serializer (open batch per endpoint) → bounded
/// sealed-batch queue → concurrent senders → <see cref="IBatchTransport"/>.
/// </summary>
public sealed partial class SluiceEngine : IAsyncDisposable, IDisposable
{
    private readonly SluiceOptions _options;
    private readonly TimeProvider _time;
    private readonly RingChannel<EventRecord> _ring;
    private readonly EngineCounters _counters = new();
    private readonly BatchAssembler _assembler;
    private readonly BatchDelivery _delivery;
    private readonly SluiceMetrics _metrics;
    private readonly FateReporter _fates;
    private readonly Task _consumer;

    // The disk spool, when SluiceOptions.Spool is set: the serializer appends and replays, senders sync, settlement acknowledges.
    private readonly SpoolJournal? _spool;

    // Cancelled when the shutdown deadline passes (EndDrain): senders abort, the rest is counted as lost.
    private readonly CancellationTokenSource _abort = new();

    // With a spool, cancelled when shutdown begins: the serializer then writes everything queued to the spool at once (SpoolAhead).
    private readonly CancellationTokenSource? _shutdownBegun;

    // Written by any thread (FlushAsync), drained by the consumer.
    private readonly ConcurrentQueue<FlushRequest> _flushRequests = new();

    // Used only by the consumer.
    private readonly List<FlushRequest> _pendingFlushes = [];
    private int _unsentAtDeadline; // events read after the shutdown deadline, never sealed
    private readonly ITimer _lingerTimer;
    private bool _lingerArmed;

    // Set by the linger timer, cleared by the consumer.
    private int _lingerDue;

    // Set once by the first ShutdownAsync.
    private Task<ShutdownResult>? _shutdown;

    // Set when the shutdown deadline (or the caller's token) ends the drain while accepted events are still unsettled.
    private volatile bool _cutShort;

    /// <summary>Creates an engine and starts its serializer and senders.</summary>
    /// <param name="options">Settings; validated now, all problems reported together in one <see cref="ArgumentException"/>.</param>
    /// <param name="transport">Where sealed batches go. It stays the caller's: the engine's shutdown does not dispose it (dispose an
    /// <see cref="Delivery.Transports.Http.HttpTransport"/> after the engine, as a <c>using</c> declared before the engine's does).</param>
    /// <exception cref="IOException">With <see cref="SluiceOptions.Spool"/>: another engine uses the directory (the message says so), or it cannot be used.</exception>
    /// <exception cref="InvalidOperationException">With <see cref="SluiceOptions.Spool"/>: the directory holds batches written for another wire format.</exception>
    public SluiceEngine(SluiceOptions options, IBatchTransport transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        _options = options.Validated();
        _options.WireFormat = _options.WireFormat.ForEngine(); // the engine's own copy of the options: the caller's keep theirs
        _time = _options.TimeProvider;
        _format = _options.WireFormat;
        if (_options.Spool is { } spool)
        {
            // A batch whose retries ran out is probed again after the longest wait between two retries.
            var disk = OpenSpool(spool);
            var kept = new KeptBatches(_format.PartitionCount, _time, _options.RetryMaxDelay, () => _ring!.Kick(), ticket => disk.Contains(ticket),
                events => Interlocked.Add(ref _counters.SpooledEvicted, events));
            _spool = new SpoolJournal(disk, spool.Sync, kept, _options.OnBatchSpooled);
            _shutdownBegun = new CancellationTokenSource();
        }

        bool evicting = _options.FullMode == FullMode.DropOldest;
        // The ring runs on the system clock, whatever the engine's: when the serializer reads is CPU scheduling,
        // not event time, and a manual clock must not hold events unread; a caller's wait for room (wait mode)
        // bounds how long a thread is blocked, and a manual clock nobody advances must not block it for good.
        _ring = new RingChannel<EventRecord>(_options.QueueCapacity, evictingWriters: evicting,
            wakeBacklog: RingChannel<EventRecord>.WakeBacklogFor(_options.QueueCapacity), TimeProvider.System,
            RingChannel<EventRecord>.ReadDelayFor(_options.FlushInterval));

        int retention = ArenaPool.RetentionFor(_options.QueueCapacity, _options.ArenaChunkEntries);
        _arenas = new ArenaPool(retention, _options.ArenaChunkEntries, ArenaPool.ReserveFor(retention)).Prefilled();
        _producers = new ThreadLocal<ProducerState>(() => new ProducerState(_identity, _arenas, _options.MaxBatchBytes), trackAllValues: false);

        _fates = new FateReporter(Marked(_options.OnBatchSettled), Diagnose);
        _assembler = new BatchAssembler(_options, BatchMemory.CreateManager(_options), _arenas, _counters, Diagnose, _fates);
        _metrics = new SluiceMetrics(_options);
        _delivery = new BatchDelivery(_options, transport, _counters, _assembler.Partition, _metrics, Diagnose, _abort.Token, _fates, _spool);
        _metrics.Observe(GetCounters, () => QueueLength, _options.QueueCapacity, _format, _delivery.IsPaused, () => EventsWaitingOnDisk, () => SpoolSuspended);
        _lingerTimer = _time.CreateTimer(static s => ((SluiceEngine)s!).OnLinger(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>The settings in force (a validated copy).</summary>
    public SluiceOptions Options => _options;

    /// <summary>
    /// Events accepted and not yet read by the serializer (the health check, <c>sluice.queue.depth</c>): never negative, though its
    /// two counts are read one after the other, nor above the capacity, though a drop-oldest caller claims its place before it evicts.
    /// </summary>
    internal long QueueLength => Math.Clamp(_ring.TotalEnqueued - _ring.TotalDequeued, 0, _ring.Capacity);

    /// <summary>Whether the shutdown has begun: calls are refused as <see cref="EnqueueStatus.ShuttingDown"/> (for the health check).</summary>
    internal bool ShutDownBegun => Volatile.Read(ref _shutdown) is not null;

    /// <summary>Whether sending to <paramref name="partition"/>'s endpoint is paused for refused credentials (for the health check).</summary>
    internal bool IsPaused(int partition) => _delivery.IsPaused(partition);

    /// <summary>Whether the last attempt to <paramref name="partition"/>'s endpoint was a transient failure, retried (for the health check).</summary>
    internal bool IsRetrying(int partition) => _delivery.IsRetrying(partition);

    /// <summary>Bytes of pooled memory the batch bodies use now (for tests: batches waiting on disk only hold none).</summary>
    internal long BatchMemoryInUse => _assembler.Memory.SmallPoolInUseSize + _assembler.Memory.LargePoolInUseSize;

    /// <summary>Events of batches waiting on disk only for the senders to make room (for the health check; docs/durability.md, Outages).</summary>
    internal long EventsWaitingOnDisk => Volatile.Read(ref _eventsOnDisk);

    /// <summary>Whether the spool's writes are suspended after a failed write or sync (a full disk): batches go from memory only (for the health check).</summary>
    internal bool SpoolSuspended => _spool is { } spool && spool.Disk.Counters.Suspended;

    /// <summary>Free chunks the property arena's pool keeps (for tests).</summary>
    internal int ArenaFreeChunks => _arenas.FreeCount;

    /// <summary>Records the serializer has processed: lets tests wait for it without sleeping.</summary>
    internal long Processed => _assembler.Processed;

    /// <summary>A snapshot of the accounting; see <see cref="SluiceCounters"/> for how the numbers add up.</summary>
    public SluiceCounters GetCounters()
    {
        var counters = _counters.Snapshot(static ring => ring.TotalEnqueued, _ring);
        if (_spool is null)
            return counters;
        var recovery = _spool.Disk.Recovery;
        return counters with { SpoolEvicted = _spool.Disk.Counters.EvictedEvents, SpoolDamaged = recovery.CorruptRecords + recovery.TornTails };
    }

    /// <summary>Batch bodies delivery still holds (for tests: zero after a shutdown that wrote no stuck send off, else a buffer leaked).</summary>
    internal int HeldBatchBodies => _delivery.Bodies.Held;

    /// <summary>Delivery jobs started and not finished (for tests: zero once every batch is settled, else finished jobs are kept).</summary>
    internal int LiveDeliveryJobs => _delivery.LiveJobs;

    /// <summary>Batches held for endpoints paused after a 401/403, the probes' own not counted (for tests).</summary>
    internal int ParkedBatches => _delivery.Parked;

    /// <summary>Send attempts waiting for one of the <see cref="SluiceOptions.MaxConcurrentSends"/> under way to finish (for tests).</summary>
    internal int SendsWaiting => _delivery.WaitingToSend;

    /// <summary>Whether the serializer is parked on an empty queue (for tests).</summary>
    internal bool SerializerParked => _ring.ReaderParked;

    /// <summary>How long the serializer leaves a few queued records unread (for tests).</summary>
    internal TimeSpan SerializerReadDelay => _ring.ReadDelay;

    /// <summary>Whether the serializer is parked idle: no timer armed, woken only by a call, a flush, a linger or shutdown (for tests).</summary>
    internal bool SerializerIdle => _ring.ReaderIdle;

    /// <summary>
    /// Completes when every event accepted before this call has been handed to the transport and settled
    /// (whatever the outcome; with a spool, what was not delivered is then durable in it, whatever its sync
    /// policy). Retries are waited for, within <see cref="SluiceOptions.RetryBudget"/>; batches held for an
    /// endpoint paused by a 401/403 are not settled until it resumes, so the flush then waits for the resume or
    /// the shutdown: pass <paramref name="cancellationToken"/> to bound it. Safe to call concurrently with
    /// producers, other flushes and shutdown (it completes when the shutdown does, at the latest).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (an <see cref="OperationCanceledException"/>); the flush's batches are sealed and go on.</param>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var request = new FlushRequest(_ring.TotalEnqueued);
        _flushRequests.Enqueue(request);
        _ring.Kick();
        var done = request.Done.Task;
        if (Volatile.Read(ref _shutdown) is { } shutdown)
            done = Task.WhenAny(done, shutdown);
        await done.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting events, drains and delivers what was accepted within
    /// <see cref="SluiceOptions.ShutdownTimeout"/>, and counts whatever could not be delivered.
    /// Idempotent: every call gets the same result.
    /// </summary>
    /// <returns>The result every call gets.</returns>
    public Task<ShutdownResult> ShutdownAsync()
    {
        var existing = Volatile.Read(ref _shutdown);
        if (existing is not null)
            return existing;
        var start = new Task<Task<ShutdownResult>>(ShutdownCoreAsync);
        existing = Interlocked.CompareExchange(ref _shutdown, start.Unwrap(), null);
        if (existing is not null)
            return existing;
        // Closed here, not when the drain starts on the pool: a call made once this returns is refused, not accepted
        // behind the drain (and, with a deadline already passed, counted lost).
        _ring.Close();
        start.Start(TaskScheduler.Default);
        return _shutdown!;
    }

    /// <summary>
    /// Shuts down as <see cref="ShutdownAsync()"/> does; cancelling <paramref name="cancellationToken"/>
    /// ends the drain at once, as <see cref="SluiceOptions.ShutdownTimeout"/> passing would (a host
    /// whose own shutdown deadline comes first, say): sends in flight are cancelled and their events
    /// counted outcome unknown, what was not sent is counted lost (or stays in the spool). The task
    /// is not cancelled: it completes with the result, as soon as the senders have stopped.
    /// </summary>
    /// <param name="cancellationToken">Ends the drain early.</param>
    /// <returns>The result every call gets.</returns>
    public Task<ShutdownResult> ShutdownAsync(CancellationToken cancellationToken)
    {
        var shutdown = ShutdownAsync();
        if (cancellationToken.CanBeCanceled && !shutdown.IsCompleted)
        {
            // Only once the shutdown has begun: the same token ends the senders' work before it.
            var registration = cancellationToken.Register(static s => ((SluiceEngine)s!).EndDrain(), this);
            shutdown.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return shutdown;
    }

    /// <summary>Shuts down (see <see cref="ShutdownAsync()"/>).</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    /// <summary>
    /// Shuts down (see <see cref="ShutdownAsync()"/>), blocking the calling thread until it has finished, within
    /// <see cref="SluiceOptions.ShutdownTimeout"/> (and a second's grace for a transport that ignores cancellation): for a <c>using</c> statement, or a container disposed synchronously
    /// (<c>ServiceProvider.Dispose</c>), which would otherwise throw for a service that can only be disposed asynchronously.
    /// Prefer <see cref="DisposeAsync"/> where the caller can await. Called from one of this engine's callbacks
    /// (<see cref="SluiceOptions.OnDiagnostic"/>, <see cref="SluiceOptions.OnBatchSettled"/>), it starts the shutdown and
    /// returns without waiting: the shutdown waits for the thread running that callback.
    /// </summary>
    public void Dispose()
    {
        var shutdown = ShutdownAsync();
        // The callbacks run on the serializer, a sender or a drop-oldest caller, all of which the shutdown waits for:
        // blocking here would wait for itself (for good on the serializer, whatever ShutdownTimeout).
        if (ReferenceEquals(t_inCallbackOf, _identity))
            return;
        shutdown.GetAwaiter().GetResult();
    }

    private async Task<ShutdownResult> ShutdownCoreAsync()
    {
        _shutdownBegun?.Cancel();
        _delivery.Deadline.Begin(_options.ShutdownTimeout);
        using var deadline = _time.CreateTimer(static s => ((SluiceEngine)s!).EndDrain(), this, _options.ShutdownTimeout, Timeout.InfiniteTimeSpan);
        _ring.Kick();
        await _consumer.ConfigureAwait(false);
        _spool?.Kept.Stop();
        if (Volatile.Read(ref _evictionsUnderway) != 0)
            await EvictionsSettledAsync().ConfigureAwait(false);

        // Senders finish when the queue is empty, or promptly after the deadline if the transport
        // honours cancellation; one that ignores it gets a short grace, then its batch is written off.
        var senders = _delivery.WhenCompletedAsync();
        if (!senders.IsCompleted)
        {
            var forced = WhenAbortedAsync();
            if (await Task.WhenAny(senders, forced).ConfigureAwait(false) != senders)
                _delivery.AbandonInFlight();
        }

        _delivery.Tracker.ReleaseAll();
        while (_flushRequests.TryDequeue(out var late))
            late.Done.TrySetResult();
        foreach (var pending in _pendingFlushes)
            pending.Done.TrySetResult();

        await _lingerTimer.DisposeAsync().ConfigureAwait(false);
        _arenas.Release();
        // Before the counters are read: closing, the spool syncs what is left (acknowledgements) and looks for deleted or
        // truncated segment files one last time, and what it finds lost must be in the result, not counted left in it.
        _spool?.Disk.Dispose();
        var counters = GetCounters();
        _ring.Dispose();
        _metrics.Freeze(counters);
        _metrics.Dispose();
        _shutdownBegun?.Dispose();

        Debug.Assert(counters.InFlight == 0, "Every accepted event is settled after shutdown.");
        return new ShutdownResult(counters.LostAtShutdown, _cutShort || _delivery.Deadline.WroteOff, counters);
    }

    /// <summary>
    /// The shutdown deadline passed, or the caller's token ended the drain: senders abort, the rest is counted lost.
    /// Whether that cut something short (<see cref="ShutdownResult.TimedOut"/>) is decided first, before the cancellation
    /// settles what was left: a deadline passing once everything is settled (a zero ShutdownTimeout on an idle engine)
    /// cuts nothing. Accepted no longer grows (the ring is closed) and the snapshot reads it last, so an InFlight of zero
    /// there means nothing was left.
    /// </summary>
    private void EndDrain()
    {
        if (!_abort.IsCancellationRequested && _counters.Snapshot(static ring => ring.TotalEnqueued, _ring).InFlight > 0)
            _cutShort = true;
        _abort.Cancel();
    }

    /// <summary>
    /// A drop-oldest caller that evicted records may still be reporting their fates (in its
    /// <see cref="SluiceOptions.OnBatchSettled"/>) when the serializer finds the ring drained (their count is done: it
    /// counts them before publishing its own event, which the serializer reads): the result waits for it, so that every
    /// fate has been reported, bounded as the senders are.
    /// </summary>
    private async Task EvictionsSettledAsync()
    {
        ShutdownAwaitsEvictions = true;
        var forced = WhenAbortedAsync();
        while (Volatile.Read(ref _evictionsUnderway) != 0 && !forced.IsCompleted)
            await Task.Delay(1).ConfigureAwait(false); // a few instructions, or a callback: rare, and only at shutdown
    }

    /// <summary>Whether the shutdown has waited for a drop-oldest caller's eviction in progress (for tests).</summary>
    internal bool ShutdownAwaitsEvictions { get; private set; }

    /// <summary>
    /// How long after the drain is ended a transport that ignores cancellation (or a drop-oldest caller's eviction) is
    /// waited for before its batch is written off, on the engine's clock. A host that ends the drain gives the engine more
    /// than this to report its result.
    /// </summary>
    internal static readonly TimeSpan WriteOffGrace = TimeSpan.FromSeconds(1);

    private async Task WhenAbortedAsync()
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The deadline passed.
        }

        await Task.Delay(WriteOffGrace, _time).ConfigureAwait(false);
    }

    /// <summary>The consumer loop: the only thread that serializes.</summary>
    private async Task ConsumeAsync()
    {
        if (_spool is not null)
            await ReplayAsync(_spool).ConfigureAwait(false);

        do
        {
            try
            {
                // Serialize in synchronous stretches; between them, hand sealed batches over and, since
                // under sustained load the ring never empties, look at flush and linger requests.
                while (true)
                {
                    int drained = Drain(max: 1024);
                    if (_assembler.HasSealed)
                        await HandOffSealedAsync().ConfigureAwait(false);
                    if (drained == 0 || Volatile.Read(ref _lingerDue) != 0 || !_flushRequests.IsEmpty)
                        break;
                }

                await ServiceControlAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Diagnose(new DiagnosticEvent(DiagnosticKind.InternalError, $"The serializer loop caught an unexpected error and carries on: {ex.Message}", 0, ex));
            }
        }
        while (await _ring.WaitToReadAsync().ConfigureAwait(false));

        // Closed and drained: seal the rest and let the senders finish.
        if (_abort.IsCancellationRequested)
        {
            _fates.FlushLost(cause: null);
            _delivery.LoseQueued(_unsentAtDeadline + _assembler.AbandonOpen(_delivery.LastFailureOf));
        }
        else
        {
            _assembler.SealAll();
        }

        await HandOffSealedAsync().ConfigureAwait(false);
        if (_spool is { } spool)
            await HandOverFromDiskAsync(spool, wait: true).ConfigureAwait(false);
        _delivery.Complete();
        await ServiceControlAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Serializes up to <paramref name="max"/> queued records, stopping early when the ring looks
    /// empty or, unless not <paramref name="stopAtSeal"/>, a batch was sealed (so it is handed over at once); returns how many were read.
    /// Records are read in their slots, without a copy (see <see cref="RingChannel{T}.PeekHead"/>),
    /// unless drop-oldest writers may evict them.
    /// </summary>
    private int Drain(int max, bool stopAtSeal = true)
    {
        var ring = _ring;
        int read = 0;
        while (read < max)
        {
            if (ring.EvictingWriters)
            {
                if (!ring.TryDequeue(out var copy, out long ticket))
                    break;
                Serialize(ref copy, ticket);
            }
            else
            {
                ref var record = ref ring.PeekHead(out bool available);
                if (!available)
                    break;

                try
                {
                    Serialize(ref record, ring.HeadTicket);
                }
                finally
                {
                    ring.ReleaseHead();
                }
            }

            read++;
            if (stopAtSeal && _assembler.HasSealed)
                break;
        }

        return read;
    }

    /// <summary>Serializes a record read from the queue, whose ticket there (its sequence number) is <c>sequence</c>; after the deadline, counts it lost.</summary>
    private void Serialize(ref EventRecord record, long sequence)
    {
        if (_abort.IsCancellationRequested)
        {
            _unsentAtDeadline++;
            _fates.QueuedLost(sequence);
            _assembler.RecycleRetired(in record);
            return;
        }

        _assembler.Add(ref record, sequence);
        if (!_lingerArmed && _assembler.TakeOpenedFlag())
            ArmLinger(_options.FlushInterval);
    }

    private async ValueTask HandOffSealedAsync()
    {
        while (true)
        {
            bool sealedNow = false;
            if (!_spooledAhead.TryDequeue(out var batch))
            {
                if (!_assembler.TryTakeSealed(out batch))
                    return;
                sealedNow = true;
            }

            await HandOverAsync(batch, append: sealedNow).ConfigureAwait(false);
        }
    }

    private async ValueTask ServiceControlAsync()
    {
        if (_onDisk.Count > 0)
            await HandOverFromDiskAsync(_spool!, wait: false).ConfigureAwait(false);
        if (_spool is { Kept.Any: true } spool && _onDisk.Count == 0)
            await ResendKeptAsync(spool).ConfigureAwait(false);

        if (Interlocked.Exchange(ref _lingerDue, 0) != 0)
        {
            _lingerArmed = false;
            var next = _assembler.SealExpired(_options.FlushInterval);
            if (next is { } due)
                ArmLinger(due);
        }

        if (_assembler.TakeOpenedFlag() && !_lingerArmed)
            ArmLinger(_options.FlushInterval);

        while (_flushRequests.TryDequeue(out var request))
            _pendingFlushes.Add(request);

        if (_pendingFlushes.Count > 0)
        {
            long read = _ring.TotalDequeued;
            bool sealedForFlush = false;
            for (int i = _pendingFlushes.Count - 1; i >= 0; i--)
            {
                var request = _pendingFlushes[i];
                if (request.Target > read)
                    continue; // an event accepted before the flush is still being published
                if (!sealedForFlush)
                {
                    _assembler.SealAll();
                    sealedForFlush = true;
                }

                _pendingFlushes.RemoveAt(i);
                _ = CompleteFlushAsync(request, _delivery.Tracker.WhenFinished(_assembler.SealedCount));
            }

            if (sealedForFlush)
                await HandOffSealedAsync().ConfigureAwait(false);
        }

        if (_assembler.HasSealed)
            await HandOffSealedAsync().ConfigureAwait(false);
    }

    /// <summary>Completes a flush once its batches finished; with a spool, after syncing it (what was left there is then durable, unless the policy is SpoolSync.None, which never syncs).</summary>
    private async Task CompleteFlushAsync(FlushRequest request, Task finished)
    {
        await finished.ConfigureAwait(false);
        if (_spool is not null)
            await Task.Run(_spool.Disk.Sync).ConfigureAwait(false);
        request.Done.TrySetResult();
    }

    private void ArmLinger(TimeSpan due)
    {
        _lingerArmed = true;
        _lingerTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void OnLinger()
    {
        Interlocked.Exchange(ref _lingerDue, 1);
        _ring.Kick();
    }

    private void Diagnose(DiagnosticEvent diagnostic)
    {
        var sink = _options.OnDiagnostic;
        if (sink is null)
            return;
        var outer = EnterCallback();
        try
        {
            sink(diagnostic);
        }
        catch (Exception ex)
        {
            // The diagnostics callback is the last place errors go; report its own failure to tracing.
            Trace.TraceError($"Sluice: the OnDiagnostic callback threw: {ex}");
        }
        finally
        {
            LeaveCallback(outer);
        }
    }

    private sealed class FlushRequest(long target)
    {
        /// <summary>Tickets handed out when the flush was requested: everything before it must be read first.</summary>
        public long Target { get; } = target;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
