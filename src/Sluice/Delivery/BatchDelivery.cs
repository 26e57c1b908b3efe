using System.Threading.Channels;
using Sluice.Batching;
using Sluice.Diagnostics;

namespace Sluice.Delivery;

/// <summary>
/// The sealed-batch queue and the senders that serve it. The queue is bounded (twice the senders, more with a spool syncing before each send: <see cref="SluiceOptions.SealedQueueCapacity"/>),
/// so a slow or failing endpoint pushes back on the serializer, and through it on the event queue,
/// whose full mode then applies. Each batch becomes a <see cref="DeliveryJob"/> run by the
/// <see cref="DeliveryPolicy"/> (retries, bisection, splits); a job refused its credentials pauses its
/// endpoint and is probed by a task of its own, and a job whose endpoint a server's <c>Retry-After</c> holds is set aside
/// until it passes (<see cref="HoldBack"/>), so other endpoints keep flowing. Every event is settled
/// exactly once and every batch's memory returned once its last send has finished.
/// </summary>
internal sealed class BatchDelivery
{
    private readonly Channel<Batch> _queue;
    private readonly int _capacity;
    private readonly DeliveryPolicy _policy;
    private readonly RetryPolicy _retry;
    private readonly Settlement _settle;
    private readonly EndpointPause[] _pauses;
    private readonly EngineCounters _counters;
    private readonly SluiceMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly CancellationToken _abort;
    private readonly SpoolJournal? _spool;
    private readonly int _held;
    private readonly Task[] _senders;

    // Guarded by _lock. Jobs are added by senders and removed by whoever finishes them; probes are added
    // by senders and probes; both are read at shutdown.
    private readonly Lock _lock = new();
    private readonly HashSet<DeliveryJob> _live = [];
    private readonly List<Task> _probes = [];

    // Also guarded by _lock: per partition, the jobs a sender set aside while a server's Retry-After holds that endpoint
    // (at most _held), and whether a task is waiting to send them.
    private readonly EndpointHolds _holds;
    private readonly List<DeliveryJob>[] _heldBack;
    private readonly bool[] _releasing;

    public BatchDelivery(SluiceOptions options, IBatchTransport transport, EngineCounters counters, Func<int, OpenBatch> partitions,
        SluiceMetrics metrics, Action<DiagnosticEvent> diagnose, CancellationToken abort, FateReporter? fates = null, SpoolJournal? spool = null)
    {
        int senders = options.MaxConcurrentSends;
        _capacity = options.SealedQueueCapacity;
        _queue = Channel.CreateBounded<Batch>(_capacity); // full: the writer waits for room
        _counters = counters;
        _metrics = metrics;
        _time = options.TimeProvider;
        _diagnose = diagnose;
        _abort = abort;
        _spool = spool;
        var format = options.WireFormat;
        _settle = new Settlement(counters, Tracker, new LastFailures(format.PartitionCount), format, diagnose, fates, spool);
        _retry = RetryPolicy.From(options);
        _holds = new EndpointHolds(format.PartitionCount, _time);
        Deadline = new ShutdownDeadline(_time, abort);
        _policy = new DeliveryPolicy(options, transport, _retry, _settle, counters, partitions, Bodies, metrics, diagnose, _holds, Deadline, abort);
        _heldBack = new List<DeliveryJob>[format.PartitionCount];
        for (int p = 0; p < _heldBack.Length; p++)
            _heldBack[p] = [];
        _releasing = new bool[format.PartitionCount];
        _pauses = new EndpointPause[options.WireFormat.PartitionCount];
        _held = senders * 2;
        for (int p = 0; p < _pauses.Length; p++)
            _pauses[p] = new EndpointPause(_held);
        _senders = new Task[senders];
        for (int i = 0; i < senders; i++)
            _senders[i] = Task.Run(SendLoopAsync, CancellationToken.None);
    }

    public DeliveryTracker Tracker { get; } = new();

    /// <summary>The shutdown's deadline, for the waits of delivery: the engine begins it when its shutdown begins.</summary>
    public ShutdownDeadline Deadline { get; }

    /// <summary>The batch bodies delivery holds: zero after a shutdown that wrote no stuck send off.</summary>
    public BodyLedger Bodies { get; } = new();

    /// <summary>Jobs started and not finished: the batches being sent, retried, parked or probed (for tests).</summary>
    public int LiveJobs
    {
        get
        {
            lock (_lock)
                return _live.Count;
        }
    }

