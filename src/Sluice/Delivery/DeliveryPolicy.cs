using System.Buffers;
using System.Text;
using Sluice.Batching;
using Sluice.Diagnostics;

namespace Sluice.Delivery;

/// <summary>
/// Delivers one batch the way the failure table in docs/delivery.md says: transient failures (429, 5xx, timeouts,
/// connection errors) are retried with exponential backoff and full jitter, honouring <c>Retry-After</c>,
/// within a per-body attempt budget and a per-batch time budget, then expire; a 400 bisects the batch
/// until each invalid event stands alone, delivering the rest (unless the batch proves mostly invalid,
/// see <see cref="IsolationLimit"/>); a 413 splits the batch and lowers the
/// partition's byte limit; a 401/403 hands the job back so its endpoint can be paused. Parts are
/// written as sub-batches (<see cref="Batch.Slice"/>) and released after their send. Thread-safe: one
/// call per job at a time.
/// </summary>
internal sealed class DeliveryPolicy
{
    /// <summary>
    /// Bisection isolates invalid events one by one, at about 2·log2(n) requests each. When a batch has
    /// shown this many invalid events and fewer valid ones, a server refusing nearly everything (a
    /// schema change, say) would cost up to 2n requests: from then on a rejected part is counted
    /// rejected whole instead of being split further. Parts not yet tried still get their request.
    /// </summary>
    public const int IsolationLimit = 8;

    private const int ExcerptBytes = 200;

    private readonly IBatchTransport _transport;
    private readonly RetryPolicy _retry;
    private readonly Settlement _settle;
    private readonly EngineCounters _counters;
    private readonly Func<int, OpenBatch> _partitions;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly CancellationToken _abort;
    private readonly int _maxAttempts;
    private readonly TimeSpan _budget;

    public DeliveryPolicy(SluiceOptions options, IBatchTransport transport, RetryPolicy retry, Settlement settle, EngineCounters counters,
        Func<int, OpenBatch> partitions, Action<DiagnosticEvent> diagnose, CancellationToken abort)
    {
        _transport = transport;
        _retry = retry;
        _settle = settle;
        _counters = counters;
        _partitions = partitions;
        _time = options.TimeProvider;
        _diagnose = diagnose;
        _abort = abort;
        _maxAttempts = options.MaxSendAttempts;
        _budget = options.RetryBudget;
    }

    public async ValueTask<JobOutcome> RunAsync(DeliveryJob job)
    {
        var batch = job.Batch;
        while (job.TryPeek(out var range))
        {
            if (_abort.IsCancellationRequested)
            {
                _settle.Lost(batch);
                return JobOutcome.Finished;
            }

            // A 413 may have lowered the limit since this batch was sealed: split before sending what would be refused.
            if (range.Count > 1 && batch.RangeLength(range.Start, range.Count) > _partitions(batch.Partition).MaxBytes)
            {
                job.Split();
                continue;
            }

            if (job.StartedAt == 0)
                job.StartedAt = _time.GetTimestamp();

            var sent = await SendAsync(batch, range).ConfigureAwait(false);
            if (sent is not { } result)
            {
                _settle.Lost(batch);
                return JobOutcome.Finished;
            }

            switch (result.Outcome)
            {
                case SendOutcome.Delivered:
                    job.Pop();
                    job.DeliveredEvents += range.Count;
                    _settle.Delivered(batch, range.Count);
                    if (result.Warnings is { Count: > 0 } warnings)
                        ReportWarnings(batch, range, result, warnings);
                    break;

                case SendOutcome.Retry:
                    if (!await WaitToRetryAsync(job, range, result).ConfigureAwait(false))
                        return JobOutcome.Finished;
                    break;

                case SendOutcome.Rejected:
                    Rejected(job, range, result);
                    break;

                case SendOutcome.TooLarge:
                    TooLarge(job, range, result);
                    break;

                case SendOutcome.Unauthorized:
                    job.LastRefusal = result;
                    job.StartedAt = 0; // the time budget restarts when the endpoint resumes
                    return JobOutcome.Unauthorized;

                default:
                    job.Pop();
                    _settle.Failed(batch, range.Count, $"{range.Count} event(s) of batch {batch.Sequence} to {batch.EndpointPath} failed permanently{Status(result)}: {result.Message}");
                    break;
            }
        }

        return JobOutcome.Finished;
    }

