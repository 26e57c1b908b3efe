using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>Oversize events handled wrongly: rejected although they could be sent, or closing a batch they never joined.</summary>
public class OversizeRegressionTests
{
    /// <summary>A proxy in front of the server: bodies over its limit get a 413.</summary>
    private sealed class Proxy(int limit) : IBatchTransport
    {
        private readonly InMemoryTransport _inner = new();

        public IReadOnlyList<ReceivedBatch> Delivered => _inner.Batches;

        public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
            => batch.Length > limit ? new(SendResult.TooLarge($"over {limit} bytes")) : _inner.SendAsync(batch, cancellationToken);
    }

    [Fact]
    public async Task An_event_above_a_limit_lowered_by_a_413_but_within_the_configured_one_is_sent_alone()
    {
        // Found: halving the limit after a 413 went below what the proxy accepts (400), and the
        // serializer then rejected a 300-byte event as oversize although the proxy would take it.
        var proxy = new Proxy(400);
        var diagnostics = new List<DiagnosticEvent>();
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 1024, MaxBatchEvents = 5, TimeProvider = new ManualTimeProvider(), OnDiagnostic = diagnostics.Add }, proxy))
        {
            for (int i = 0; i < 5; i++)
                engine.Track($"user-{i}", "small", new Dictionary<string, object?> { ["s"] = new string('x', 20) });
            await engine.FlushAsync(); // ~630 bytes: refused, split, the limit lowered to about half
            engine.Track("user-big", "medium", new Dictionary<string, object?> { ["s"] = new string('y', 250) });
            counters = (await engine.ShutdownAsync()).Counters;
        }

        var message = Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.LimitLowered).Message;
        int lowered = int.Parse(message[(message.LastIndexOf(" to ", StringComparison.Ordinal) + 4)..].TrimEnd('.'), System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(lowered < 400, message); // below what the proxy accepts
        Assert.Equal(0, counters.RejectedOversize);
        Assert.Equal(6, counters.Delivered);
        var alone = Assert.Single(proxy.Delivered, b => BatchJson.Events(b).Any(e => e.GetProperty("user_id").GetString() == "user-big"));
        Assert.Equal(1, alone.EventCount);
        Assert.InRange(alone.Body.Length, lowered + 1, 400); // above the lowered limit, within the proxy's
    }

    [Fact]
    public async Task A_large_context_does_not_make_a_PrimeData_event_oversize()
    {
        // Found: PrimeData sends no context, but its size counted towards the early oversize check.
        var transport = new InMemoryTransport();
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 1024, WireFormat = new PrimeDataFormat("client"), TimeProvider = new ManualTimeProvider() }, transport))
        {
            engine.Track("u", "e", new Dictionary<string, object?> { ["k"] = 1 }, new Dictionary<string, object?> { ["big"] = new string('c', 5000) });
            counters = (await engine.ShutdownAsync()).Counters;
        }

        Assert.Equal(0, counters.RejectedOversize);
        Assert.Equal(1, counters.Delivered);
        Assert.DoesNotContain("ccc", System.Text.Encoding.UTF8.GetString(Assert.Single(transport.Batches).Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversize_event_does_not_close_the_open_batch_below_its_limit()
    {
        // Found: an event that did not fit sealed the open batch before it was found too large even
        // alone, so MaxBatchBytes=1000 with a, an oversize event, b, c gave [a] and [b,c], not [a,b,c].
        // The oversize event's 400 characters pass the check before writing (3 bytes each: 1,200 bytes written).
        var transport = new InMemoryTransport();
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 1000, TimeProvider = new ManualTimeProvider() }, transport))
        {
            engine.Track("u", "a");
            engine.Track("u", "oversize", new Dictionary<string, object?> { ["pad"] = new string('€', 400) });
            engine.Track("u", "b");
            engine.Track("u", "c");
            counters = (await engine.ShutdownAsync()).Counters;
        }

        var batch = Assert.Single(transport.Batches);
        Assert.Equal(["a", "b", "c"], BatchJson.Events(batch).Select(e => e.GetProperty("event_name").GetString()));
        Assert.Equal(1, counters.RejectedOversize);
        Assert.Equal(1, counters.BatchesSealed);
    }
}