    /// <summary>Batches held for paused endpoints, the probes' own not counted (for tests).</summary>
    public int Parked => _pauses.Sum(static p => p.Parked);

    /// <summary>Attempts waiting for a send under way to finish (for tests).</summary>
    public int WaitingToSend => _policy.WaitingToSend;

    /// <summary>Whether <paramref name="partition"/>'s endpoint is paused (for metrics).</summary>
    public bool IsPaused(int partition) => _pauses[partition].IsPaused;

    /// <summary>Whether the last attempt to <paramref name="partition"/>'s endpoint failed and is retried (for the health check).</summary>
    public bool IsRetrying(int partition) => _settle.Failures.Retried(partition);

    /// <summary>Serializer: hands a sealed batch over, waiting for room (the backpressure point).</summary>
    public ValueTask EnqueueAsync(Batch batch)
    {
        Bodies.Take(batch);
        _metrics.RecordBatch(batch.Length, batch.EventCount);
        if (!_abort.IsCancellationRequested && _queue.Writer.TryWrite(batch))
            return default;
        return EnqueueSlowAsync(batch);
    }

    /// <summary>Serializer: whether the sealed queue has room for a batch now.</summary>
    public bool HasRoom => _queue.Reader.Count < _capacity;

    /// <summary>
    /// Serializer: a batch it never handed over (kept on disk only, see <c>SluiceEngine.KeepOnDisk</c>) that will not be sent,
    /// because the deadline passed or for <paramref name="why"/>: spooled while the spool holds it, else lost.
    /// </summary>
    public void SettleUnsent(Batch batch, string? why = null) => _settle.Unsent(batch, why);

