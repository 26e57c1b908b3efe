using System.Globalization;
using Sluice.Batching;
using Sluice.Diagnostics;

namespace Sluice.Delivery;

/// <summary>
/// Delivers one batch the way the failure table in docs/delivery.md says: transient failures (429, 5xx,
/// timeouts, connection errors) are retried with exponential backoff and full jitter, honouring <c>Retry-After</c>
/// (which holds every batch to that endpoint: <see cref="EndpointHolds"/>), within a per-body attempt budget and a
/// per-batch time budget, then expire; a 400 bisects the batch until each invalid event has been refused alone (only
/// then is it counted rejected) and every other event delivered; a 413 splits the batch and lowers the partition's
/// byte limit (restored by a delivery <see cref="LimitRestoreInterval"/> after the last 413); a 401/403 hands the job
/// back so its endpoint can be paused. One request at a time per job, so a
/// bisection costs at most <see cref="BisectionBound"/> requests, sent one after the other by the sender that holds
/// the batch. Parts are written as sub-batches (<see cref="Batch.Slice(int, int)"/>) and released after their send.
/// Thread-safe: one call per job at a time.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.")]
internal sealed class DeliveryPolicy
{
    private const int ExcerptBytes = 200;

    /// <summary>
    /// How long after an endpoint's last 413 a delivery to it restores its configured byte limit: a short episode (a proxy
    /// briefly misconfigured, a deploy rolled back) must not shrink its batches for the engine's life; a proxy that still
    /// limits costs a 413 or a few (the limit halves on each) and their splits per interval.
    /// </summary>
    internal static readonly TimeSpan LimitRestoreInterval = TimeSpan.FromMinutes(10);

    private readonly IBatchTransport _transport;
    private readonly RetryPolicy _retry;
    private readonly Settlement _settle;
    private readonly EngineCounters _counters;
    private readonly Func<int, OpenBatch> _partitions;
    private readonly BodyLedger _bodies;
    private readonly SluiceMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly CancellationToken _abort;
    private readonly int _maxAttempts;
    private readonly TimeSpan _budget;
    private readonly EndpointHolds _holds;
    private readonly ShutdownDeadline _deadline;

    // One per MaxConcurrentSends, taken for each transport call: the senders are that many, but a paused endpoint's probe
    // (and the held batches it sends once resumed) runs beside them, and the transport must still see no more calls at once.
    private readonly SemaphoreSlim _sends;
    private int _waitingToSend;

    public DeliveryPolicy(SluiceOptions options, IBatchTransport transport, RetryPolicy retry, Settlement settle, EngineCounters counters,
        Func<int, OpenBatch> partitions, BodyLedger bodies, SluiceMetrics metrics, Action<DiagnosticEvent> diagnose, EndpointHolds holds, ShutdownDeadline deadline, CancellationToken abort)
    {
        _transport = transport;
        _retry = retry;
        _settle = settle;
        _counters = counters;
        _partitions = partitions;
        _bodies = bodies;
        _metrics = metrics;
        _time = options.TimeProvider;
        _diagnose = diagnose;
        _abort = abort;
        _maxAttempts = options.MaxSendAttempts;
        _budget = options.RetryBudget;
        _sends = new SemaphoreSlim(options.MaxConcurrentSends);
        _holds = holds;
        _deadline = deadline;
    }

    /// <summary>Attempts waiting for one of the <see cref="SluiceOptions.MaxConcurrentSends"/> sends under way to finish (for tests).</summary>
    public int WaitingToSend => Volatile.Read(ref _waitingToSend);

