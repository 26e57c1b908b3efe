using Sluice.Batching;
using Sluice.Diagnostics;

namespace Sluice.Delivery;

/// <summary>
/// Puts a batch's events, or some of them, into their terminal state: counts them, reports failures
/// to diagnostics, and tells the tracker when the batch's last event is settled. Each event is
/// settled once (<see cref="Batch.TrySettle"/>), whoever gets there first (a sender, a probe, a forced
/// shutdown). Thread-safe.
/// </summary>
internal sealed class Settlement(EngineCounters counters, DeliveryTracker tracker, Action<DiagnosticEvent> diagnose)
{
    public void Delivered(Batch batch, int events)
    {
        if (!batch.TrySettle(events, out bool finished))
            return;
        Interlocked.Add(ref counters.Delivered, events);
        Interlocked.Increment(ref counters.BatchesDelivered);
        Finish(batch, finished);
    }

    public void Failed(Batch batch, int events, string message)
    {
        if (!batch.TrySettle(events, out bool finished))
            return;
        Interlocked.Add(ref counters.Failed, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, message, events));
        Finish(batch, finished);
    }

    /// <summary>An internal error: whatever of the batch is not settled yet fails.</summary>
    public void FailRemaining(Batch batch, string message)
    {
        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        Interlocked.Add(ref counters.Failed, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, message, events));
        tracker.Finish(batch.Sequence);
    }

    public void Expired(Batch batch, int events, string message)
    {
        if (!batch.TrySettle(events, out bool finished))
            return;
        Interlocked.Add(ref counters.Expired, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, message, events));
        Finish(batch, finished);
    }

    public void RejectedByServer(Batch batch, int events, string message)
    {
        if (!batch.TrySettle(events, out bool finished))
            return;
        Interlocked.Add(ref counters.RejectedByServer, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.EventRejected, message, events));
        Finish(batch, finished);
    }

    /// <summary>The shutdown deadline passed: whatever of the batch is not settled yet is lost.</summary>
    public void Lost(Batch batch)
    {
        int events = batch.SettleRemaining();
        if (events == 0)
            return;
        Interlocked.Add(ref counters.LostAtShutdown, events);
        diagnose(new DiagnosticEvent(DiagnosticKind.ShutdownLoss,
            $"{events} event(s) of batch {batch.Sequence} to {batch.EndpointPath} were not delivered before the shutdown deadline.", events));
        tracker.Finish(batch.Sequence);
    }

    private void Finish(Batch batch, bool finished)
    {
        if (finished)
            tracker.Finish(batch.Sequence);
    }
}