    /// <summary>Serializer: completes when the sealed queue has room for a batch; throws if <paramref name="cancellationToken"/> is cancelled first.</summary>
    public ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken) => _queue.Writer.WaitToWriteAsync(cancellationToken);

    /// <summary>No more batches will come.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Completes when the queue is drained and every job, probes included, has finished.</summary>
    public async Task WhenCompletedAsync()
    {
        await Task.WhenAll(_senders).ConfigureAwait(false);

        // Senders are done, so no new probe starts but from a running probe; wait until none is left.
        while (true)
        {
            Task[] probes;
            lock (_lock)
            {
                _probes.RemoveAll(static t => t.IsCompleted);
                if (_probes.Count == 0)
                    return;
                probes = [.. _probes];
            }

            await Task.WhenAll(probes).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// At a forced shutdown (a transport ignoring cancellation): settles whatever live jobs still hold, the
    /// stuck request's events as of unknown outcome, parts never sent as lost; and, as lost, the batches
    /// still queued or parked that the stuck senders will not get to. The live jobs' memory is not released:
    /// a transport may still be reading it.
    /// </summary>
    public void AbandonInFlight()
    {
        DeliveryJob[] live;
        lock (_lock)
            live = [.. _live];
        foreach (var job in live)
            _settle.AtDeadline(job);

        while (_queue.Reader.TryRead(out var queued))
        {
            _settle.Unsent(queued);
            Bodies.Release(queued);
        }

        foreach (var pause in _pauses)
        {
            foreach (var parked in pause.TakeParked())
                Lose(parked);
        }
    }

    /// <summary>The shutdown deadline passed before <paramref name="events"/> still queued or in open batches were sealed: counts them lost, naming the likely cause.</summary>
    public void LoseQueued(long events) => _settle.UnsentQueued(events);

    /// <summary>The last failure on <paramref name="partition"/>'s endpoint, if any.</summary>
    public string? LastFailureOf(int partition) => _settle.Failures.Of(partition);

    private async ValueTask EnqueueSlowAsync(Batch batch)
    {
        try
        {
            if (!_abort.IsCancellationRequested)
            {
                await _queue.Writer.WriteAsync(batch, _abort).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Fall through: the deadline passed while waiting for room.
        }

        _settle.Unsent(batch);
        Bodies.Release(batch);
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        while (true)
        {
            // ReadAsync, not WaitToReadAsync: a batch queued while every sender waits wakes one of them
            // (the channel hands it to the first waiting reader), not all of them, each a pool thread
            // that would find nothing and spin before it sleeps again.
            if (!reader.TryRead(out var batch))
            {
                try
                {
                    batch = await reader.ReadAsync().ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return; // completed and drained
                }
            }

            _spool?.BeforeSend(batch);
            var job = Start(batch);
            if (_pauses.Length > 1 && HoldBack(job))
                continue;

            // With one endpoint a sender waiting for the resume holds up no other endpoint: it pushes back on the queues
            // instead, whose full mode (or the spool's backlog) keeps the events, rather than expiring them.
            await AdmitAndRunAsync(job, waitIfFull: _pauses.Length == 1).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sets <paramref name="job"/> aside if a server's Retry-After holds its endpoint, so that the sender goes on with the other
    /// endpoints' batches rather than wait with this one (with a single endpoint nothing is set aside: the sender waits, which
    /// pushes back on the queues). At most <see cref="_held"/> per endpoint, so that memory stays bounded: beyond them, the
    /// sender waits with the job (<see cref="DeliveryPolicy"/> checks the hold before each attempt).
    /// </summary>
    private bool HoldBack(DeliveryJob job)
    {
        int partition = job.Batch.Partition;
        if (_holds.Remaining(partition) <= TimeSpan.Zero)
            return false;
        lock (_lock)
        {
            var held = _heldBack[partition];
            if (held.Count >= _held)
                return false;
            held.Add(job);
            if (!_releasing[partition])
            {
                _releasing[partition] = true;
                _probes.Add(Task.Run(() => ReleaseHeldBackAsync(partition), CancellationToken.None));
            }
        }

        return true;
    }

    /// <summary>Sends the jobs set aside for <paramref name="partition"/> once its hold has passed, until none is left.</summary>
    private async Task ReleaseHeldBackAsync(int partition)
    {
        while (true)
        {
            // Past the deadline, or when the hold outlasts it, the jobs are written off at once: lost, or kept in the spool.
            // A longer hold set meanwhile is waited out by each job (DeliveryPolicy checks before each attempt).
            bool writeOff = _abort.IsCancellationRequested || !await Deadline.WaitAsync(_holds.Remaining(partition)).ConfigureAwait(false);

            DeliveryJob[] jobs;
            lock (_lock)
            {
                jobs = [.. _heldBack[partition]];
                _heldBack[partition].Clear();
                if (jobs.Length == 0)
                {
                    _releasing[partition] = false; // under the lock: a job set aside from now on starts a new task
                    return;
                }
            }

            if (writeOff)
            {
                foreach (var job in jobs)
                    Lose(job);
                continue;
            }

            // At once, as senders would: the transport's calls stay bounded by MaxConcurrentSends.
            await Task.WhenAll(jobs.Select(job => AdmitAndRunAsync(job, waitIfFull: false))).ConfigureAwait(false);
        }
    }

    private DeliveryJob Start(Batch batch)
    {
        var job = new DeliveryJob(batch);
        lock (_lock)
            _live.Add(job);
        return job;
    }

    private void End(DeliveryJob job)
    {
        lock (_lock)
            _live.Remove(job);
        Bodies.Release(job.Batch);
    }

    /// <summary>
    /// Runs a job unless its endpoint is paused, in which case it is parked; if the endpoint already holds all it may, the
    /// job waits for the resume if <paramref name="waitIfFull"/> (a job the probe hands back, or one endpoint only), else it
    /// expires: with several endpoints, a sender waiting for the resume would hold up the other endpoints' batches queued behind it.
    /// </summary>
    private async Task AdmitAndRunAsync(DeliveryJob job, bool waitIfFull)
    {
        var pause = _pauses[job.Batch.Partition];
        while (true)
        {
            if (_abort.IsCancellationRequested)
            {
                Lose(job);
                return;
            }

            switch (pause.Admit(job, out var resumed))
            {
                case Admission.Parked:
                    return;
                case Admission.Open:
                    await RunAsync(job, pause).ConfigureAwait(false);
                    return;
                case Admission.Wait when !waitIfFull:
                    ExpireBeyondHeld(job);
                    return;
                default:
                    try
                    {
                        await resumed.WaitAsync(_abort).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        Lose(job);
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>The policy, guarded: a bug in it must still leave the batch accounted for and its sender or probe going on.</summary>
    private async ValueTask<JobOutcome> RunPolicyAsync(DeliveryJob job)
    {
        try
        {
            return await _policy.RunAsync(job).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.InternalError, $"Delivering batch {job.Batch.Sequence} failed unexpectedly: {ex.Message}", job.Batch.EventCount, ex));
            _settle.FailRemaining(job.Batch, $"Batch {job.Batch.Sequence} to {job.Batch.EndpointPath} could not be delivered: {ex.Message}");
            return JobOutcome.Finished;
        }
    }

    private async Task RunAsync(DeliveryJob job, EndpointPause pause)
    {
        var outcome = await RunPolicyAsync(job).ConfigureAwait(false);
        if (outcome != JobOutcome.Unauthorized)
        {
            End(job);
            return;
        }

        if (pause.Pause(job))
        {
            var batch = job.Batch;
            _diagnose(new DiagnosticEvent(DiagnosticKind.EndpointPaused,
                $"Sending to {batch.EndpointPath} is paused: the server refused the credentials ({job.Batch.LastFailure}). " +
                (_pauses.Length == 1 ? "Its batches are kept (up to the queue bounds)" : $"Up to {_held} of its batches are kept (later ones expire)") +
                $" and it is probed with one of them in about {_retry.ProbeCeiling(0)}, then at doubling intervals up to {_retry.ProbeCeiling(RetryPolicy.MaxProbeDoublings)}.",
                batch.EventCount));
            lock (_lock)
                _probes.Add(Task.Run(() => ProbeAsync(job, pause), CancellationToken.None));
        }
    }

    /// <summary>Retries a paused endpoint with one job until it is accepted, then delivers the parked jobs.</summary>
    private async Task ProbeAsync(DeliveryJob job, EndpointPause pause)
    {
        for (int probe = 0; ; probe++)
        {
            // A probe that cannot come before the shutdown's deadline is not waited for: nothing more will be sent there.
            if (!await Deadline.WaitAsync(_retry.ProbeDelay(probe)).ConfigureAwait(false) || _abort.IsCancellationRequested)
            {
                LoseAll(job, pause);
                return;
            }

            Interlocked.Increment(ref _counters.Retries);
            var outcome = await RunPolicyAsync(job).ConfigureAwait(false);
            if (_abort.IsCancellationRequested || outcome == JobOutcome.WrittenOff)
            {
                LoseAll(job, pause); // the deadline passed during the probe, or its retry would come after it: this is no resume
                return;
            }

            if (outcome == JobOutcome.Unauthorized)
            {
                _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
                    $"Probe {probe + 1} of {job.Batch.EndpointPath} was refused again ({job.Batch.LastFailure}); next probe in about {_retry.ProbeCeiling(probe + 1)}.",
                    job.Batch.EventCount));
                job = pause.NextProbe(job); // a held batch, if any: this one's content may be what is refused
                continue;
            }

            End(job);
            var parked = pause.Resume();
            // While paused nothing else is sent there: the endpoint's last failure is the probe's last answer, none if it was a delivery.
            string answer = _settle.Failures.Of(job.Batch.Partition) is { } failure
                ? $"answered probe {probe + 1} without refusing the credentials (last failure: {failure})"
                : $"accepted the credentials again after {probe + 1} probe(s)";
            _diagnose(new DiagnosticEvent(DiagnosticKind.EndpointResumed,
                $"{job.Batch.EndpointPath} {answer}; sending resumes ({parked.Count} batch(es) were held).", job.Batch.EventCount));

            // The held batches go out one by one, through the same gate: a new refusal pauses the endpoint again.
            foreach (var held in parked)
                await AdmitAndRunAsync(held, waitIfFull: true).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// A batch for a paused endpoint that already holds <see cref="_held"/> batches: its events expire (with a spool, they
    /// stay in it), as they would after retries, so that what a paused endpoint keeps stays bounded without stopping the others.
    /// </summary>
    private void ExpireBeyondHeld(DeliveryJob job)
    {
        var batch = job.Batch;
        job.TryPeek(out var range);
        string? cause = _settle.Failures.Of(batch.Partition);
        batch.LastFailure = cause;
        _settle.Expired(batch, range,
            $"Sending {Settlement.RangeName(batch, range)} expired (its endpoint is paused and already holds {_held} batches){(cause is null ? "." : $"; last failure: {cause}.")}",
            cause);
        End(job);
    }

    private void LoseAll(DeliveryJob probe, EndpointPause pause)
    {
        Lose(probe);
        foreach (var parked in pause.TakeParked())
            Lose(parked);
    }

    private void Lose(DeliveryJob job)
    {
        _settle.AtDeadline(job);
        End(job);
    }
}