    /// <summary>
    /// The most requests a 400-rejected batch of <paramref name="n"/> events with <paramref name="k"/> invalid ones costs,
    /// the first included: 1 + 2 × (rejected parts of two events or more). A rejected part is split in halves, and each is
    /// sent; parts holding an invalid event number at most min(k, 2^d) at depth d, and parts of two events or more exist at
    /// depths 0 … ⌈log2 n⌉ − 1; a full bisection (every event invalid) sends each of the tree's 2n − 1 parts once.
    /// For k = 1 that is 1 + 2⌈log2 n⌉ (21 for n = 1,000); about 1 + 2k(⌈log2 n⌉ − log2 k + 1) in general.
    /// </summary>
    public static long BisectionBound(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0)
            return 1;
        int depths = 32 - int.LeadingZeroCount(n - 1); // ⌈log2 n⌉ (0 for n = 1)
        long rejectedParts = 0;
        for (int d = 0; d < depths; d++)
            rejectedParts += Math.Min(k, 1L << d);
        return Math.Min(1 + (2 * rejectedParts), (2L * n) - 1);
    }

    /// <summary>What is said of an attempt whose transport returned a <see cref="SendResult"/> with no outcome.</summary>
    internal const string NoOutcome = "the transport returned a SendResult with no outcome (default or new SendResult(), not one of its factories), " +
        "so whether the receiver took the events is not known; the transport must return SendResult.Delivered, Retry(...), Failed(...) or another factory's result";

    public async ValueTask<JobOutcome> RunAsync(DeliveryJob job)
    {
        var batch = job.Batch;
        while (job.TryPeek(out var range))
        {
            if (_abort.IsCancellationRequested)
            {
                _settle.AtDeadline(job);
                return JobOutcome.Finished;
            }

            // A 413 may have lowered the limit since this batch was sealed: split before sending what would be refused.
            if (range.Count > 1 && batch.RangeLength(range.Start, range.Count) > _partitions(batch.Partition).MaxBytes)
            {
                job.Split();
                continue;
            }

            // A server's Retry-After holds its whole endpoint. Before the job's time budget starts: a batch that has not been
            // sent yet did not fail; then the loop checks again (the deadline, a lower limit, a longer hold set meanwhile).
            if (_holds.Remaining(batch.Partition) is { Ticks: > 0 } held)
            {
                if (await _deadline.WaitAsync(held).ConfigureAwait(false))
                    continue;
                _settle.AtDeadline(job); // the hold outlasts the shutdown
                return JobOutcome.WrittenOff;
            }

            job.StartedAt ??= _time.GetTimestamp();

            long sentAt = _time.GetTimestamp();
            var sent = await SendAsync(job, range).ConfigureAwait(false);
            if (sent is not { } result)
            {
                _settle.AtDeadline(job); // cancelled in flight: the server may have these events
                return JobOutcome.Finished;
            }

            bool delivered = result.Outcome == SendOutcome.Delivered;
            _settle.Failures.Record(batch.Partition, delivered ? null : result.Cause, result.Outcome == SendOutcome.Retry, sentAt);
            if (!delivered)
                batch.LastFailure = result.Cause; // what messages about this batch's events name as the cause

            switch (result.Outcome)
            {
                case SendOutcome.Delivered:
                    _settle.Delivered(batch, range);
                    job.Pop();
                    RestoreLimit(batch);
                    if (result.Warnings is { Count: > 0 } warnings)
                        ReportWarnings(batch, range, result, warnings);
                    break;

                case SendOutcome.Retry when !await WaitToRetryAsync(job, range, result).ConfigureAwait(false):
                    _settle.AtDeadline(job); // the retry would come after the shutdown's deadline
                    return JobOutcome.WrittenOff;

                case SendOutcome.Retry:
                    break;

                case SendOutcome.Rejected:
                    Rejected(job, range, result);
                    break;

                case SendOutcome.TooLarge:
                    TooLarge(job, range, result);
                    break;

                case SendOutcome.Unauthorized when ForbidsTheContent(job, result):
                    Forbidden(job, range, result);
                    break;

                case SendOutcome.Unauthorized:
                    if (result.StatusCode == 403)
                        job.ForbiddenAt = _time.GetTimestamp();
                    job.StartedAt = null; // the time budget restarts when the endpoint resumes
                    return JobOutcome.Unauthorized;

                default:
                    _settle.Failed(batch, range, $"Sending {Settlement.RangeName(batch, range)} failed permanently: {result.Cause}", result.Cause);
                    job.Pop();
                    break;
            }
        }

        return JobOutcome.Finished;
    }

    /// <summary>A 400: an event refused alone is rejected; a larger part is bisected, whatever the batch looks like.</summary>
    private void Rejected(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        if (range.Count == 1)
        {
            _settle.Rejected(batch, range, $"The server rejected {Settlement.RangeName(batch, range)}, sent alone: {result.Cause}. Event: {EventExcerpt(batch, range.Start)}", result.Cause);
            job.Pop();
            return;
        }

        if (range.Count == batch.EventCount)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
                $"The server rejected {Settlement.RangeName(batch, range)}: {result.Cause}. Bisecting it: the valid events are delivered, and an event is counted rejected only when refused alone.",
                range.Count));
        }

        job.Split();
    }

    /// <summary>
    /// Whether a 403 refuses this batch's content rather than the credentials: the endpoint refused this batch with a 403 before
    /// and has since accepted a request sent after that refusal (with the same credentials), as a web application firewall in
    /// front of a server does with a body it dislikes. Pausing the endpoint for it would hold up every other batch for good. A
    /// request sent before the refusal and accepted after it does not count: the credentials may have been revoked in between.
    /// </summary>
    private bool ForbidsTheContent(DeliveryJob job, SendResult result)
        => result.StatusCode == 403 && (job.ContentForbidden || (job.ForbiddenAt is { } refused && _settle.Failures.AcceptedSentAt(job.Batch.Partition) > refused));

    /// <summary>A 403 for the content (<see cref="ForbidsTheContent"/>): said once, then handled as a 400 (<see cref="Rejected"/>).</summary>
    private void Forbidden(DeliveryJob job, PendingRange range, SendResult result)
    {
        if (!job.ContentForbidden)
        {
            job.ContentForbidden = true;
            _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
                $"{job.Batch.EndpointPath} refused {Settlement.RangeName(job.Batch, range)} again ({result.Cause}) though it accepted other requests since: it refuses this batch's content " +
                "(a web application firewall, say), not the credentials. Bisecting it instead of pausing the endpoint: the other events are delivered, and an event refused alone is counted rejected.",
                range.Count));
        }

        Rejected(job, range, result);
    }

    /// <summary>A 413: lower the endpoint's limit; a lone event is rejected, a larger part is now over the limit and the loop splits it.</summary>
    private void TooLarge(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        LowerLimit(batch, range, result); // below the refused length: max(half of it, its largest event) < it for two events or more
        if (range.Count == 1)
        {
            _settle.Rejected(batch, range, $"The server refused {Settlement.RangeName(batch, range)} as too large even alone: {result.Cause}. Event: {EventExcerpt(batch, range.Start)}", result.Cause);
            job.Pop();
        }
    }

    /// <summary>
    /// Writes the send-time fields of <paramref name="body"/>, <paramref name="range"/> of <paramref name="batch"/> (<see cref="Serialization.WireFormat.StampBeforeSend"/>); null when done. A format that
    /// throws there is a bug of its own, not the transport's: nothing was sent (the server has none of the events) and every
    /// attempt would throw again, so the attempt fails for good rather than being retried as a transport's failure.
    /// </summary>
    private SendResult? Stamp(Batch body, Batch batch, PendingRange range)
    {
        try
        {
            body.StampForSend(_time.GetUtcNow());
            return null;
        }
        catch (Exception ex)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
                $"The wire format's StampBeforeSend threw for {Settlement.RangeName(batch, range)}, which was not sent: {ex.GetType().Name}: {ex.Message}", range.Count, ex));
            return SendResult.Failed($"the wire format's StampBeforeSend threw {ex.GetType().Name}: {ex.Message.TrimEnd('.')}");
        }
    }

    /// <summary>One attempt; null if the shutdown deadline cancelled it, which a transport may say with any exception (the job's range then stays in flight).</summary>
    private async ValueTask<SendResult?> SendAsync(DeliveryJob job, PendingRange range)
    {
        if (!await TakeSendAsync().ConfigureAwait(false))
            return null; // the deadline passed first: nothing was sent (the job is not in flight)

        try
        {
            return await SendTakenAsync(job, range).ConfigureAwait(false);
        }
        finally
        {
            _sends.Release();
        }
    }

    /// <summary>Waits for a send to be allowed; false if the shutdown deadline passes first.</summary>
    private async ValueTask<bool> TakeSendAsync()
    {
        if (_sends.Wait(0))
            return true;
        Interlocked.Increment(ref _waitingToSend);
        try
        {
            await _sends.WaitAsync(_abort).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _waitingToSend);
        }
    }

    private async ValueTask<SendResult?> SendTakenAsync(DeliveryJob job, PendingRange range)
    {
        var batch = job.Batch;
        var body = range.Count == batch.EventCount ? batch : _bodies.Take(batch.Slice(range.Start, range.Count));
        long started = _time.GetTimestamp();
        bool answered = true;
        job.InFlight(true);
        try
        {
            if (Stamp(body, batch, range) is { } unstamped)
            {
                Record(batch, started, OutcomeName(unstamped.Outcome), 0, ErrorType(unstamped));
                return unstamped;
            }

            var result = await _transport.SendAsync(body, _abort).ConfigureAwait(false);
            if (result.Outcome == SendOutcome.None)
                result = SendResult.Failed(NoOutcome); // never taken for a delivery: whether the receiver has the events is not known
            if (result is { Outcome: SendOutcome.Retry, Failure: SendFailure.None } && _abort.IsCancellationRequested)
            {
                // A transport ending a cancelled send with a result rather than an exception, saying nothing of what
                // happened: the send was in flight at the deadline, as if it had thrown.
                answered = false;
                Record(batch, started, "cancelled", 0, "cancelled");
                return null;
            }

            Record(batch, started, OutcomeName(result.Outcome), result.StatusCode, ErrorType(result));
            return result;
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // Cancelled in flight, whatever exception the transport ends the send with once the token fired (an RPC
            // client's own cancelled status, an aborted socket's IOException): not a failure to retry or expire.
            answered = false;
            Record(batch, started, "cancelled", 0, "cancelled");
            return null;
        }
        catch (Exception ex)
        {
            Record(batch, started, "retry", 0, ex.GetType().FullName);
            // Reported once, as any failed attempt, by the retry (with the exception) or the expiry. Without the exception
            // message's own full stop: messages put the cause in the middle of a sentence.
            return SendResult.Retry($"the transport threw {ex.GetType().Name}: {ex.Message.TrimEnd('.')}") with { Failure = SendFailure.TransportException, Exception = ex };
        }
        finally
        {
            if (answered)
                job.InFlight(false);
            if (!ReferenceEquals(body, batch))
                _bodies.Release(body);
        }
    }

    /// <summary>
    /// Waits before the next attempt, or expires the range when a budget is spent. A deadline passing meanwhile ends the wait: the
    /// loop then settles the job. False, without waiting for it, when the wait would not end before the shutdown's deadline.
    /// </summary>
    private async ValueTask<bool> WaitToRetryAsync(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        range = range with { Attempts = range.Attempts + 1, MayHaveArrived = range.MayHaveArrived || result.MayHaveArrived };
        var elapsed = _time.GetElapsedTime(job.StartedAt!.Value); // set before the attempt that failed
        var delay = _retry.RetryDelay(range.Attempts, result.RetryAfter);
        string asked = AskedWait(result.RetryAfter, delay);
        if (result.RetryAfter is { } after)
            _holds.Hold(batch.Partition, _retry.Hold(after)); // every batch to this endpoint waits, whether this one is retried or not
        if (range.Attempts >= _maxAttempts || elapsed + delay > _budget)
        {
            string why = range.Attempts >= _maxAttempts
                ? $"after {range.Attempts} attempt{(range.Attempts == 1 ? "" : "s")}"
                : $"its retry budget of {_budget} would be exceeded by the next wait of {Seconds(delay)}{asked}";
            string doubt = range.MayHaveArrived ? $" An attempt {SendResult.MayHaveArrivedWhy}: the server may have some of them." : "";
            _settle.Expired(batch, range, $"Sending {Settlement.RangeName(batch, range)} expired ({why}); last failure: {result.Cause}.{doubt}", result.Cause, result.Exception);
            job.Pop();
            return true;
        }

        job.Update(range);
        if (_abort.IsCancellationRequested)
            return true; // answered after the deadline: there is no retry to count or announce; the loop settles what is left
        if (_deadline.Outlasts(delay))
            return false; // no retry to count or announce either
        Interlocked.Increment(ref _counters.Retries);
        _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
            $"Attempt {range.Attempts} to send {Settlement.RangeName(batch, range)} failed: {result.Cause}. Retrying in {delay.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms{asked}.{(result.RetryAfter is not { Ticks: > 0 } ? "" : $" Nothing is sent to {batch.EndpointPath} until its Retry-After has passed.")}", range.Count,
            result.Exception));
        return await _deadline.WaitAsync(delay).ConfigureAwait(false);
    }

    /// <summary>The server's own <c>Retry-After</c>, if it gave one, for messages: it explains a wait, or an expiry after no time at all.</summary>
    private static string AskedWait(TimeSpan? retryAfter, TimeSpan delay) => retryAfter is { } after
        ? $" (Retry-After: {Seconds(after)}{(after > delay ? ", capped at RetryMaxDelay" : "")})"
        : "";

    private static string Seconds(TimeSpan wait) => string.Create(CultureInfo.InvariantCulture, $"{wait.TotalSeconds:0.###} s");

    /// <summary>
    /// After a 413 the endpoint's limit is below the refused length: a lone event lowers it to just below
    /// that; a larger body halves it (to converge fast) but never below its largest event, which must still fit.
    /// </summary>
    private void LowerLimit(Batch batch, PendingRange range, SendResult result)
    {
        long refused = batch.RangeLength(range.Start, range.Count);
        long target = refused - 1;
        if (range.Count > 1)
        {
            long largest = 0;
            for (int i = range.Start; i < range.Start + range.Count; i++)
                largest = Math.Max(largest, batch.RangeLength(i, 1));
            target = Math.Max(refused / 2, largest);
        }

        var open = _partitions(batch.Partition);
        int before = open.MaxBytes;
        int now = open.LowerMaxBytes((int)Math.Max(target, batch.EnvelopeLength + 2), _time.GetTimestamp());
        if (now < before)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.LimitLowered,
                string.Create(CultureInfo.InvariantCulture, $"The server refused a {refused:N0}-byte body to {batch.EndpointPath} as too large: {result.Cause}. That endpoint's batch byte limit is lowered from {before:N0} to {now:N0}."), range.Count));
        }
    }

    /// <summary>After a delivery: the endpoint's configured limit back, once <see cref="LimitRestoreInterval"/> has passed since its last 413.</summary>
    private void RestoreLimit(Batch batch)
    {
        var open = _partitions(batch.Partition);
        if (open.RestoreMaxBytes(_time, LimitRestoreInterval) is not { } before)
            return;
        _diagnose(new DiagnosticEvent(DiagnosticKind.LimitRestored,
            string.Create(CultureInfo.InvariantCulture, $"{batch.EndpointPath} has refused no body as too large for {LimitRestoreInterval.TotalMinutes:0} minutes or more: that endpoint's batch byte limit is restored from {before:N0} to {open.ConfiguredMaxBytes:N0}. Should it refuse one again, the limit is lowered again.")));
    }

    private void ReportWarnings(Batch batch, PendingRange range, SendResult result, IReadOnlyList<string> warnings)
    {
        string id = result.ResponseId is { } responseId ? $" (response_id {responseId})" : "";
        _diagnose(new DiagnosticEvent(DiagnosticKind.ServerWarning,
            $"The server accepted {Settlement.RangeName(batch, range)}{id} with warnings: {string.Join("; ", warnings)}", range.Count));
    }

    private void Record(Batch batch, long started, string outcome, int status, string? errorType)
        => _metrics.RecordRequest(batch.EndpointPath, outcome, status, errorType, _time.GetElapsedTime(started));

    private static string EventExcerpt(Batch batch, int index) => Excerpt.Of(batch.GetEvent(index), ExcerptBytes);

    /// <summary>The <c>sluice.request.outcome</c> of an answer.</summary>
    internal static string OutcomeName(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Delivered => "delivered",
        SendOutcome.Retry => "retry",
        SendOutcome.Rejected => "rejected",
        SendOutcome.TooLarge => "too_large",
        SendOutcome.Unauthorized => "unauthorized",
        _ => "failed",
    };

    /// <summary>The <c>error.type</c> of an answer: the status code for an error status, a category for a failure without an answer, none for a delivery.</summary>
    internal static string? ErrorType(SendResult result) => result.Outcome == SendOutcome.Delivered ? null : result.Failure switch
    {
        SendFailure.ErrorStatus => result.StatusCode.ToString(CultureInfo.InvariantCulture),
        SendFailure.Timeout => "timeout",
        SendFailure.ConnectionRefused => "connection_refused",
        SendFailure.NameNotResolved => "name_resolution_error",
        SendFailure.ConnectionFailed => "connection_error",
        SendFailure.SecureConnection => "secure_connection_error",
        SendFailure.ConnectionLost => "connection_lost",
        SendFailure.InvalidResponse => "invalid_response",
        _ => "_OTHER",
    };
}
