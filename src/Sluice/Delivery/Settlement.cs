using System.Globalization;
using System.Text;
using Sluice.Batching;
using Sluice.Diagnostics;
using Sluice.Serialization;

namespace Sluice.Delivery;

/// <summary>
/// Puts a batch's events, or some of them, into their terminal state (<see cref="EventOutcome"/>): counts them,
/// reports them to diagnostics with their cause, and tells the tracker when the batch's last event is settled.
/// Each event is settled once (<see cref="Batch.TrySettle"/>), whoever gets there first (a sender, a probe, a
/// forced shutdown). When someone listens (<see cref="FateReporter"/>), each settler also writes the outcomes of
/// the events it claimed into the batch, and the one writing the last reports the whole batch, once. With a spool,
/// what would expire or be given up at the shutdown deadline is left in the spool instead
/// (<see cref="EventOutcome.Spooled"/>), and a batch whose events all reached a final state is acknowledged there.
/// Thread-safe.
/// </summary>
internal sealed class Settlement(EngineCounters counters, DeliveryTracker tracker, LastFailures failures, WireFormat format, Action<DiagnosticEvent> diagnose,
    FateReporter? fates = null, SpoolJournal? spool = null)
{
    private readonly FateReporter _fates = fates ?? new FateReporter(null, diagnose);

    /// <summary>How messages name one event of a batch; the one place to change for a caller's own numbering.</summary>
    public static string EventName(Batch batch, int index) => $"event {index} of batch {batch.Sequence}";

    /// <summary>How messages name a range of a batch's events, in the middle of a sentence.</summary>
    public static string RangeName(Batch batch, PendingRange range) => range.Count == 1
        ? $"{EventName(batch, range.Start)} to {batch.EndpointPath}"
        : range.Count == batch.EventCount
            ? $"batch {batch.Sequence} to {batch.EndpointPath} ({batch.EventCount} events)"
            : $"events {range.Start}–{range.Start + range.Count - 1} of batch {batch.Sequence} to {batch.EndpointPath}";

    public LastFailures Failures => failures;

    public void Delivered(Batch batch, PendingRange range)
    {
        if (Settle(batch, range, EventOutcome.Delivered, null, null))
            Interlocked.Increment(ref counters.BatchesDelivered);
        spool?.Kept.Delivered(batch.Partition);
    }

    /// <summary>Events refused alone; the <c>cause</c> (the server's words) is what the settled-batch callback reports as their message.</summary>
    public void Rejected(Batch batch, PendingRange range, string message, string? cause) => Settle(batch, range, EventOutcome.Rejected, message, cause);

    public void Failed(Batch batch, PendingRange range, string message, string? cause) => Settle(batch, range, EventOutcome.Failed, message, cause);

    /// <summary>
    /// Out of attempts or retry budget: the events expire, or, if the spool holds the batch, stay there, to be sent again once the
    /// endpoint delivers (<see cref="KeptBatches"/>) or at the next start;
    /// <paramref name="exception"/> is what the transport threw on the last attempt, if it threw.
    /// </summary>
    public void Expired(Batch batch, PendingRange range, string message, string? cause, Exception? exception = null)
    {
        if (spool is not null && spool.Holds(batch))
        {
            batch.KeepInSpool = true;
            batch.RanOutOfRetries = true;
            batch.AddSpooled(range.Start, range.Count);
            Settle(batch, range, EventOutcome.Spooled, null, cause);
            diagnose(new DiagnosticEvent(DiagnosticKind.Spooled, $"{message} With the spool they are not expired: they stay in it and are sent again once the endpoint delivers (or on the next start).", range.Count,
                exception));
            return;
        }

        Settle(batch, range, EventOutcome.Expired, message, cause, exception);
    }

    /// <summary>An internal error: whatever of the batch is not settled yet fails.</summary>
    public void FailRemaining(Batch batch, string message)
    {
        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        Count(EventOutcome.Failed, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, message, events));
        if (batch.RecordsOutcomes)
        {
            batch.RecordOutcome(0, batch.EventCount, EventOutcome.Failed, message, unsetOnly: true);
            OutcomesWritten(batch, events);
        }

        Finish(batch);
    }

    /// <summary>
    /// The shutdown deadline passed: what the job has not settled yet has an unknown outcome if a request holding
    /// it may have reached the server (cancelled in flight, or an earlier attempt unanswered), else it is lost.
    /// </summary>
    public void AtDeadline(DeliveryJob job)
    {
        var batch = job.Batch;
        if (spool is not null && spool.Holds(batch))
        {
            KeepInSpool(batch, job: job);
            return;
        }

        int left = batch.SettleRemaining();
        if (left == 0)
            return;

        var ranges = job.Remaining();
        int unknown = MayHaveArrived(ranges, left);
        int lost = left - unknown;
        string? cause = batch.LastFailure;
        if (unknown > 0)
        {
            Count(EventOutcome.OutcomeUnknown, unknown);
            diagnose(new DiagnosticEvent(DiagnosticKind.OutcomeUnknown,
                $"{unknown} event(s) of batch {batch.Sequence} to {batch.EndpointPath} have an unknown outcome: a request holding them {SendResult.MayHaveArrivedWhy} before the shutdown deadline" +
                $"{(cause is null ? "" : $" (last failure: {cause})")}. The server may have them: resending them may create duplicates.", unknown));
        }

        if (lost > 0)
            ReportLost(batch, lost, cause is null ? null : $"the last attempt failed: {cause}");
        if (batch.RecordsOutcomes)
        {
            // Every range the job lists, not only `left` events' worth: the owner may have claimed the top one a
            // moment ago; its events are written here only if still unset, and the owner's own outcome overwrites them.
            foreach (var (range, mayHaveArrived) in ranges)
                batch.RecordOutcome(range.Start, range.Count, mayHaveArrived ? EventOutcome.OutcomeUnknown : EventOutcome.Lost, null, unsetOnly: true);
            OutcomesWritten(batch, left);
        }

        Finish(batch);
    }

    /// <summary>
    /// The shutdown deadline passed before a sender took the batch (or, with <paramref name="why"/>, it will not be sent for
    /// that reason, said as "were not sent: …"): all of it is lost, or stays in the spool.
    /// </summary>
    public void Unsent(Batch batch, string? why = null)
    {
        if (spool is not null && spool.Holds(batch))
        {
            KeepInSpool(batch, why);
            return;
        }

        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        ReportLost(batch, events, why);
        if (batch.RecordsOutcomes)
        {
            batch.RecordOutcome(0, batch.EventCount, EventOutcome.Lost, null); // no sender took it: none is written yet
            batch.LastFailure = failures.Of(batch.Partition);
            OutcomesWritten(batch, events);
        }

        Finish(batch);
    }

    /// <summary>
    /// Of the <paramref name="left"/> events unsettled, how many a request sent may have brought to the server. The ranges cover
    /// what is unsettled, except at a forced shutdown when the owner settled the top one a moment ago and has not popped it
    /// yet: they then hold that range more than is left, and it is not counted again.
    /// </summary>
    private static int MayHaveArrived(List<(PendingRange Range, bool MayHaveArrived)> ranges, int left)
    {
        int skip = ranges.Sum(static r => r.Range.Count) > left ? 1 : 0;
        return Math.Min(left, ranges.Skip(skip).Where(static r => r.MayHaveArrived).Sum(static r => r.Range.Count));
    }

    /// <summary>
    /// The shutdown deadline passed (or <paramref name="why"/>, said as "were not sent: …"): what the batch has not settled yet
    /// stays in the spool, for the next start. With the batch's <paramref name="job"/>, the message says how many of them a
    /// request may have brought to the server already, which the next start's sending may duplicate.
    /// </summary>
    private void KeepInSpool(Batch batch, string? why = null, DeliveryJob? job = null)
    {
        string? cause = batch.LastFailure;
        batch.KeepInSpool = true;
        int left = batch.SettleRemaining();
        if (left == 0)
            return;
        Count(EventOutcome.Spooled, left);
        batch.AddSpooled(left);
        string what = why is null ? "were not delivered before the shutdown deadline" : $"were not sent ({why})";
        int doubtful = job is null ? 0 : MayHaveArrived(job.Remaining(), left);
        string doubt = doubtful == 0 ? ""
            : $" {doubtful} of them may be at the server already (a request holding them {SendResult.MayHaveArrivedWhy}): sending them again may duplicate them.";
        diagnose(new DiagnosticEvent(DiagnosticKind.Spooled,
            $"{left} event(s) of batch {batch.Sequence} to {batch.EndpointPath} {what}" +
            $"{(cause is null ? "" : $" (last failure: {cause})")}: they stay in the spool and are sent on the next start (or by 'sluice spool drain').{doubt}", left));
        if (batch.RecordsOutcomes)
        {
            batch.RecordOutcome(0, batch.EventCount, EventOutcome.Spooled, null, unsetOnly: true);
            OutcomesWritten(batch, left);
        }

        Finish(batch);
    }

    /// <summary>
    /// The batch's last event is settled: the spool's copy is acknowledged (unless kept) and flushes waiting for it are told.
    /// <paramref name="bodyHeld"/>: the caller is the job's owner, so the body is not given back meanwhile (<see cref="SpoolJournal.Finished"/>).
    /// </summary>
    private void Finish(Batch batch, bool bodyHeld = false)
    {
        spool?.Finished(batch, bodyHeld);
        tracker.Finish(batch.Sequence);
    }

    /// <summary>The shutdown deadline passed before these events, still queued or in an open batch, were sealed: they are lost.</summary>
    public void UnsentQueued(long events)
    {
        if (events == 0)
            return;
        Count(EventOutcome.Lost, events);
        var text = new StringBuilder($"{events} event(s) still queued were never sent (lost): the shutdown deadline passed first.");
        for (int p = 0; p < format.PartitionCount; p++)
        {
            if (failures.Of(p) is { } cause)
                text.Append(CultureInfo.InvariantCulture, $" The last failure on {format.EndpointPath(p)}: {cause}.");
        }

        diagnose(new DiagnosticEvent(DiagnosticKind.ShutdownLoss, text.ToString(), (int)Math.Min(events, int.MaxValue)));
    }

    private void ReportLost(Batch batch, int events, string? why)
    {
        Count(EventOutcome.Lost, events);
        why ??= failures.Of(batch.Partition) is { } cause ? $"never sent; the last failure on that endpoint: {cause}" : "never sent";
        diagnose(new DiagnosticEvent(DiagnosticKind.ShutdownLoss,
            $"{events} event(s) of batch {batch.Sequence} to {batch.EndpointPath} were not delivered before the shutdown deadline and the server does not have them (lost): {why}.", events));
    }

    private bool Settle(Batch batch, PendingRange range, EventOutcome outcome, string? message, string? cause, Exception? exception = null)
    {
        if (!batch.TrySettle(range.Count, out bool finished))
            return false;
        Count(outcome, range.Count);
        if (message is not null)
            diagnose(new DiagnosticEvent(outcome == EventOutcome.Rejected ? DiagnosticKind.EventRejected : DiagnosticKind.BatchFailed, message, range.Count, exception));
        if (batch.RecordsOutcomes)
        {
            batch.RecordOutcome(range.Start, range.Count, outcome, cause);
            OutcomesWritten(batch, range.Count);
        }

        if (finished)
            Finish(batch, bodyHeld: true); // the job's owner settles here
        return true;
    }

    /// <summary>The outcomes of <paramref name="events"/> claimed events are written; the last writer reports the batch, then gives its arrays back.</summary>
    private void OutcomesWritten(Batch batch, int events)
    {
        if (!batch.OutcomesWritten(events))
            return;
        _fates.Report(batch.Settled());
        batch.ReturnOutcomes();
    }

    private void Count(EventOutcome outcome, long events)
    {
        switch (outcome)
        {
            case EventOutcome.Delivered:
                Interlocked.Add(ref counters.Delivered, events);
                break;
            case EventOutcome.Rejected:
                Interlocked.Add(ref counters.RejectedByServer, events);
                break;
            case EventOutcome.Failed:
                Interlocked.Add(ref counters.Failed, events);
                break;
            case EventOutcome.Expired:
                Interlocked.Add(ref counters.Expired, events);
                break;
            case EventOutcome.OutcomeUnknown:
                Interlocked.Add(ref counters.OutcomeUnknown, events);
                break;
            case EventOutcome.Spooled:
                Interlocked.Add(ref counters.Spooled, events);
                break;
            case EventOutcome.Lost:
                Interlocked.Add(ref counters.LostAtShutdown, events);
                break;
            default:
                // Stryker disable once String : a guard no caller reaches (each passes one of the outcomes above); its words change nothing observable
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Delivery settles events as delivered, rejected, failed, expired, of unknown outcome, spooled or lost.");
        }
    }
}
