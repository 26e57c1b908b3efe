using Sluice.Delivery;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>
/// When a batch left in the spool after its retries ran out may go again: at once for every kept batch of a partition that
/// delivered since it was kept; otherwise only the partition's oldest, alone, once it has waited the probe interval.
/// </summary>
public sealed class KeptBatchesTests
{
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(30);

    private readonly ManualTimeProvider _time = new();
    private int _wakes;

    private readonly HashSet<long> _deleted = []; // batch ids the spool's cap deleted
    private long _forgotten; // events of kept batches forgotten as deleted

    private KeptBatches Kept(int partitions = 2) => new(partitions, _time, ProbeAfter, () => Interlocked.Increment(ref _wakes), t => !_deleted.Contains(t.BatchId),
        events => _forgotten += events);

    private static SpoolTicket Ticket(long id, int events = 10) => new(id, SegmentId: 0, Offset: 100 * id, Length: 200, events);

    private static List<(long Id, int Partition)> TakeAll(KeptBatches kept)
    {
        var taken = new List<(long, int)>();
        while (kept.TryTake(out var ticket, out int partition, out _))
            taken.Add((ticket.BatchId, partition));
        return taken;
    }

    [Fact]
    public void Nothing_goes_again_before_its_partition_delivers_or_the_probe_interval_passes()
    {
        var kept = Kept();
        kept.Keep(Ticket(1), 0, spooled: 10);
        Assert.True(kept.Any);
        _time.Advance(ProbeAfter - TimeSpan.FromTicks(1));
        Assert.Empty(TakeAll(kept));
        Assert.True(kept.Any);
    }

    [Fact]
    public void A_kept_batch_goes_again_with_the_parts_whose_retries_ran_out_all_of_it_if_none_are_named()
    {
        var kept = Kept();
        kept.Keep(Ticket(1, events: 10), 0, spooled: 10);
        kept.Keep(Ticket(2, events: 10), 0, spooled: 6, parts: [(0, 2), (4, 4)]);
        kept.Delivered(0);

        Assert.True(kept.TryTake(out var ticket, out _, out var parts));
        Assert.Equal(1L, ticket.BatchId);
        Assert.Equal([(0, 10)], parts);
        Assert.True(kept.TryTake(out ticket, out _, out parts));
        Assert.Equal(2L, ticket.BatchId);
        Assert.Equal([(0, 2), (4, 4)], parts);
    }

    [Fact]
    public void A_delivery_to_a_partition_sends_all_its_kept_batches_oldest_first_and_none_of_another_partition()
    {
        var kept = Kept();
        kept.Keep(Ticket(3), 0, spooled: 10);
        kept.Keep(Ticket(1), 0, spooled: 10);
        kept.Keep(Ticket(2), 1, spooled: 10);
        kept.Keep(Ticket(4), 0, spooled: 10);

        kept.Delivered(1);
        Assert.Equal(1, _wakes);
        Assert.Equal([(2L, 1)], TakeAll(kept));

        kept.Delivered(0);
        Assert.Equal([(1L, 0), (3L, 0), (4L, 0)], TakeAll(kept));
        Assert.False(kept.Any);
    }

    [Fact]
    public void A_delivery_before_any_batch_is_kept_wakes_no_one_and_releases_nothing_kept_later()
    {
        var kept = Kept();
        kept.Delivered(0);
        Assert.Equal(0, _wakes);
        kept.Keep(Ticket(1), 0, spooled: 10);
        Assert.Empty(TakeAll(kept));

        // A batch kept after the partition's delivery waits for the next one.
        kept.Delivered(0);
        kept.Keep(Ticket(2), 0, spooled: 10);
        Assert.Equal([(1L, 0)], TakeAll(kept));
        kept.Delivered(0);
        Assert.Equal([(2L, 0)], TakeAll(kept));
    }

    [Fact]
    public void Without_a_delivery_each_partition_probes_with_its_oldest_alone_and_the_next_probe_waits_until_it_is_settled()
    {
        var kept = Kept();
        kept.Keep(Ticket(5), 0, spooled: 10);
        kept.Keep(Ticket(6), 0, spooled: 10);
        kept.Keep(Ticket(7), 1, spooled: 10);
        _time.Advance(ProbeAfter);

        Assert.Equal([(5L, 0), (7L, 1)], TakeAll(kept));
        _time.Advance(ProbeAfter * 3);
        Assert.Empty(TakeAll(kept)); // partition 0's probe is still being sent

        // Its retries ran out again: it is kept again, in its place before batch 6, and waits a probe interval.
        kept.Keep(Ticket(5), 0, spooled: 10);
        kept.Settled(0);
        Assert.Empty(TakeAll(kept));
        _time.Advance(ProbeAfter);
        Assert.Equal([(5L, 0)], TakeAll(kept));

        // Delivered this time: the rest of the partition goes.
        kept.Settled(0);
        kept.Delivered(0);
        Assert.Equal([(6L, 0)], TakeAll(kept));
    }

    [Fact]
    public void A_batch_that_could_not_be_read_back_lets_the_next_probe_go()
    {
        var kept = Kept(partitions: 1);
        kept.Keep(Ticket(1), 0, spooled: 10);
        kept.Keep(Ticket(2), 0, spooled: 10);
        _time.Advance(ProbeAfter);
        Assert.Equal([(1L, 0)], TakeAll(kept));
        kept.Settled(0); // not read back (evicted): nothing is kept again
        Assert.Equal([(2L, 0)], TakeAll(kept));
    }

