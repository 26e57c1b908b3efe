using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Sluice.Diagnostics;
using Sluice.Tests.Delivery.EndToEnd;
using Sluice.Tests.Support;

namespace Sluice.Tests.Diagnostics;

/// <summary>The instruments against the reference collector on 127.0.0.1: what they say is what the server saw and what the counters say.</summary>
public sealed class MetricsEndToEndTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task Requests_batches_and_settled_events_match_the_collector_and_the_counters_through_retries_bisection_and_413_splits()
    {
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.Name = "e2e";
            o.MeterFactory = _meters;
            o.MaxBatchEvents = 50;
            o.MaxBatchBytes = 64 * 1024;
        });
        using var settled = Collector("sluice.events.settled");
        using var pending = Collector("sluice.events.pending");
        using var sealedBatches = Collector("sluice.batches.sealed");
        using var requests = Collector("sluice.requests");
        using var duration = new MetricCollector<double>(_meters, SluiceMetrics.MeterName, "sluice.request.duration");
        using var size = Collector("sluice.batch.size");
        using var events = Collector("sluice.batch.events");
        run.Collector.Faults.RejectEventsContaining("POISON");
        run.Collector.Faults.SetProxyBodyLimit(4096);
        run.Collector.Faults.FailNext(3, 503);
        run.Produce(400, largeEvery: 97, largeBytes: 70_000, poison: s => s % 61 == 7); // 4 oversize events, 7 rejected
        await run.Engine.FlushAsync();
        var c = run.Engine.GetCounters();
        foreach (var collector in new[] { settled, pending, sealedBatches })
            collector.RecordObservableInstruments();

        var outcomes = settled.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["sluice.event.outcome"]!, m => m.Value);
        Assert.Equal(c.Delivered, outcomes["delivered"]);
        Assert.Equal((4, 7, 389), (outcomes["oversize"], outcomes["rejected"], outcomes["delivered"]));
        Assert.Equal(0, pending.LastMeasurement!.Value);
        Assert.Equal(c.BatchesSealed, sealedBatches.LastMeasurement!.Value);

        // One request measurement per request the server saw (parts of bisections and 413 splits included), with its status.
        var sent = requests.GetMeasurementSnapshot();
        var seen = run.Wire.Apis.SelectMany(api => run.Collector.Received(api).Requests).Select(r => r.Status).Order();
        Assert.Equal(seen, sent.Select(m => (int)m.Tags["http.response.status_code"]!).Order());
        Assert.Equal(3, sent.Count(m => (string?)m.Tags["sluice.request.outcome"] == "retry" && (string?)m.Tags["error.type"] == "503"));
        Assert.Contains(sent, m => (string?)m.Tags["sluice.request.outcome"] == "too_large");
        Assert.Contains(sent, m => (string?)m.Tags["sluice.request.outcome"] == "rejected");
        Assert.Equal(sent.Count, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), m => Assert.True(m.Value > 0));

        // Batches as sealed, once each, not their parts.
        Assert.Equal(c.BatchesSealed, events.GetMeasurementSnapshot().Count);
        Assert.Equal(c.EventsSealed, events.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(c.BytesSealed, size.GetMeasurementSnapshot().Sum(m => m.Value));
        Conservation.AssertBalanced((await run.Engine.ShutdownAsync()).Counters);
    }

    private MetricCollector<long> Collector(string instrument) => new(_meters, SluiceMetrics.MeterName, instrument);
}
