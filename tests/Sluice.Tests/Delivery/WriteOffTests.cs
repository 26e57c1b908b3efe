using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>
/// A forced shutdown writing a job off while its sender is stuck or just coming back: which of the job's parts are of
/// unknown outcome and which are lost, counted once each, whatever the sender settled a moment before.
/// </summary>
public class WriteOffTests
{
    private static readonly long[] Sequences = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29];

    private readonly EngineCounters _counters = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private readonly FateLog _fates = new();

    [Fact]
    public void Events_never_sent_were_counted_of_unknown_outcome_when_the_part_before_them_was_settled_and_not_yet_popped()
    {
        // [0,5) timed out once (the server may have it), then was delivered; its sender has not popped it when the
        // job is written off. [5,10) was never sent: lost, not of unknown outcome.
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);
        var job = new DeliveryJob(batch);
        job.Split();
        job.TryPeek(out var top);
        job.Update(top with { Attempts = 1, MayHaveArrived = true });
        var settle = Settle();

        settle.Delivered(batch, top);
        settle.AtDeadline(job);

        Assert.Equal((5, 0, 5), (_counters.Delivered, _counters.OutcomeUnknown, _counters.LostAtShutdown));
        Assert.Equal("5 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): never sent.",
            Assert.Single(_diagnostics).Message);
        var fates = _fates.BySequence();
        Assert.All(Sequences[..5], s => Assert.Equal(EventOutcome.Delivered, fates[s].Outcome));
        Assert.All(Sequences[5..], s => Assert.Equal(EventOutcome.Lost, fates[s].Outcome));
    }

    [Fact]
    public void Parts_below_the_one_in_flight_keep_their_own_doubt()
    {
        // A 413 split [0,10); [0,5) timed out (the server may have it), then was split again: [0,2) delivered, [2,5)
        // waits with the doubt it inherited, [5,10) was never sent.
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);
        var job = new DeliveryJob(batch);
        job.Split();                                            // [0,5) | [5,10)
        job.TryPeek(out var top);
        job.Update(top with { Attempts = 1, MayHaveArrived = true });
        job.Split();                                            // [0,2) | [2,5) | [5,10), the first two with the doubt
        var settle = Settle();
        job.TryPeek(out var first);
        settle.Delivered(batch, first);
        job.Pop();                                              // [2,5) doubtful | [5,10) never sent

        settle.AtDeadline(job);

        Assert.Equal((2, 3, 5), (_counters.Delivered, _counters.OutcomeUnknown, _counters.LostAtShutdown));
        Assert.Equal(3, Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.OutcomeUnknown).EventCount);
        Assert.Equal(5, Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.ShutdownLoss).EventCount);
        var fates = _fates.BySequence();
        Assert.Equal(
            [.. Enumerable.Repeat(EventOutcome.Delivered, 2), .. Enumerable.Repeat(EventOutcome.OutcomeUnknown, 3), .. Enumerable.Repeat(EventOutcome.Lost, 5)],
            Sequences.Select(s => fates[s].Outcome));
    }

    [Fact]
    public void A_write_off_finding_every_event_claimed_leaves_the_batch_to_the_sender_finishing_it()
    {
        // The sender claimed the last part and is writing its outcome: the batch is its to finish and report, once.
        var tracker = new DeliveryTracker();
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);
        var job = new DeliveryJob(batch);
        Assert.True(batch.TrySettle(10, out _));

        Settle(tracker).AtDeadline(job);

        Assert.False(tracker.WhenFinished(1).IsCompleted);
        Assert.Empty(_diagnostics);
        Assert.Empty(_fates.Reports);
        Assert.Equal((0, 0), (_counters.LostAtShutdown, _counters.OutcomeUnknown));
    }

    [Fact]
    public void A_sender_answered_after_the_write_off_counts_no_delivered_batch()
    {
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);
        var job = new DeliveryJob(batch);
        job.InFlight(true);
        var settle = Settle();

        settle.AtDeadline(job);
        settle.Delivered(batch, new PendingRange(0, 10, 0));

        Assert.Equal((0, 0, 10), (_counters.Delivered, _counters.BatchesDelivered, _counters.OutcomeUnknown));
        Assert.All(_fates.Fates, f => Assert.Equal(EventOutcome.OutcomeUnknown, f.Outcome));
    }

    [Fact]
    public void An_internal_error_fails_only_the_events_not_settled_yet_and_reports_the_batch_once()
    {
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);
        var settle = Settle();
        settle.Delivered(batch, new PendingRange(0, 4, 0));

        settle.FailRemaining(batch, "Batch 0 to /api/track could not be delivered: boom");

        var report = Assert.Single(_fates.Reports);
        Assert.Equal(Sequences, report.Sequences);
        var fates = _fates.BySequence();
        Assert.All(Sequences[..4], s => Assert.Equal((EventOutcome.Delivered, null), (fates[s].Outcome, fates[s].Message)));
        Assert.All(Sequences[4..], s => Assert.Equal((EventOutcome.Failed, "Batch 0 to /api/track could not be delivered: boom"), (fates[s].Outcome, fates[s].Message)));
        Assert.Equal((4, 6), (_counters.Delivered, _counters.Failed));
    }

    private Settlement Settle(DeliveryTracker? tracker = null) => new(_counters, tracker ?? new DeliveryTracker(), new LastFailures(ThriveStackFormat.Instance.PartitionCount),
        ThriveStackFormat.Instance, _diagnostics.Add, new FateReporter(_fates.Callback, _diagnostics.Add));
}
