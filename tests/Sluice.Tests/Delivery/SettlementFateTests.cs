using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>
/// How settlement reports a batch's per-event fates: once, whole, when its last event is final, whoever settles it,
/// including the interleavings of a sender and a forced shutdown writing its job off.
/// </summary>
public class SettlementFateTests
{
    private static readonly long[] Sequences = [3, 4, 8, 9, 10, 15, 16, 17, 23, 42]; // another partition's events in between

    private readonly EngineCounters _counters = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private readonly FateLog _fates = new();

    [Fact]
    public void A_batch_bisected_and_settled_in_parts_is_reported_once_when_its_last_part_is_final()
    {
        var batch = TenEvents();
        var settle = Settle();
        batch.LastFailure = "400: Event 0 (user_id u) is invalid";

        settle.Delivered(batch, new PendingRange(0, 5, 0));
        settle.Rejected(batch, new PendingRange(5, 1, 0), "The server rejected event 5 of batch 0, sent alone: …", "400: Event 0 (user_id u) is invalid");
        Assert.Empty(_fates.Reports);
        settle.Expired(batch, new PendingRange(6, 2, 0), "expired", "503: busy");
        settle.Delivered(batch, new PendingRange(8, 2, 0));

        var report = Assert.Single(_fates.Reports);
        Assert.Equal((0, 0L), (report.Partition, report.BatchSequence));
        Assert.Equal(Sequences, report.Sequences);
        Assert.Equal("400: Event 0 (user_id u) is invalid", report.LastFailure);
        var bySequence = _fates.BySequence();
        Assert.Equal(
            [.. Enumerable.Repeat(EventOutcome.Delivered, 5), EventOutcome.Rejected, EventOutcome.Expired, EventOutcome.Expired, EventOutcome.Delivered, EventOutcome.Delivered],
            Sequences.Select(s => bySequence[s].Outcome));
        Assert.Equal("400: Event 0 (user_id u) is invalid", bySequence[15].Message);
        Assert.Equal("503: busy", bySequence[16].Message);
        Assert.Null(bySequence[3].Message);
    }

    [Fact]
    public void A_sender_that_settled_its_part_but_had_not_popped_it_when_a_forced_shutdown_wrote_the_job_off_keeps_its_outcome()
    {
        var batch = TenEvents();
        var job = new DeliveryJob(batch);
        job.Split(); // [0,5) on top, [5,10) below
        var settle = Settle();

        settle.Delivered(batch, new PendingRange(0, 5, 0)); // the sender's answer, its range still on top
        settle.AtDeadline(job);                             // the shutdown lists the top range again

        Assert.Single(_fates.Reports);
        var bySequence = _fates.BySequence();
        Assert.All(Sequences[..5], s => Assert.Equal(EventOutcome.Delivered, bySequence[s].Outcome));
        Assert.All(Sequences[5..], s => Assert.Equal(EventOutcome.Lost, bySequence[s].Outcome));
        Assert.Equal((5, 5), (_counters.Delivered, _counters.LostAtShutdown));
    }

    [Fact]
    public void A_sender_answered_after_a_forced_shutdown_wrote_its_request_off_changes_nothing()
    {
        var batch = TenEvents();
        var job = new DeliveryJob(batch);
        job.Split();
        job.InFlight(true);
        var settle = Settle();

        settle.AtDeadline(job);                             // the request on top is written off: unknown
        settle.Delivered(batch, new PendingRange(0, 5, 0)); // its answer comes a moment later

        Assert.Single(_fates.Reports);
        var bySequence = _fates.BySequence();
        Assert.All(Sequences[..5], s => Assert.Equal(EventOutcome.OutcomeUnknown, bySequence[s].Outcome));
        Assert.All(Sequences[5..], s => Assert.Equal(EventOutcome.Lost, bySequence[s].Outcome));
        Assert.Equal((0, 5, 5), (_counters.Delivered, _counters.OutcomeUnknown, _counters.LostAtShutdown));
    }

    [Fact]
    public void A_batch_never_sent_by_the_deadline_is_reported_lost_with_its_endpoints_last_failure()
    {
        var failures = new LastFailures(ThriveStackFormat.Instance.PartitionCount);
        failures.Record(0, "connection refused by h:1", retried: true, sentAt: 1);
        var batch = TenEvents();

        Settle(failures).Unsent(batch);

        var report = Assert.Single(_fates.Reports);
        Assert.Equal("connection refused by h:1", report.LastFailure);
        Assert.All(_fates.Fates, f => Assert.Equal(EventOutcome.Lost, f.Outcome));
        Assert.Equal(Sequences, _fates.Fates.Select(f => f.Sequence));
    }

    private static Sluice.Batching.Batch TenEvents() => Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0, eventSequences: Sequences);

    private Settlement Settle(LastFailures? failures = null) => new(_counters, new DeliveryTracker(), failures ?? new LastFailures(ThriveStackFormat.Instance.PartitionCount),
        ThriveStackFormat.Instance, _diagnostics.Add, new FateReporter(_fates.Callback, _diagnostics.Add));
}
