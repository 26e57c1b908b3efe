using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Sluice.Collector;
using Sluice.Delivery.Transports;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>The engine's instruments on the host's <see cref="IMeterFactory"/>, read as an exporter would, across the host's stop.</summary>
public class MetricsTests
{
    [Fact]
    public async Task The_events_delivered_while_the_host_stops_are_counted_when_collected_after_it()
    {
        // An exporter collects one last time as the container is disposed, after the hosted service has shut the engine
        // down: the counts read nothing once the engine had stopped, so what the shutdown delivered was never exported.
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:MaxBatchEvents", "1000"), ("Sluice:FlushInterval", "01:00:00"));
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var settled = new MetricCollector<long>(meters, "Sluice", "sluice.events.settled");
        using var accepted = new MetricCollector<long>(meters, "Sluice", "sluice.events.accepted");
        using var pending = new MetricCollector<long>(meters, "Sluice", "sluice.events.pending");
        using var depth = new MetricCollector<long>(meters, "Sluice", "sluice.queue.depth");
        var engine = host.Engine();
        for (int i = 0; i < 50; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track($"user-{i}", "signed_up").Status);
        settled.RecordObservableInstruments();
        Assert.Equal(0, Delivered(settled));

        await host.StopAsync();
        foreach (var c in new[] { settled, accepted, pending, depth })
            c.RecordObservableInstruments();

        Assert.Equal(50, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(50, Delivered(settled));
        Assert.Equal(50, accepted.LastMeasurement!.Value);
        Assert.Equal(0, pending.LastMeasurement!.Value);
        Assert.Empty(depth.GetMeasurementSnapshot()); // a gauge of an engine that is gone reads nothing

        // A later engine of the same name on the same factory gets the same meter: it reports alone, the stopped one no longer.
        // (A listener of its own: it sees every instrument of that name, the stopped engine's too.)
        await using var next = new SluiceEngine(new SluiceOptions { Name = engine.Options.Name, MeterFactory = meters }, new InMemoryTransport());
        var reported = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "sluice.events.accepted")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => reported.Add(value));
        listener.Start();
        for (int i = 0; i < 5; i++)
            next.Track("u", "e");
        listener.RecordObservableInstruments();
        Assert.Equal([5L], reported);
    }

    private static long Delivered(MetricCollector<long> settled) =>
        settled.GetMeasurementSnapshot().Last(m => (string?)m.Tags["sluice.event.outcome"] == "delivered").Value;
}
