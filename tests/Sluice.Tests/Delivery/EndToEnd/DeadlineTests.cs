using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>The shutdown deadline at real HTTP, on a manual clock: what was in flight, what was never sent.</summary>
public class DeadlineTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_deadline_landing_mid_request_leaves_its_events_of_unknown_outcome_and_the_collector_and_the_settled_callback_agree()
    {
        var clock = new ManualTimeProvider();
        var fates = new FateLog();
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.OnBatchSettled = fates.Callback;
            o.TimeProvider = clock;
            o.MaxBatchEvents = 100;
            o.MaxConcurrentSends = 2;
            o.FlushInterval = TimeSpan.FromDays(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        }, log: output.WriteLine);
        var track = run.Wire.TrackApi;
        run.Produce(300, tracksOnly: true);
        await run.Engine.FlushAsync();

        // From now on the collector keeps each request's events, then holds its answer: both senders wait on one.
        run.Collector.Faults.HoldAnswerNext(1_000, TimeSpan.FromMinutes(10));
        run.Produce(700, tracksOnly: true);
        await Eventually.True(() => run.Collector.Received(track).RequestCount == 5, "two held requests");

        var shutdown = run.Engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(5)), "the shutdown deadline");
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        var c = result.Counters;
        output.WriteLine($"delivered {c.Delivered}, outcome unknown {c.OutcomeUnknown}, lost {c.LostAtShutdown}; the collector kept {run.Collector.Received(track).EventCount}");
        Assert.True(result.TimedOut);
        Assert.Equal(300, c.Delivered);
        Assert.Equal(200, result.OutcomeUnknown);   // the two requests in flight
        Assert.Equal(500, result.LostAtShutdown);   // never sent: the server does not have them
        Assert.Equal(c.Delivered + c.OutcomeUnknown, run.Collector.Received(track).EventCount);
        Conservation.AssertBalanced(c);
        Assert.Equal(0, run.Engine.HeldBatchBodies);

        var unknown = run.Of(DiagnosticKind.OutcomeUnknown).ToList();
        Assert.Equal(200, unknown.Sum(d => d.EventCount));
        Assert.All(unknown, d =>
        {
            Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
            Assert.Contains("got no answer or a gateway's 502 or 504 before the shutdown deadline", d.Message, StringComparison.Ordinal);
            Assert.Contains("resending them may create duplicates", d.Message, StringComparison.Ordinal);
        });
        var lost = run.Of(DiagnosticKind.ShutdownLoss).ToList();
        Assert.Equal(500, lost.Sum(d => d.EventCount));
        Assert.All(lost, d => Assert.Contains("never sent", d.Message, StringComparison.Ordinal));

        // The callback: each accepted sequence once; the unknown ones are events the collector kept, the lost ones are not.
        var bySequence = fates.BySequence();
        var seqOf = run.SeqBySequence;
        Assert.Equal(seqOf.Keys.Order(), bySequence.Keys.Order());
        var kept = run.ReceivedSeqs().ToHashSet();
        List<int> SeqsOf(EventOutcome outcome) => [.. bySequence.Values.Where(f => f.Outcome == outcome).Select(f => seqOf[f.Sequence]).Order()];
        Assert.Equal(Enumerable.Range(0, 300), SeqsOf(EventOutcome.Delivered));
        Assert.Equal(200, SeqsOf(EventOutcome.OutcomeUnknown).Count);
        Assert.All(SeqsOf(EventOutcome.OutcomeUnknown), s => Assert.Contains(s, kept));
        Assert.Equal(500, SeqsOf(EventOutcome.Lost).Count);
        Assert.All(SeqsOf(EventOutcome.Lost), s => Assert.DoesNotContain(s, kept));
    }

    [Theory]
    [InlineData(504, true)]  // a gateway timed out waiting for the origin, which had the request
    [InlineData(502, true)]  // a gateway got no valid answer: it could not connect, or the origin died with the request
    [InlineData(503, false)]
    [InlineData(500, false)]
    [InlineData(429, false)]
    public async Task A_batch_whose_retry_would_come_after_the_deadline_is_of_unknown_outcome_after_a_gateways_502_or_504_and_lost_after_a_refusal(int status, bool mayHaveArrived)
    {
        var clock = new ManualTimeProvider();
        var fates = new FateLog();
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.OnBatchSettled = fates.Callback;
            o.TimeProvider = clock;
            o.JitterRandom = new FixedRandom(0.5);
            o.RetryBaseDelay = TimeSpan.FromMinutes(1); // the first retry waits 30 s, past the deadline
            o.RetryMaxDelay = TimeSpan.FromMinutes(1);
            o.MaxBatchEvents = 100;
            o.FlushInterval = TimeSpan.FromDays(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        }, log: output.WriteLine);
        run.Collector.Faults.FailNext(1_000, status);
        run.Produce(100, tracksOnly: true); // one full batch
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(30)), "the wait before the retry");

        // The retry would come after the deadline: the shutdown writes the batch off at once, and the clock never moves.
        var result = await run.Engine.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.TimedOut);
        Assert.Equal(1, run.CountStatus(status));
        Assert.Equal(mayHaveArrived ? (100, 0) : (0, 100), (result.OutcomeUnknown, result.LostAtShutdown));
        Conservation.AssertBalanced(result.Counters);
        var expected = mayHaveArrived ? EventOutcome.OutcomeUnknown : EventOutcome.Lost;
        Assert.All(fates.BySequence().Values, f => Assert.Equal(expected, f.Outcome));
        Assert.Equal(100, fates.BySequence().Count);
        var said = Assert.Single(run.Of(mayHaveArrived ? DiagnosticKind.OutcomeUnknown : DiagnosticKind.ShutdownLoss));
        Assert.Equal(100, said.EventCount);
        Assert.Contains($"{status}: Injected failure {status}", said.Message, StringComparison.Ordinal);
        Assert.Empty(run.Of(mayHaveArrived ? DiagnosticKind.ShutdownLoss : DiagnosticKind.OutcomeUnknown));
    }
}
