using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>What the shutdown deadline makes of a job's unsettled events: unknown if a request holding them may have arrived, lost otherwise.</summary>
public class DeadlineSettlementTests
{
    private readonly EngineCounters _counters = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private readonly LastFailures _failures = new(ThriveStackFormat.Instance.PartitionCount);
    private readonly DeliveryTracker _tracker = new();

    [Fact]
    public void The_part_in_flight_is_of_unknown_outcome_and_the_parts_never_sent_are_lost()
    {
        var job = new DeliveryJob(Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0));
        job.Split();            // [0,5) on top, [5,10) below
        job.InFlight(true);     // [0,5) is being sent when the deadline passes

        Settle().AtDeadline(job);

        Assert.Equal(5, _counters.OutcomeUnknown);
        Assert.Equal(5, _counters.LostAtShutdown);
        var unknown = Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.OutcomeUnknown);
        Assert.Equal(5, unknown.EventCount);
        Assert.Equal("5 event(s) of batch 0 to /api/track have an unknown outcome: a request holding them got no answer or a gateway's 502 or 504 before the shutdown deadline. " +
            "The server may have them: resending them may create duplicates.", unknown.Message);
        var lost = Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.ShutdownLoss);
        Assert.Equal("5 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline and the server does not have them (lost): never sent.", lost.Message);
        Assert.True(_tracker.WhenFinished(1).IsCompleted);
    }

    [Fact]
    public void A_part_an_earlier_attempt_may_have_delivered_is_of_unknown_outcome_even_between_attempts()
    {
        var job = new DeliveryJob(Seal(Memory(), [.. Enumerable.Repeat("{}", 10)], sequence: 0));
        job.Split();
        job.TryPeek(out var top);
        job.Update(top with { Attempts = 1, MayHaveArrived = true }); // timed out once, waiting to retry
        job.Batch.LastFailure = "timed out after 30 s without an answer from x";

        Settle().AtDeadline(job);

        Assert.Equal(5, _counters.OutcomeUnknown);
        Assert.Equal(5, _counters.LostAtShutdown);
        Assert.Contains("(last failure: timed out after 30 s without an answer from x)", Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.OutcomeUnknown).Message, StringComparison.Ordinal);
        Assert.EndsWith("(lost): the last attempt failed: timed out after 30 s without an answer from x.", Assert.Single(_diagnostics, d => d.Kind == DiagnosticKind.ShutdownLoss).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Halves_keep_the_doubt_of_the_part_they_came_from()
    {
        var range = new PendingRange(4, 5, 3, MayHaveArrived: true);
        Assert.Equal(new PendingRange(4, 2, 0, true), range.LeftHalf);
        Assert.Equal(new PendingRange(6, 3, 0, true), range.RightHalf);
        Assert.False(new PendingRange(0, 2, 0).RightHalf.MayHaveArrived);
    }

    [Fact]
    public void Events_settled_before_the_deadline_are_not_settled_again()
    {
        var batch = Seal(Memory(), [.. Enumerable.Repeat("{}", 4)], sequence: 0);
        var job = new DeliveryJob(batch);
        job.Split();
        var settle = Settle();
        job.TryPeek(out var left);
        settle.Delivered(batch, left);
        job.Pop();

        settle.AtDeadline(job);
        settle.AtDeadline(job); // a second writer-off finds nothing left

        Assert.Equal(2, _counters.Delivered);
        Assert.Equal(1, _counters.BatchesDelivered);
        Assert.Equal(2, _counters.LostAtShutdown);
        Assert.Equal(0, _counters.OutcomeUnknown);
        Assert.Single(_diagnostics);
    }

    [Fact]
    public void A_batch_never_taken_by_a_sender_is_lost_and_the_message_names_its_endpoints_last_failure()
    {
        var batch = Seal(Memory(), ["{}", "{}", "{}"], sequence: 0);
        _failures.Record(ThriveStackFormat.TrackPartition, "503: Service Unavailable", retried: true, sentAt: 1);

        Settle().Unsent(batch);

        Assert.Equal(3, _counters.LostAtShutdown);
        Assert.EndsWith("(lost): never sent; the last failure on that endpoint: 503: Service Unavailable.", Assert.Single(_diagnostics).Message, StringComparison.Ordinal);
        Assert.True(_tracker.WhenFinished(1).IsCompleted);
    }

    [Fact]
    public void Events_still_queued_at_the_deadline_are_lost_with_every_endpoints_last_failure()
    {
        _failures.Record(ThriveStackFormat.PagePartition, "connection refused by h:1", retried: true, sentAt: 1);
        var settle = Settle();

        settle.UnsentQueued(0);
        Assert.Empty(_diagnostics);
        settle.UnsentQueued(42);

        Assert.Equal(42, _counters.LostAtShutdown);
        var lost = Assert.Single(_diagnostics);
        Assert.Equal(42, lost.EventCount);
        Assert.Equal("42 event(s) still queued were never sent (lost): the shutdown deadline passed first. The last failure on /api/page: connection refused by h:1.", lost.Message);
    }

    [Fact]
    public void A_delivery_clears_the_endpoints_last_failure()
    {
        _failures.Record(0, "x", retried: true, sentAt: 1);
        Assert.Equal(("x", true), (_failures.Of(0), _failures.Retried(0)));
        Assert.Null(_failures.Of(1));
        _failures.Record(0, null, retried: false, sentAt: 2);
        Assert.Equal((null, false), (_failures.Of(0), _failures.Retried(0)));
    }

    private Settlement Settle() => new(_counters, _tracker, _failures, ThriveStackFormat.Instance, _diagnostics.Add);
}
