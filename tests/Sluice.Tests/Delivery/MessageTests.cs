using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>How messages name events and ranges, and how attempts are named in metrics.</summary>
public class MessageTests
{
    private static readonly Batch Batch = Seal(Memory(), ["{}", "{}", "{}", "{}"], sequence: 12);

    [Theory]
    [InlineData(2, 1, "event 2 of batch 12 to /api/track")]
    [InlineData(0, 4, "batch 12 to /api/track (4 events)")]
    [InlineData(1, 2, "events 1–2 of batch 12 to /api/track")]
    [InlineData(0, 3, "events 0–2 of batch 12 to /api/track")]
    public void Ranges_are_named_by_their_events_and_batch(int start, int count, string name) =>
        Assert.Equal(name, Settlement.RangeName(Batch, new PendingRange(start, count, 0)));

    [Fact]
    public void A_batch_of_one_event_is_named_by_its_event() =>
        Assert.Equal("event 0 of batch 7 to /api/page", Settlement.RangeName(Seal(Memory(), ["{}"], ThriveStackFormat.PagePartition), new PendingRange(0, 1, 0)));

    [Theory]
    [InlineData(SendOutcome.Delivered, "delivered")]
    [InlineData(SendOutcome.Retry, "retry")]
    [InlineData(SendOutcome.Rejected, "rejected")]
    [InlineData(SendOutcome.TooLarge, "too_large")]
    [InlineData(SendOutcome.Unauthorized, "unauthorized")]
    [InlineData(SendOutcome.Failed, "failed")]
    public void Each_outcome_has_its_metric_name(SendOutcome outcome, string name) => Assert.Equal(name, DeliveryPolicy.OutcomeName(outcome));

    [Theory]
    [InlineData(SendFailure.Timeout, "timeout")]
    [InlineData(SendFailure.ConnectionRefused, "connection_refused")]
    [InlineData(SendFailure.NameNotResolved, "name_resolution_error")]
    [InlineData(SendFailure.ConnectionFailed, "connection_error")]
    [InlineData(SendFailure.SecureConnection, "secure_connection_error")]
    [InlineData(SendFailure.ConnectionLost, "connection_lost")]
    [InlineData(SendFailure.InvalidResponse, "invalid_response")]
    [InlineData(SendFailure.TransportException, "_OTHER")]
    [InlineData(SendFailure.None, "_OTHER")]
    public void Failures_without_an_answer_have_an_error_type(SendFailure failure, string type) =>
        Assert.Equal(type, DeliveryPolicy.ErrorType(SendResult.Retry("x") with { Failure = failure }));

    [Fact]
    public void An_error_status_is_its_own_error_type_and_a_delivery_has_none()
    {
        Assert.Equal("503", DeliveryPolicy.ErrorType(SendResult.Retry("x", statusCode: 503)));
        Assert.Equal("413", DeliveryPolicy.ErrorType(SendResult.TooLarge("x")));
        Assert.Null(DeliveryPolicy.ErrorType(SendResult.Delivered));
        Assert.Null(DeliveryPolicy.ErrorType(SendResult.Delivered with { StatusCode = 200, Failure = SendFailure.ErrorStatus }));
    }

    [Fact]
    public void An_internal_error_fails_whatever_is_left_of_the_batch_once()
    {
        var counters = new EngineCounters();
        var diagnostics = new List<DiagnosticEvent>();
        var tracker = new DeliveryTracker();
        var settle = new Settlement(counters, tracker, new LastFailures(2), ThriveStackFormat.Instance, diagnostics.Add);
        var batch = Seal(Memory(), ["{}", "{}", "{}"], sequence: 0);
        settle.Delivered(batch, new PendingRange(0, 1, 0));

        settle.FailRemaining(batch, "boom");
        settle.FailRemaining(batch, "again");

        Assert.Equal(2, counters.Failed);
        Assert.Equal(1, counters.Delivered);
        var failed = Assert.Single(diagnostics);
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.BatchFailed, "boom", 2), failed);
        Assert.True(tracker.WhenFinished(1).IsCompleted);
    }
}
