using System.Buffers;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports;

/// <summary>The in-memory transport: copies that outlive the pooled batch, kept in arrival order or handed to a callback.</summary>
public class InMemoryTransportTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task Each_batch_is_kept_in_arrival_order_with_its_fields_and_a_copy_of_its_body()
    {
        var transport = new InMemoryTransport();
        var track = TestBatches.Seal(TestBatches.Memory(), [TrackEvent, TrackEvent], ThriveStackFormat.TrackPartition, sequence: 11);
        var page = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], ThriveStackFormat.PagePartition, sequence: 12);
        byte[] trackBody = track.Body.ToArray(), pageBody = page.Body.ToArray();

        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(track, CancellationToken.None)).Outcome);
        var afterFirst = transport.Batches;
        Assert.Equal(SendOutcome.Delivered, (await transport.SendAsync(page, CancellationToken.None)).Outcome);
        track.Release(); // the pooled memory goes back: the copies must not share it
        page.Release();

        Assert.Single(afterFirst); // a snapshot: later batches do not appear in it
        Assert.Collection(
            transport.Batches,
            b => Assert.Equal(new ReceivedBatch(11, ThriveStackFormat.TrackPartition, "/api/track", 2, b.Body), b),
            b => Assert.Equal(new ReceivedBatch(12, ThriveStackFormat.PagePartition, "/api/page", 1, b.Body), b));
        Assert.Equal(trackBody, transport.Batches[0].Body);
        Assert.Equal(pageBody, transport.Batches[1].Body);
    }

    [Fact]
    public async Task With_a_callback_each_batch_is_handed_over_and_not_kept()
    {
        var handed = new List<ReceivedBatch>();
        var transport = new InMemoryTransport(handed.Add);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: 9);

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal(9, Assert.Single(handed).Sequence);
        Assert.Equal(batch.Body.ToArray(), handed[0].Body);
        Assert.Empty(transport.Batches);
    }

    [Fact]
    public async Task Batches_sent_from_many_threads_at_once_are_all_kept()
    {
        var transport = new InMemoryTransport();
        var memory = TestBatches.Memory();
        var batches = Enumerable.Range(0, 400).Select(i => TestBatches.Seal(memory, [TrackEvent], sequence: i)).ToArray();

        await Parallel.ForEachAsync(batches, async (batch, token) => await transport.SendAsync(batch, token));

        Assert.Equal(Enumerable.Range(0, 400).Select(i => (long)i), transport.Batches.Select(b => b.Sequence).Order());
    }

    [Fact]
    public async Task Missing_arguments_are_refused_at_once()
    {
        Assert.Equal("onBatch", Assert.Throws<ArgumentNullException>(() => new InMemoryTransport(null!)).ParamName);
        var ex = await Assert.ThrowsAsync<ArgumentNullException>(async () => await new InMemoryTransport().SendAsync(null!, CancellationToken.None));
        Assert.Equal("batch", ex.ParamName);
    }
}