    /// <summary>A 400: bisect, unless the part is one event (rejected) or the batch proves mostly invalid.</summary>
    private void Rejected(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        if (range.Count == 1)
        {
            job.Pop();
            job.RejectedAlone++;
            _settle.RejectedByServer(batch, 1, $"Event {range.Start} of batch {batch.Sequence} to {batch.EndpointPath} was rejected by the server{Status(result)}: {result.Message}. Event: {Excerpt(batch.GetEvent(range.Start))}");
        }
        else if (job.RejectedAlone >= IsolationLimit && job.DeliveredEvents < job.RejectedAlone)
        {
            job.Pop();
            _settle.RejectedByServer(batch, range.Count, $"Events {range.Start}–{range.Start + range.Count - 1} of batch {batch.Sequence} to {batch.EndpointPath} were rejected by the server{Status(result)}: {result.Message}. " +
                $"Not bisected further: the batch looks mostly invalid ({job.RejectedAlone} events isolated as invalid, {job.DeliveredEvents} delivered).");
        }
        else
        {
            if (range.Count == batch.EventCount)
                _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed, $"Batch {batch.Sequence} to {batch.EndpointPath} ({batch.EventCount} events) was rejected{Status(result)}: {result.Message}. Bisecting it to deliver the valid events and isolate the invalid ones.", batch.EventCount));
            job.Split();
        }
    }

    /// <summary>A 413: lower the endpoint's limit and split, unless the part is one event (rejected).</summary>
    private void TooLarge(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        LowerLimit(batch, range, result);
        if (range.Count == 1)
        {
            job.Pop();
            _settle.RejectedByServer(batch, 1, $"Event {range.Start} of batch {batch.Sequence} to {batch.EndpointPath} is too large for the server even alone{Status(result)}: {result.Message}. Event: {Excerpt(batch.GetEvent(range.Start))}");
        }
        else
        {
            job.Split();
        }
    }

    /// <summary>One attempt; null if the shutdown deadline cancelled it.</summary>
    private async ValueTask<SendResult?> SendAsync(Batch batch, PendingRange range)
    {
        var body = range.Count == batch.EventCount ? batch : batch.Slice(range.Start, range.Count);
        try
        {
            body.StampForSend(_time.GetUtcNow());
            return await _transport.SendAsync(body, _abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed, $"Transport threw while sending batch {batch.Sequence} to {batch.EndpointPath}: {ex.Message}", range.Count, ex));
            return SendResult.Retry(ex.Message);
        }
        finally
        {
            if (!ReferenceEquals(body, batch))
                body.Release();
        }
    }

    /// <summary>Waits before the next attempt, or expires the range when a budget is spent; false if the deadline passed meanwhile.</summary>
    private async ValueTask<bool> WaitToRetryAsync(DeliveryJob job, PendingRange range, SendResult result)
    {
        var batch = job.Batch;
        range = range with { Attempts = range.Attempts + 1 };
        var elapsed = _time.GetElapsedTime(job.StartedAt);
        var delay = _retry.RetryDelay(range.Attempts, result.RetryAfter);
        if (range.Attempts >= _maxAttempts || elapsed + delay > _budget)
        {
            job.Pop();
            string why = range.Attempts >= _maxAttempts ? $"after {range.Attempts} attempts" : $"the retry budget of {_budget} would be exceeded";
            _settle.Expired(batch, range.Count, $"{range.Count} event(s) of batch {batch.Sequence} to {batch.EndpointPath} expired ({why}); last failure{Status(result)}: {result.Message}");
            return true;
        }

        job.Update(range);
        Interlocked.Increment(ref _counters.Retries);
        _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed,
            $"Attempt {range.Attempts} of batch {batch.Sequence} to {batch.EndpointPath} failed{Status(result)}: {result.Message}. Retrying in {delay.TotalMilliseconds:F0} ms.", range.Count));
        if (delay <= TimeSpan.Zero)
            return true;
        try
        {
            await Task.Delay(delay, _time, _abort).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            _settle.Lost(batch);
            return false;
        }
    }

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
        int now = open.LowerMaxBytes((int)Math.Max(target, batch.EnvelopeLength + 2));
        if (now < before)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.LimitLowered,
                $"The server refused a {refused:N0}-byte body to {batch.EndpointPath} as too large{Status(result)}: {result.Message}. That endpoint's batch byte limit is lowered from {before:N0} to {now:N0}.", range.Count));
        }
    }

    private void ReportWarnings(Batch batch, PendingRange range, SendResult result, IReadOnlyList<string> warnings)
    {
        string id = result.ResponseId is { } responseId ? $" (response_id {responseId})" : "";
        _diagnose(new DiagnosticEvent(DiagnosticKind.ServerWarning,
            $"The server accepted batch {batch.Sequence} to {batch.EndpointPath}{id} with warnings: {string.Join("; ", warnings)}", range.Count));
    }

    private static string Status(SendResult result) => result.StatusCode != 0 ? $" ({result.StatusCode})" : "";

    private static string Excerpt(ReadOnlySequence<byte> json)
    {
        var head = json.Slice(0, Math.Min(json.Length, ExcerptBytes));
        string text = Encoding.UTF8.GetString(head);
        return json.Length > ExcerptBytes ? text + "…" : text;
    }
}
