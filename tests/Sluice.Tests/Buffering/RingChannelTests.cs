using Sluice.Buffering;

namespace Sluice.Tests.Buffering;

/// <summary>
/// The ring publishes with a plain store (one interlocked operation per write): a reader that parks
/// while a writer is between claiming and publishing must still see the item. These tests make the
/// reader park between almost every write, and fail (by timeout) on a lost wake-up.
/// </summary>
public class RingChannelTests
{
    [Theory]
    [InlineData(1, false, 0)]
    [InlineData(2, false, 0)]
    [InlineData(2, true, 0)]
    [InlineData(1, false, 16)] // the engine's reader: a distance behind fast writers, at their heels after a park or a timed-out wait
    [InlineData(2, false, 16)]
    public async Task A_reader_that_parks_between_writes_receives_every_item_in_order(int writers, bool evictingWriters, int readBehind)
    {
        const int perWriter = 40_000;
        var ring = new RingChannel<long>(1 << 17, evictingWriters, readBehind);
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
    public async Task A_reader_keeping_a_distance_still_reads_the_last_items_of_a_burst()
    {
        // Fewer items than the distance, and no writer to bring more: the reader waits for them only
        // briefly, then reads them all (the same with the ring refilled after it emptied). A reader
        // that waited for the distance without bound would hang here: bounded, that is a failure.
        var ring = new RingChannel<int>(64, evictingWriters: false, readBehind: 16);
        await Task.Run(() =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 5; i++)
                    Assert.Equal(RingStatus.Ok, ring.TryEnqueue((round * 10) + i));
                for (int i = 0; i < 5; i++)
                {
                    Assert.True(ring.TryDequeue(out int item), $"round {round}, item {i}");
                    Assert.Equal((round * 10) + i, item);
                }

                Assert.False(ring.TryDequeue(out _));
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(8, false, 8)]
    [InlineData(8, false, -1)]
    [InlineData(8, true, 2)]
    public void A_read_distance_must_fit_the_ring_and_not_be_used_with_evicting_writers(int capacity, bool evictingWriters, int readBehind)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RingChannel<int>(capacity, evictingWriters, readBehind));
        Assert.Equal("readBehind", e.ParamName);
    }

    [Fact]
    public void IsPublishedAhead_counts_from_the_head_and_only_published_items()
    {
        var ring = new RingChannel<int>(8, evictingWriters: false);
        Assert.False(ring.IsPublishedAhead(0));
        for (int i = 0; i < 3; i++)
            Assert.Equal(RingStatus.Ok, ring.TryEnqueue(i));
        Assert.True(ring.IsPublishedAhead(0));
        Assert.True(ring.IsPublishedAhead(2));
        Assert.False(ring.IsPublishedAhead(3));
        Assert.False(ring.IsPublishedAhead(8 + 2)); // one lap on: the same slot, an older ticket

        Assert.True(ring.TryDequeue(out _));
        Assert.True(ring.IsPublishedAhead(1));
        Assert.False(ring.IsPublishedAhead(2));
    }

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
}
