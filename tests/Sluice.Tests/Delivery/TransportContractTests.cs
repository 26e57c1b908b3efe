using System.Buffers;
using System.Text;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>A custom transport that breaks the documented contract of <see cref="IBatchTransport"/>, seen from the engine.</summary>
public class TransportContractTests
{
    [Fact]
    public async Task A_transport_that_keeps_a_batch_past_its_send_cannot_read_another_batchs_events_through_it()
    {
        // Found: a transport queueing the batch to read it later (the body is documented valid only until SendAsync completes)
        // read, through the first batch, the second batch's events written into the pooled blocks the first had given back.
        var kept = new List<Batch>();
        var during = new List<string>();
        var transport = new KeepingTransport(batch =>
        {
            kept.Add(batch);
            during.Add(Encoding.UTF8.GetString(batch.Body.ToArray()));
        });
        await using var engine = new SluiceEngine(new SluiceOptions { MaxConcurrentSends = 1 }, transport);
        engine.Track("first-user", "signed_up");
        await engine.FlushAsync();
        engine.Track("second-user", "signed_up");
        await engine.FlushAsync();
        var result = await engine.ShutdownAsync();

        Assert.Contains("first-user", during[0], StringComparison.Ordinal);
        var first = kept[0];
        var late = Assert.Throws<ObjectDisposedException>(() => first.Body.ToArray());
        Assert.StartsWith("Batch 0's body went back to the engine's pool when the transport's SendAsync completed: " +
            "a transport that needs the bytes later must copy them during SendAsync (Body.ToArray()).", late.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => first.GetEvent(0));
        Assert.Equal((0, 1), (first.Sequence, first.EventCount)); // what describes the batch stays readable
        Assert.Equal(2, result.Counters.Delivered);
        Conservation.AssertBalanced(result.Counters);
    }

    [Fact]
    public async Task A_paused_endpoints_probe_waits_for_a_send_slot_so_the_transport_never_has_more_than_MaxConcurrentSends_calls_at_once()
    {
        // Found: the probe of an endpoint paused by a 401 ran beside the senders, so with MaxConcurrentSends = 1 the transport
        // had two calls at once (the probe, and a sender's send to the other endpoint), though that option caps them.
        var clock = new ManualTimeProvider();
        var transport = new RefusedTrackHeldPage();
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            TimeProvider = clock,
            MaxConcurrentSends = 1,
            MaxBatchEvents = 1,
            UnauthorizedProbeInterval = TimeSpan.FromMinutes(1),
            JitterRandom = new FixedRandom(0.5),
            ShutdownTimeout = TimeSpan.FromHours(1),
        }, transport);

        engine.Track("user-1", "signed_up"); // refused: its endpoint is paused, and probed in 45 s
        await Eventually.True(() => transport.Calls == 1 && clock.PendingDelays.Contains(TimeSpan.FromSeconds(45)), "the pause");
        engine.Page("user-2", null, name: "Home"); // held by the transport
        await Eventually.True(() => transport.Calls == 2, "the page's send");

        clock.Advance(TimeSpan.FromSeconds(45));
        await Eventually.True(() => engine.SendsWaiting == 1 || transport.Calls == 3, "the probe");
        int beforeTheRelease = transport.Calls;
        transport.Release();
        await engine.FlushAsync();
        var result = await engine.ShutdownAsync();

        Assert.Equal(2, beforeTheRelease); // the probe waited for the page's send
        Assert.Equal(1, transport.MostAtOnce);
        Assert.Equal(3, transport.Calls);
        Assert.Equal(2, result.Counters.Delivered);
        Conservation.AssertBalanced(result.Counters);
    }

    /// <summary>Hands each batch to <paramref name="keep"/> and says it was delivered.</summary>
    private sealed class KeepingTransport(Action<Batch> keep) : IBatchTransport
    {
        public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            keep(batch);
            return new ValueTask<SendResult>(SendResult.Delivered);
        }
    }

    /// <summary>Refuses the first track batch's credentials, accepts the later ones; holds page batches until released. Counts calls at once.</summary>
    private sealed class RefusedTrackHeldPage : IBatchTransport
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _atOnce;
        private int _mostAtOnce;

        public int Calls => Volatile.Read(ref _calls);

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public void Release() => _release.TrySetResult();

        public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            int now = Interlocked.Increment(ref _atOnce);
            int seen;
            while ((seen = Volatile.Read(ref _mostAtOnce)) < now && Interlocked.CompareExchange(ref _mostAtOnce, now, seen) != seen)
            {
            }

            try
            {
                if (Interlocked.Increment(ref _calls) == 1)
                    return SendResult.Unauthorized("revoked");
                if (batch.EndpointPath != "/api/track")
                    await _release.Task.WaitAsync(cancellationToken);
                return SendResult.Delivered;
            }
            finally
            {
                Interlocked.Decrement(ref _atOnce);
            }
        }
    }
}
