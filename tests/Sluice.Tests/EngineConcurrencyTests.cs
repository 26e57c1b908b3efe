using System.Collections.Concurrent;
using Sluice.Delivery.Transports;
using Sluice.Tests.Support;

namespace Sluice.Tests;

/// <summary>Producers racing each other, FlushAsync and DisposeAsync: nothing lost, nothing duplicated, order kept.</summary>
public class EngineConcurrencyTests
{
    [Fact]
    public async Task Producers_racing_flushes_and_dispose_lose_and_duplicate_nothing()
    {
        const int producers = 4;
        var transport = new InMemoryTransport();
        var engine = new SluiceEngine(new SluiceOptions { MaxBatchEvents = 97, MaxBatchBytes = 20_000, QueueCapacity = 1024, FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromSeconds(10) }, transport);
        var accepted = new ConcurrentBag<TestEvent>();
        long refusedShutdown = 0;
        using var start = new Barrier(producers + 1);

        var workers = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (int i = 0; ; i++)
            {
                var e = new TestEvent(i, i % 7 == 0, i % 13 == 0 ? new string('z', 300) : "", p);
                var result = e.SendTo(engine);
                if (result == EnqueueStatus.Accepted)
                {
                    accepted.Add(e);
                }
                else
                {
                    Assert.Equal(EnqueueStatus.ShuttingDown, result);
                    Interlocked.Increment(ref refusedShutdown);
                    return;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        start.SignalAndWait();
        var flushes = Enumerable.Range(0, 20).Select(_ => Task.Run(() => engine.FlushAsync())).ToArray();
        await Task.WhenAll(flushes);
        await Eventually.True(() => accepted.Count > 50_000, "producers made progress");
        var disposers = new[] { engine.DisposeAsync().AsTask(), Task.Run(() => engine.FlushAsync()), engine.ShutdownAsync() };
        await Task.WhenAll(disposers);
        await Task.WhenAll(workers);

        var counters = engine.GetCounters();
        Assert.Equal(refusedShutdown, counters.RefusedShutdown);
        BatchRules.Check(accepted.ToList(), transport.Batches, counters, 97, 20_000, closedOnlyForSize: false);
        Assert.Equal(accepted.Count, counters.Delivered);
    }

    [Fact]
    public async Task Drop_oldest_producers_racing_each_other_and_the_shutdown_settle_every_accepted_event_once()
    {
        // A small queue kept full by two producers: most calls evict, while the serializer reads the same head, and the
        // shutdown closes the queue under them. Each accepted event ends in exactly one state (evicted or delivered),
        // every refused call is refused as shutting down, and the counts add up.
        const int producers = 2;
        var fates = new FateLog();
        var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 8, MaxBatchEvents = 50, FullMode = FullMode.DropOldest, OnBatchSettled = fates.Callback },
            new InMemoryTransport());
        var accepted = new ConcurrentBag<long>();
        using var start = new Barrier(producers + 1);
        var workers = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 200_000; i++)
            {
                var result = new TestEvent(i, false, "", p).SendTo(engine);
                if (!result.IsAccepted)
                {
                    Assert.Equal(EnqueueStatus.ShuttingDown, result.Status);
                    return;
                }

                accepted.Add(result.Sequence);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        start.SignalAndWait();
        await Eventually.True(() => engine.GetCounters().Evicted > 1_000, "the producers evict");
        var shutdown = engine.ShutdownAsync();
        long until = Environment.TickCount64 + 60_000;
        while (!shutdown.IsCompleted && Environment.TickCount64 < until) // the counts a user reads meanwhile add up too: nothing settled that was not accepted
        {
            var during = engine.GetCounters();
            Assert.True(during.InFlight >= 0, $"InFlight {during.InFlight} during the shutdown");
            await Task.Yield();
        }

        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        var c = result.Counters;
        Conservation.AssertBalanced(c);
        Assert.Equal(accepted.Count, c.Accepted);
        Assert.Equal(c.Accepted, c.Evicted + c.Delivered);
        var byFate = fates.BySequence();
        Assert.Equal(accepted.Order(), byFate.Keys.Order());
        Assert.Equal(c.Evicted, byFate.Values.Count(f => f.Outcome == Sluice.Diagnostics.EventOutcome.Evicted));
    }

    [Fact]
    public async Task FlushAsync_returns_only_after_every_event_accepted_before_it_was_handed_to_the_transport()
    {
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions { TimeProvider = new ManualTimeProvider() }, transport);
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < round; i++)
                new TestEvent(round * 1000 + i, i % 2 == 0, "").SendTo(engine);
            await engine.FlushAsync();
            Assert.Equal(round * (round + 1) / 2, transport.Batches.Sum(b => b.EventCount));
        }
    }

    [Fact]
    public async Task FlushAsync_after_shutdown_completes_at_once()
    {
        var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        await engine.DisposeAsync();
        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(EnqueueStatus.ShuttingDown, new TestEvent(0, false, "").SendTo(engine));
        Assert.Equal(1, engine.GetCounters().RefusedShutdown);
    }
}
