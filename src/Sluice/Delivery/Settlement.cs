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
/// forced shutdown). Every terminal state passes through <see cref="Settle"/> with the batch, the range of its
/// events and the outcome, so per-event outcomes can be recorded there. With a spool, what would expire or be
/// given up at the shutdown deadline is left in the spool instead (<see cref="EventOutcome.Spooled"/>), and a batch
/// whose events all reached a final state is acknowledged there. Thread-safe.
/// </summary>
internal sealed class Settlement(EngineCounters counters, DeliveryTracker tracker, LastFailures failures, WireFormat format, Action<DiagnosticEvent> diagnose,
    SpoolJournal? spool = null)
{
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
        if (Settle(batch, range, EventOutcome.Delivered, null))
            Interlocked.Increment(ref counters.BatchesDelivered);
    }

    public void Rejected(Batch batch, PendingRange range, string message) => Settle(batch, range, EventOutcome.Rejected, message);

    public void Failed(Batch batch, PendingRange range, string message) => Settle(batch, range, EventOutcome.Failed, message);

    /// <summary>Out of attempts or retry budget: the events expire, or, if the spool holds the batch, stay there for the next start.</summary>
    public void Expired(Batch batch, PendingRange range, string message)
    {
        if (spool is not null && spool.Holds(batch))
        {
            batch.KeepInSpool = true;
            Settle(batch, range, EventOutcome.Spooled, null);
            diagnose(new DiagnosticEvent(DiagnosticKind.Spooled, $"{message} With the spool they are not expired: they stay in it and are sent on the next start (or by 'sluice spool drain').", range.Count));
            return;
        }

        Settle(batch, range, EventOutcome.Expired, message);
    }

    /// <summary>An internal error: whatever of the batch is not settled yet fails.</summary>
    public void FailRemaining(Batch batch, string message)
    {
        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        Count(EventOutcome.Failed, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, message, events));
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
            KeepInSpool(batch, job.LastFailure?.Cause);
            return;
        }

        int left = batch.SettleRemaining();
        if (left == 0)
            return;

        // The ranges cover what is unsettled; at a forced shutdown the owner may have settled the top one a moment
        // ago without popping it yet, hence the clamp: the totals stay exact, only that range's split may be off.
        int unknown = 0, lost = 0;
        foreach (var (range, mayHaveArrived) in job.Remaining())
        {
            int events = Math.Min(range.Count, left - unknown - lost);
            if (mayHaveArrived)
                unknown += events;
            else
                lost += events;
        }

        lost = left - unknown;
        string? cause = job.LastFailure?.Cause;
        if (unknown > 0)
        {
            Count(EventOutcome.OutcomeUnknown, unknown);
            diagnose(new DiagnosticEvent(DiagnosticKind.OutcomeUnknown,
                $"{unknown} event(s) of batch {batch.Sequence} to {batch.EndpointPath} have an unknown outcome: a request holding them got no answer before the shutdown deadline" +
                $"{(cause is null ? "" : $" (last failure: {cause})")}. The server may have them: resending them may create duplicates.", unknown));
        }

        if (lost > 0)
            ReportLost(batch, lost, cause is null ? null : $"the last attempt failed: {cause}");
        Finish(batch);
    }

    /// <summary>The shutdown deadline passed before a sender took the batch: all of it is lost, or stays in the spool.</summary>
    public void Unsent(Batch batch)
    {
        if (spool is not null && spool.Holds(batch))
        {
            KeepInSpool(batch, null);
            return;
        }

        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        ReportLost(batch, events, null);
        Finish(batch);
    }

    /// <summary>The shutdown deadline passed: what the batch has not settled yet stays in the spool, for the next start.</summary>
    private void KeepInSpool(Batch batch, string? cause)
    {
        batch.KeepInSpool = true;
        int left = batch.SettleRemaining();
        if (left == 0)
            return;
        Count(EventOutcome.Spooled, left);
        diagnose(new DiagnosticEvent(DiagnosticKind.Spooled,
            $"{left} event(s) of batch {batch.Sequence} to {batch.EndpointPath} were not delivered before the shutdown deadline" +
            $"{(cause is null ? "" : $" (last failure: {cause})")}: they stay in the spool and are sent on the next start (or by 'sluice spool drain').", left));
        Finish(batch);
    }

    /// <summary>The batch's last event is settled: the spool's copy is acknowledged (unless kept) and flushes waiting for it are told.</summary>
    private void Finish(Batch batch)
    {
        spool?.Finished(batch);
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

    private bool Settle(Batch batch, PendingRange range, EventOutcome outcome, string? message)
    {
        if (!batch.TrySettle(range.Count, out bool finished))
            return false;
        Count(outcome, range.Count);
        if (message is not null)
            diagnose(new DiagnosticEvent(outcome == EventOutcome.Rejected ? DiagnosticKind.EventRejected : DiagnosticKind.BatchFailed, message, range.Count));
        if (finished)
            Finish(batch);
        return true;
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
            default:
                Interlocked.Add(ref counters.LostAtShutdown, events);
                break;
        }
    }
}
