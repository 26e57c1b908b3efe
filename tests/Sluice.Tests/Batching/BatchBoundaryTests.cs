using Sluice.Delivery.Transports;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>The exact edges of the ThriveStack limits: 2,097,152 bytes and 1,000 events.</summary>
public class BatchBoundaryTests
{
    private const int Limit = 2_097_152;

    // "[" + a + "," + b + "]" is exactly the limit when a + b = Limit - 3.
    private static (TestEvent A, TestEvent B) PairFilling(int totalBody)
    {
        int baseSize = new TestEvent(0, false, "").ExpectedBytes; // same for seq 0 and 1: one digit
        int padA = 1_000_000;
        var a = new TestEvent(0, false, new string('a', padA));
        int padB = totalBody - 3 - a.ExpectedBytes - baseSize;
        var b = new TestEvent(1, false, new string('b', padB));
        Assert.Equal(totalBody, 3 + a.ExpectedBytes + b.ExpectedBytes);
        return (a, b);
    }

    [Fact]
    public async Task A_batch_landing_on_exactly_2097152_bytes_is_sent_whole()
    {
        var (a, b) = PairFilling(Limit);
        var batches = await Run(a, b);

        var batch = Assert.Single(batches);
        Assert.Equal(2, batch.EventCount);
        Assert.Equal(Limit, batch.Body.Length);
    }

    [Fact]
    public async Task The_event_that_would_make_2097153_bytes_opens_the_next_batch()
    {
        var (a, b) = PairFilling(Limit + 1);
        var batches = await Run(a, b);

        Assert.Equal(2, batches.Count);
        Assert.Equal([1, 1], batches.Select(x => x.EventCount));
        Assert.Equal(2 + a.ExpectedBytes, batches[0].Body.Length);
        Assert.Equal(2 + b.ExpectedBytes, batches[1].Body.Length);
    }

    [Fact]
    public async Task A_single_event_of_exactly_the_limit_is_sent_and_one_byte_more_is_rejected_as_oversize()
    {
        int baseSize = new TestEvent(0, false, "").ExpectedBytes;
        var fits = new TestEvent(0, false, new string('x', Limit - 2 - baseSize));
        var tooBig = new TestEvent(1, false, new string('x', Limit - 2 - baseSize + 1));
        var transport = new InMemoryTransport();
        var diagnostics = new List<Sluice.Diagnostics.DiagnosticEvent>();
        var engine = new SluiceEngine(new SluiceOptions { OnDiagnostic = d => { lock (diagnostics) diagnostics.Add(d); } }, transport);
        Assert.Equal(EnqueueStatus.Accepted, fits.SendTo(engine));
        Assert.Equal(EnqueueStatus.Accepted, tooBig.SendTo(engine));
        var result = await engine.ShutdownAsync();

        var batch = Assert.Single(transport.Batches);
        Assert.Equal(Limit, batch.Body.Length);
        Assert.Equal(1, result.Counters.RejectedOversize);
        Assert.Equal(1, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.InFlight);
        Assert.Contains(diagnostics, d => d.Kind == Sluice.Diagnostics.DiagnosticKind.EventOversize && d.Message.Contains("2,097,153", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exactly_1000_events_make_one_batch()
    {
        var batches = await Run(Enumerable.Range(0, 1000).Select(i => new TestEvent(i, false, "p")).ToArray());
        Assert.Equal(1000, Assert.Single(batches).EventCount);
    }

    [Fact]
    public async Task The_1001st_event_opens_a_second_batch()
    {
        var batches = await Run(Enumerable.Range(0, 1001).Select(i => new TestEvent(i, false, "p")).ToArray());
        Assert.Equal([1000, 1], batches.Select(b => b.EventCount));
    }

    [Fact]
    public async Task A_huge_string_is_refused_as_oversize_without_being_serialized()
    {
        var transport = new InMemoryTransport();
        var engine = new SluiceEngine(new SluiceOptions(), transport);
        Assert.Equal(EnqueueStatus.Accepted, new TestEvent(0, false, new string('x', 50_000_000)).SendTo(engine));
        Assert.Equal(EnqueueStatus.Accepted, new TestEvent(1, false, "small").SendTo(engine));
        var result = await engine.ShutdownAsync();

        Assert.Equal(1, result.Counters.RejectedOversize);
        Assert.Equal(1, Assert.Single(transport.Batches).EventCount);
        Assert.True(result.Counters.BytesSealed < 1_000, "The huge event's bytes never reached a batch.");
    }

    private static async Task<List<ReceivedBatch>> Run(params TestEvent[] events)
    {
        var transport = new InMemoryTransport();
        var engine = new SluiceEngine(new SluiceOptions { TimeProvider = new ManualTimeProvider() }, transport);
        foreach (var e in events)
            Assert.Equal(EnqueueStatus.Accepted, e.SendTo(engine));
        var result = await engine.ShutdownAsync();
        BatchRules.Check(events, transport.Batches, result.Counters, 1000, Limit, closedOnlyForSize: true);
        return transport.Batches.OrderBy(b => b.Sequence).ToList();
    }
}
