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

    /// <summary>Hands each batch to <paramref name="keep"/> and says it was delivered.</summary>
    private sealed class KeepingTransport(Action<Batch> keep) : IBatchTransport
    {
        public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            keep(batch);
            return new ValueTask<SendResult>(SendResult.Delivered);
        }
    }
}
