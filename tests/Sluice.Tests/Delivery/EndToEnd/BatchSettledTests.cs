using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// The per-event fate a wrapping SDK sees (<see cref="SluiceOptions.OnBatchSettled"/>), at real HTTP against the
/// reference collector: every accepted sequence number reported exactly once, with the outcome the collector
/// agrees with. Events carry their producer's number in <c>properties.seq</c>; the test maps the
/// <see cref="EnqueueResult.Sequence"/> each call returned to it.
/// </summary>
public class BatchSettledTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Each_accepted_sequence_is_reported_once_delivered_or_rejected_as_the_collector_saw_it()
    {
        var fates = new FateLog();
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.OnBatchSettled = fates.Callback;
            o.MaxBatchEvents = 100;
        }, log: output.WriteLine);
        run.Collector.Faults.RejectEventsContaining("POISON");
        static bool Poisoned(int seq) => seq % 97 == 5;
        run.Produce(2_000, poison: Poisoned);
        var seqOf = run.SeqBySequence;

        var result = await run.FinishAsync();
        var bySequence = fates.BySequence();
        Assert.Equal(seqOf.Keys.Order(), bySequence.Keys.Order()); // each accepted sequence, once

        var delivered = bySequence.Values.Where(f => f.Outcome == EventOutcome.Delivered).Select(f => seqOf[f.Sequence]).Order().ToList();
        Assert.Equal(run.ReceivedSeqs().Order(), delivered);
        Assert.Equal(result.Counters.Delivered, delivered.Count);

        var rejected = bySequence.Values.Where(f => f.Outcome == EventOutcome.Rejected).ToList();
        Assert.Equal(Enumerable.Range(0, 2_000).Where(Poisoned), rejected.Select(f => seqOf[f.Sequence]).Order());
        Assert.All(rejected, f => Assert.StartsWith("400: Event 0 (", f.Message, StringComparison.Ordinal)); // the server's words for it alone
        Assert.All(rejected, f => Assert.NotNull(f.LastFailure));
        Assert.Equal(rejected.Count + delivered.Count, bySequence.Count);

        // One report per sealed batch, of its partition's events only (pages are partition 1), in increasing order.
        var reports = fates.Reports;
        Assert.Equal(result.Counters.BatchesSealed, reports.Count);
        Assert.Equal(reports.Count, reports.Select(r => r.BatchSequence).Distinct().Count());
        Assert.All(reports, r =>
        {
            Assert.Equal(r.Sequences.Order(), r.Sequences);
            Assert.All(r.Sequences, s => Assert.Equal(seqOf[s] % 5 == 4 ? 1 : 0, r.Partition));
        });
        Assert.Contains(reports, r => r.Sequences[^1] - r.Sequences[0] >= r.Sequences.Length); // not contiguous: two partitions interleave
    }

    [Fact]
    public async Task Events_out_of_attempts_are_reported_expired_with_the_last_failure()
    {
        var fates = new FateLog();
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.OnBatchSettled = fates.Callback;
            o.MaxSendAttempts = 2;
        }, log: output.WriteLine);
        run.Collector.Faults.FailNext(1_000, 503, message: "busy");
        run.Produce(50, tracksOnly: true);
        var seqOf = run.SeqBySequence;

        var result = await run.FinishAsync();
        var bySequence = fates.BySequence();
        Assert.Equal(seqOf.Keys.Order(), bySequence.Keys.Order());
        Assert.All(bySequence.Values, f =>
        {
            Assert.Equal(EventOutcome.Expired, f.Outcome);
            Assert.Contains("503", f.LastFailure, StringComparison.Ordinal);
            Assert.Contains("503", f.Message, StringComparison.Ordinal);
        });
        Assert.Equal(50, result.Counters.Expired);
        Assert.Empty(run.ReceivedSeqs());
    }
}