    [Fact]
    public void A_probe_settled_without_being_kept_again_wakes_the_serializer_for_the_next_one()
    {
        var kept = Kept(partitions: 1);
        kept.Keep(Ticket(1), 0, spooled: 10);
        kept.Keep(Ticket(2), 0, spooled: 10);
        _time.Advance(ProbeAfter);
        Assert.Equal([(1L, 0)], TakeAll(kept));
        int wakes = _wakes;

        kept.Settled(0); // failed for good: no delivery, not kept again, no timer set
        Assert.Equal(wakes + 1, _wakes);
        Assert.Equal([(2L, 0)], TakeAll(kept));
        kept.Settled(0);
        Assert.Equal(wakes + 1, _wakes); // nothing left to take
    }

    [Fact]
    public void Batches_the_spools_cap_deleted_are_forgotten_and_the_oldest_it_still_holds_probes()
    {
        var kept = Kept(partitions: 1);
        for (long id = 1; id <= 1_000; id++)
            kept.Keep(Ticket(id), 0, spooled: 10);

        // A long outage: the cap deleted all but the newest two. Their places go, and the oldest left probes.
        for (long id = 1; id <= 998; id++)
            _deleted.Add(id);
        kept.ForgetEvicted(); // told by the spool, before any take
        Assert.Equal(9_980, _forgotten);
        Assert.Empty(TakeAll(kept));
        _time.Advance(ProbeAfter);
        Assert.Equal([(999L, 0)], TakeAll(kept));

        _deleted.Add(1_000);
        kept.ForgetEvicted();
        Assert.Empty(TakeAll(kept));
        Assert.False(kept.Any);
        Assert.Equal(9_990, _forgotten); // each once

        _deleted.Add(999);
        kept.Keep(Ticket(999), 0, spooled: 4); // the probe's retries ran out again, but the cap deleted it meanwhile
        Assert.False(kept.Any);
        Assert.Equal(9_994, _forgotten);
    }

    [Fact]
    public void Batches_the_spool_lost_from_any_segment_not_only_its_oldest_are_forgotten_when_it_reports_them()
    {
        // A segment deleted by something else (DiskSpool.Vanished) may be the newest: the kept batches before it are still held.
        var kept = Kept(partitions: 1);
        for (long id = 1; id <= 3; id++)
            kept.Keep(Ticket(id), 0, spooled: 10);

        _deleted.Add(2);
        kept.ForgetEvicted();

        Assert.Equal(10, _forgotten);
        kept.Delivered(0);
        Assert.Equal([(1L, 0), (3L, 0)], TakeAll(kept));
    }

    [Fact]
    public void A_batch_taken_that_could_not_be_read_back_is_no_longer_counted_as_left_in_the_spool_if_the_spool_lost_it()
    {
        var kept = Kept(partitions: 1);
        kept.Keep(Ticket(1), 0, spooled: 10);
        kept.Keep(Ticket(2), 0, spooled: 6, parts: [(0, 6)]);
        kept.Delivered(0);
        Assert.True(kept.TryTake(out var lost, out _, out _));
        Assert.True(kept.TryTake(out var damaged, out _, out _));

        _deleted.Add(lost.BatchId); // deleted between the take and the read
        kept.Unread(lost, 0, spooled: 10);
        kept.Unread(damaged, 0, spooled: 6); // still held (a damaged record): still in the spool

        Assert.Equal(10, _forgotten);
    }

    [Fact]
    public void The_probe_timer_is_set_for_the_earliest_kept_batch_and_wakes_the_serializer()
    {
        var kept = Kept();
        kept.Keep(Ticket(1), 0, spooled: 10);
        Assert.Equal([ProbeAfter], _time.PendingDelays);

        _time.Advance(TimeSpan.FromSeconds(10));
        kept.Keep(Ticket(2), 1, spooled: 10); // due later: the timer stays where it is
        Assert.Equal([TimeSpan.FromSeconds(20)], _time.PendingDelays);

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, _wakes);
        Assert.Equal([(1L, 0)], TakeAll(kept));

        // Partition 1's batch is due in 10 s: the look that found it not due set the timer for it.
        Assert.Equal([TimeSpan.FromSeconds(10)], _time.PendingDelays);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, _wakes);
        Assert.Equal([(2L, 1)], TakeAll(kept));
    }

    [Fact]
    public void Stop_disarms_the_probe_timer_and_batches_kept_by_settlements_still_running_set_none()
    {
        var kept = Kept();
        kept.Keep(Ticket(1), 0, spooled: 10);
        Assert.Equal(1, _time.ArmedTimers);
        kept.Stop();
        Assert.Equal(0, _time.ArmedTimers);
        kept.Keep(Ticket(2), 1, spooled: 10);
        Assert.Equal(0, _time.ArmedTimers);
        _time.Advance(ProbeAfter);
        Assert.Equal(0, _wakes);
    }

    [Fact]
    public void A_batch_kept_after_stop_by_a_settlement_still_running_sets_no_timer()
    {
        var kept = Kept();
        kept.Stop();
        kept.Keep(Ticket(1), 0, spooled: 10);
        Assert.Equal(0, _time.ArmedTimers);
        _time.Advance(ProbeAfter);
        Assert.Equal(0, _wakes);
    }
}
