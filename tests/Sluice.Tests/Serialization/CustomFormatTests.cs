using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>A custom wire format that breaks its contract, seen from the engine: the faulty event is failed, never counted as sent.</summary>
public class CustomFormatTests
{
    [Fact]
    public async Task A_format_that_writes_nothing_for_an_event_fails_that_event_instead_of_counting_it_delivered()
    {
        // Found: a format that skips the events it has no use for (here pages) by writing nothing left a batch of 3 events
        // holding 2, and all 3 were counted delivered; a 400 bisecting it would then have cut the other events apart.
        var diagnostics = new ConcurrentQueue<DiagnosticEvent>();
        var fates = new FateLog();
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            WireFormat = new SkipsPages(),
            OnDiagnostic = diagnostics.Enqueue,
            OnBatchSettled = fates.Callback,
        }, transport);

        var first = engine.Track("user-1", "signed_up");
        var page = engine.Page("user-2", null, name: "Home");
        var last = engine.Track("user-3", "signed_up");
        await engine.FlushAsync();
        var result = await engine.ShutdownAsync();

        var batch = Assert.Single(transport.Batches);
        Assert.Equal(["user-1", "user-3"], BatchJson.Events(batch).Select(e => e.GetProperty("user_id").GetString()));
        Assert.Equal(2, batch.EventCount);
        Assert.Equal((2, 1), (result.Counters.Delivered, result.Counters.Failed));
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal([EventOutcome.Delivered, EventOutcome.Failed, EventOutcome.Delivered], new[] { first, page, last }.Select(r => fates.BySequence()[r.Sequence].Outcome));
        var failed = Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.EventFailed);
        Assert.Equal("An event could not be serialized and was dropped: The wire format SkipsPages wrote nothing for a Page event: " +
            "WriteEvent must write one JSON value per event (refuse the events a format cannot send in its Validate).", failed.Message);
    }

    /// <summary>ThriveStack on one endpoint, writing nothing for a page.</summary>
    private sealed class SkipsPages() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override int PartitionOf(EventKind kind) => ThriveStackFormat.TrackPartition;

        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            if (e.Kind != EventKind.Page)
                base.WriteEvent(writer, e);
        }
    }
}
