using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>The byte cap: filled past it, the spool evicts oldest-first and counts exactly what it evicted.</summary>
public sealed class SpoolCapTests : IDisposable
{
    private const long Cap = 16 * 1024;
    private const long Segment = 4 * 1024;

    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_spool_filled_past_its_cap_evicts_oldest_first_and_counts_exactly_the_batches_and_events_it_evicted()
    {
        var random = new Random(6);
        var appended = new List<(SpoolTicket Ticket, SpoolBatch Batch)>();
        var acknowledged = new HashSet<long>();
        using (var spool = await _harness.OpenAsync(Small))
        {
            for (int i = 0; i < 60; i++)
            {
                var batch = SpoolBatch.Random(random, 0, events: random.Next(1, 30), bodyLength: random.Next(200, 1_200));
                var ticket = SpoolHarness.Append(spool, batch);
                appended.Add((ticket, batch));
                if (i % 7 == 3)
                {
                    spool.Acknowledge(ticket); // acknowledged batches are not counted when their segment goes
                    acknowledged.Add(ticket.BatchId);
                }

                Assert.True(spool.Counters.DiskBytes <= Cap, $"{spool.Counters.DiskBytes} bytes on disk after batch {i}");
                Assert.True(SpoolBytesOnDisk() <= Cap);
                Assert.Equal(SpoolBytesOnDisk(), spool.Counters.DiskBytes);
            }

            var evicted = _harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted);
            Assert.NotEmpty(evicted);
            Assert.Equal(spool.Counters.EvictedBatches, evicted.Sum(d => d.Batches));
            Assert.Equal(spool.Counters.EvictedEvents, evicted.Sum(d => d.Events));
        }

        using var reopened = await _harness.OpenAsync(Small);
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);

        // What is left is the newest batches; everything older and not acknowledged was evicted and counted.
        long oldestLeft = replayed[0].Ticket.BatchId;
        var expectedLeft = appended.Where(a => a.Ticket.BatchId >= oldestLeft && !acknowledged.Contains(a.Ticket.BatchId)).ToList();
        var expectedEvicted = appended.Where(a => a.Ticket.BatchId < oldestLeft && !acknowledged.Contains(a.Ticket.BatchId)).ToList();
        Assert.Equal(expectedLeft.Select(a => a.Ticket.BatchId), replayed.Select(r => r.Ticket.BatchId));
        Assert.All(replayed, r => Assert.True(r.SameAs(expectedLeft.Single(a => a.Ticket.BatchId == r.Ticket.BatchId).Batch)));
        var evictedDiagnostics = _harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted);
        Assert.Equal(expectedEvicted.Count, evictedDiagnostics.Sum(d => d.Batches));
        Assert.Equal(expectedEvicted.Sum(a => a.Batch.Ends.Length), evictedDiagnostics.Sum(d => d.Events));
    }

    [Fact]
    public async Task A_batch_larger_than_the_cap_is_refused_and_evicts_nothing()
    {
        using var spool = await _harness.OpenAsync(Small);
        var kept = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        var huge = SpoolBatch.Random(new Random(7), 0, 2, (int)Cap);
        Assert.Equal(SpoolAppendStatus.TooLarge, spool.TryAppend(0, huge.Sequence(), huge.Ends, out _));
        Assert.True(spool.Contains(kept));
        Assert.Equal((0L, 0L), (spool.Counters.EvictedBatches, spool.Counters.WriteFailures));
    }

    [Fact]
    public async Task A_cap_lowered_between_runs_evicts_the_oldest_on_open()
    {
        var batch = SpoolBatch.Random(new Random(8), 0, events: 3, bodyLength: 1_500);
        SpoolTicket[] tickets;
        using (var spool = await _harness.OpenAsync(o => o.SegmentBytes = Segment))
            tickets = Enumerable.Range(0, 16).Select(_ => SpoolHarness.Append(spool, batch)).ToArray(); // ~26 KB in 8 segments

        using var reopened = await _harness.OpenAsync(Small);
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        long evicted = tickets.Length - replayed.Count;
        Assert.True(evicted > 0);
        Assert.Equal(tickets[(int)evicted..].Select(t => t.BatchId), replayed.Select(r => r.Ticket.BatchId));
        Assert.Equal((evicted, evicted * 3, replayed.Count), (reopened.Recovery.EvictedBatches, reopened.Recovery.EvictedEvents, (int)reopened.Recovery.Batches));
        Assert.True(SpoolBytesOnDisk() <= Cap);
    }

    private static void Small(SpoolOptions options)
    {
        options.MaxBytes = Cap;
        options.SegmentBytes = Segment;
    }

    private long SpoolBytesOnDisk() =>
        _harness.Files(".segment").Concat(_harness.Files(".acks")).Sum(f => new FileInfo(f).Length);
}
