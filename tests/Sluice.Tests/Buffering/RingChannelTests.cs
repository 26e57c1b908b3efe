using Microsoft.Extensions.Time.Testing;
using Sluice.Buffering;
using Sluice.Tests.Support;

namespace Sluice.Tests.Buffering;

/// <summary>
/// The ring publishes with a plain store (one interlocked operation per write): a reader that parks
/// while a writer is between claiming and publishing must still see the item. These tests make the
/// reader park between almost every write, and fail (by timeout) on a lost wake-up.
/// </summary>
public class RingChannelTests
{
    [Theory]
    [InlineData(1, false, 1)]
    [InlineData(2, false, 1)]
    [InlineData(2, true, 1)]
    [InlineData(1, false, 16)] // the engine's reader: parked on a backlog, woken by it or by the read delay
    [InlineData(2, false, 16)]
    [InlineData(2, true, 16)]
    public async Task A_reader_that_parks_between_writes_receives_every_item_in_order(int writers, bool evictingWriters, int wakeBacklog)
    {
        const int perWriter = 40_000;
        var ring = new RingChannel<long>(1 << 17, evictingWriters, wakeBacklog);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            var random = new Random(w);
            for (long i = 0; i < perWriter; i++)
            {
                Assert.Equal(RingStatus.Ok, ring.TryEnqueue((w * (long)perWriter) + i));
                if (random.Next(8) == 0)
                    Thread.Yield(); // let the reader catch up and park
            }
        })).ToList();
        threads.ForEach(t => t.Start());

        var last = Enumerable.Repeat(-1L, writers).ToArray();
        long received = 0;
        var reading = Task.Run(async () =>
        {
            while (received < writers * (long)perWriter && await ring.WaitToReadAsync())
            {
                while (ring.TryDequeue(out long item))
                {
                    int w = (int)(item / perWriter);
                    Assert.True(item > last[w], "Items of one writer arrive in order.");
                    last[w] = item;
                    received++;
                }
            }
        });

        var finished = await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(60)));
        threads.ForEach(t => t.Join());
        Assert.True(finished == reading, $"The reader stalled after {received} items: a wake-up was lost.");
        await reading;
        Assert.Equal(writers * (long)perWriter, ring.TotalDequeued);
    }

    [Fact]
    public async Task Close_wakes_a_parked_reader_and_it_drains_what_was_accepted()
    {
        var ring = new RingChannel<int>(8, evictingWriters: false);
        var wait = ring.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));
        Assert.True(await wait);
        ring.Close();
        Assert.Equal(RingStatus.Closed, ring.TryEnqueue(2));
        Assert.True(ring.TryDequeue(out int item));
        Assert.Equal(1, item);
        Assert.False(await ring.WaitToReadAsync());
    }

    [Fact]
    public async Task A_writer_waiting_for_room_gives_up_when_the_given_clock_passes_the_timeout_and_not_before()
    {
        var clock = new ManualTimeProvider();
        var ring = new RingChannel<int>(2, evictingWriters: false, time: clock);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(0));
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));

        var writer = Task.Run(() => ring.EnqueueOrWait(2, TimeSpan.FromMinutes(1), out _));
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromMinutes(1)), "the writer waiting");
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(writer.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RingStatus.Full, await writer.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, clock.ArmedTimers); // the wait's timer is gone with it

        // Room before the timeout: the writer enqueues.
        writer = Task.Run(() => ring.EnqueueOrWait(2, TimeSpan.FromMinutes(1), out _));
        await Eventually.True(() => clock.ArmedTimers == 1, "the writer waiting");
        Assert.True(ring.TryDequeue(out _));
        Assert.True(ring.TryDequeue(out _)); // a reader frees an eighth of the ring before it wakes writers: here, at once
        Assert.Equal(RingStatus.Ok, await writer.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_capacity_that_is_not_a_power_of_two_of_at_least_2_is_refused_naming_it()
    {
        foreach (int capacity in (int[])[0, 1, 3, 6, 100])
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RingChannel<int>(capacity));
            Assert.Equal("capacity", ex.ParamName);
            Assert.Contains("power of two", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, new RingChannel<int>(2).Capacity);
    }

    [Fact]
    public void A_reader_that_has_read_parks_on_a_backlog_below_its_threshold_even_if_it_was_written_before_it_waited()
    {
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 16, new FakeTimeProvider());
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(0));
        Assert.True(ring.WaitToReadAsync().AsTask().IsCompleted);
        Assert.True(ring.TryDequeue(out _));
        for (int i = 1; i <= 3; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));

        // Three waiting, fewer than 16: it parks on them (the read delay's nudge, or the 16th, wakes it).
        var wait = ring.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(ring.ReaderParked);
    }

    [Fact]
    public async Task Once_closed_a_backlog_below_the_threshold_is_read_at_once_not_after_the_read_delay()
    {
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 16, new FakeTimeProvider()); // its nudge never fires
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(0));
        Assert.True(await ring.WaitToReadAsync());
        Assert.True(ring.TryDequeue(out _));
        for (int i = 1; i <= 3; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));
        ring.Close();

        Assert.True(await ring.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(ring.TryDequeue(out int item));
            Assert.Equal(i, item);
        }

        Assert.False(await ring.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_reader_that_has_read_parks_on_its_backlog_and_single_writes_do_not_wake_it()
    {
        var time = new FakeTimeProvider();
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 4, time);

        // Nothing read yet: it parks idle, and the first write wakes it.
        var wait = ring.WaitToReadAsync().AsTask();
        Assert.True(ring.ReaderIdle);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(0));
        Assert.False(ring.ReaderParked);
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ring.TryDequeue(out _));

        // Having read, it parks on the backlog: three writes leave it parked, the fourth wakes it.
        wait = ring.WaitToReadAsync().AsTask();
        Assert.False(ring.ReaderIdle);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));
            Assert.True(ring.ReaderParked, $"woken by write {i}, below the backlog");
        }

        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(4));
        Assert.False(ring.ReaderParked);
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        for (int i = 1; i <= 4; i++)
        {
            Assert.True(ring.TryDequeue(out int item));
            Assert.Equal(i, item);
        }
    }

    [Fact]
    public async Task The_read_delay_never_holds_a_record_longer_than_its_batch_would_linger()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(20), RingChannel<int>.MaxReadDelay);
        Assert.Equal(RingChannel<int>.MaxReadDelay, RingChannel<int>.ReadDelayFor(TimeSpan.FromSeconds(5)));
        Assert.Equal(RingChannel<int>.MaxReadDelay, RingChannel<int>.ReadDelayFor(RingChannel<int>.MaxReadDelay));
        Assert.Equal(TimeSpan.FromMilliseconds(3), RingChannel<int>.ReadDelayFor(TimeSpan.FromMilliseconds(3)));

        // A ring given a shorter delay wakes its reader after that delay, not the longest one.
        var time = new FakeTimeProvider();
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 16, time, readDelay: TimeSpan.FromMilliseconds(3));
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));
        Assert.True(await ring.WaitToReadAsync());
        Assert.True(ring.TryDequeue(out _));
        var wait = ring.WaitToReadAsync().AsTask();
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(2));
        time.Advance(TimeSpan.FromMilliseconds(3) - TimeSpan.FromTicks(1));
        Assert.True(ring.ReaderParked, "woken before its read delay");
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_small_backlog_is_read_after_the_read_delay_and_then_the_reader_parks_idle_with_no_timer()
    {
        var time = new FakeTimeProvider();
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 16, time);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));
        Assert.True(await ring.WaitToReadAsync());
        Assert.True(ring.TryDequeue(out _));

        var wait = ring.WaitToReadAsync().AsTask();
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(2));
        time.Advance(RingChannel<int>.MaxReadDelay - TimeSpan.FromTicks(1));
        Assert.True(ring.ReaderParked, "woken before the read delay");
        time.Advance(TimeSpan.FromTicks(1));
        Assert.False(ring.ReaderParked, "the read delay passed: the lone item must not wait longer");
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ring.TryDequeue(out int item));
        Assert.Equal(2, item);

        // The writers stopped: the delay wakes the reader once more, it finds nothing, and parks idle.
        wait = ring.WaitToReadAsync().AsTask();
        time.Advance(RingChannel<int>.MaxReadDelay);
        Assert.True(await wait);
        Assert.False(ring.TryDequeue(out _));
        wait = ring.WaitToReadAsync().AsTask();
        Assert.True(ring.ReaderIdle, "an idle reader has no timer armed: it uses no CPU until a write");
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(ring.ReaderParked);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(3));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_kick_or_closing_wakes_a_reader_parked_on_its_backlog()
    {
        var (ring, wait) = await ParkedOnBacklogAsync();
        ring.Kick();
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ring.TryDequeue(out _));

        (ring, wait) = await ParkedOnBacklogAsync();
        ring.Close();
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ring.TryDequeue(out int last));
        Assert.Equal(2, last);
        Assert.False(await ring.WaitToReadAsync());
    }

    /// <summary>A ring whose reader has read one item and parked on its backlog, with one more item written.</summary>
    private static async Task<(RingChannel<int> Ring, Task<bool> Wait)> ParkedOnBacklogAsync()
    {
        var ring = new RingChannel<int>(64, evictingWriters: false, wakeBacklog: 16, new FakeTimeProvider());
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));
        Assert.True(await ring.WaitToReadAsync());
        Assert.True(ring.TryDequeue(out _));
        var wait = ring.WaitToReadAsync().AsTask();
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(2));
        Assert.True(ring.ReaderParked);
        return (ring, wait);
    }

    [Fact]
    public async Task A_writer_awaiting_room_is_released_once_the_reader_has_freed_enough()
    {
        var ring = new RingChannel<int>(8, evictingWriters: false);
        for (int i = 0; i < 8; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));

        var room = ring.WaitForRoomAsync(queued: 6, CancellationToken.None).AsTask();
        Assert.True(ring.TryDequeue(out _));
        Assert.False(room.IsCompleted, "7 queued, more than 6");
        Assert.True(ring.TryDequeue(out _));
        await room.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(6, ring.TotalEnqueued - ring.TotalDequeued);
    }

    [Fact]
    public async Task A_writer_awaiting_room_is_released_by_closing_or_cancelling()
    {
        var ring = new RingChannel<int>(4, evictingWriters: false);
        for (int i = 0; i < 4; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));

        using var cancel = new CancellationTokenSource();
        var cancelled = ring.WaitForRoomAsync(queued: 0, cancel.Token).AsTask();
        Assert.False(cancelled.IsCompleted);
        await cancel.CancelAsync();
        await cancelled.WaitAsync(TimeSpan.FromSeconds(10));

        var closed = ring.WaitForRoomAsync(queued: 0, CancellationToken.None).AsTask();
        Assert.False(closed.IsCompleted);
        ring.Close();
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, ring.TotalEnqueued - ring.TotalDequeued);
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(8, 5)]
    public void A_wake_up_backlog_must_be_at_least_one_and_at_most_half_the_ring(int capacity, int wakeBacklog)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RingChannel<int>(capacity, evictingWriters: false, wakeBacklog));
        Assert.Equal("wakeBacklog", e.ParamName);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(64, 16)]
    [InlineData(16_384, 4096)]
    [InlineData(65_536, 4096)]
    public void The_engines_wake_up_backlog_is_a_quarter_of_a_small_ring_and_at_most_4096(int capacity, int expected)
        => Assert.Equal(expected, RingChannel<int>.WakeBacklogFor(capacity));

    [Fact]
    public void Without_evicting_writers_a_full_ring_refuses_and_frees_slots_as_read()
    {
        var ring = new RingChannel<int>(4, evictingWriters: false);
        for (int i = 0; i < 4; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));
        Assert.Equal(RingStatus.Full, ring.TryEnqueue(4));
        Assert.True(ring.TryDequeue(out int first));
        Assert.Equal(0, first);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(4));
        var rest = new List<int>();
        while (ring.TryDequeue(out int item))
            rest.Add(item);
        Assert.Equal([1, 2, 3, 4], rest);
        Assert.Equal(5, ring.TotalDequeued);
    }

    [Fact]
    public void An_evicting_writer_that_finds_the_ring_closed_evicts_nothing()
    {
        // The ring filled, then closed (a shutdown) before the writer that found it full made room: evicting first dropped
        // an accepted item for one the closed ring then refused.
        var ring = new RingChannel<int>(2, evictingWriters: true);
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(0));
        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(1));
        Assert.Equal(RingStatus.Full, ring.TryEnqueue(2));
        ring.Close();

        Assert.Equal(RingStatus.Closed, ring.ClaimOverOldest(out _));
        Assert.Equal(0, ring.TotalDequeued);
        Assert.True(ring.TryDequeue(out int first));
        Assert.True(ring.TryDequeue(out int second));
        Assert.Equal((0, 1), (first, second));
    }

    [Fact]
    public void An_evicting_writer_evicts_the_oldest_only_if_the_reader_has_not_read_it_since()
    {
        var ring = new RingChannel<int>(2, evictingWriters: true);
        ring.TryEnqueue(0);
        ring.TryEnqueue(1);
        Assert.Equal(RingStatus.Ok, ring.ClaimOverOldest(out long ticket));
        Assert.Equal(2, ticket);
        Assert.True(ring.TryEvictFor(ticket, out long evicted));
        Assert.Equal(0, evicted);
        Assert.False(ring.TryEvictFor(ticket, out _));
        ring.PublishClaimed(ticket, 2);

        // Full again, but the reader takes the oldest between the claim and the eviction: nothing is evicted.
        Assert.Equal(RingStatus.Full, ring.TryEnqueue(3));
        Assert.Equal(RingStatus.Ok, ring.ClaimOverOldest(out ticket));
        Assert.True(ring.TryDequeue(out int read));
        Assert.Equal(1, read);
        Assert.False(ring.TryEvictFor(ticket, out _));
        ring.PublishClaimed(ticket, 3);
        Assert.True(ring.TryDequeue(out int third));
        Assert.True(ring.TryDequeue(out int fourth));
        Assert.Equal((2, 3), (third, fourth));
        Assert.Equal(4, ring.TotalEnqueued);
    }

    [Fact]
    public async Task Writers_evicting_from_a_small_ring_while_it_is_read_lose_nothing_else_and_keep_each_writers_order()
    {
        const int writers = 2, perWriter = 50_000;
        var ring = new RingChannel<long>(4, evictingWriters: true);
        var evicted = new List<long>[writers];
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            evicted[w] = [];
            for (long i = 0; i < perWriter; i++)
            {
                long item = (w * (long)perWriter) + i;
                if (ring.TryEnqueue(item) == RingStatus.Ok)
                    continue;
                Assert.Equal(RingStatus.Ok, ring.ClaimOverOldest(out long ticket));
                while (ring.TryEvictFor(ticket, out long gone))
                    evicted[w].Add(gone);
                ring.PublishClaimed(ticket, item);
            }
        })).ToList();
        threads.ForEach(t => t.Start());

        var last = Enumerable.Repeat(-1L, writers).ToArray();
        long received = 0;
        var reading = Task.Run(async () =>
        {
            while (await ring.WaitToReadAsync())
            {
                while (ring.TryDequeue(out long item))
                {
                    int w = (int)(item / perWriter);
                    Assert.True(item > last[w], "Items of one writer arrive in order.");
                    last[w] = item;
                    received++;
                }
            }
        });

        threads.ForEach(t => t.Join());
        ring.Close();
        Assert.True(await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(60))) == reading, $"The reader stalled after {received} items.");
        await reading;
        var allEvicted = evicted.SelectMany(e => e).ToList();
        Assert.Equal(allEvicted.Count, allEvicted.Distinct().Count());
        Assert.Equal(writers * (long)perWriter, received + allEvicted.Count);
        Assert.Equal(writers * (long)perWriter, ring.TotalEnqueued);
        Assert.Equal(ring.TotalEnqueued, ring.TotalDequeued);
    }
}
