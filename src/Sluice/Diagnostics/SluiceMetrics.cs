using System.Diagnostics.Metrics;

namespace Sluice.Diagnostics;

/// <summary>
/// Publishes the counters through <see cref="System.Diagnostics.Metrics"/> (meter <c>Sluice</c>) as
/// observable instruments: read when a listener collects, so the hot path pays nothing.
/// </summary>
internal sealed class SluiceMetrics : IDisposable
{
    public const string MeterName = "Sluice";

    private readonly Meter _meter;

    public SluiceMetrics(string engineName, Func<SluiceCounters> read)
    {
        _meter = new Meter(MeterName);
        var tag = new KeyValuePair<string, object?>("sluice.engine", engineName);
        Counter("sluice.events.accepted", c => c.Accepted, "Track/Page calls accepted");
        Counter("sluice.events.refused.queue_full", c => c.RefusedQueueFull, "Calls refused: queue full");
        Counter("sluice.events.refused.shutdown", c => c.RefusedShutdown, "Calls refused: shutting down");
        Counter("sluice.events.evicted", c => c.Evicted, "Accepted events evicted by newer ones");
        Counter("sluice.events.delivered", c => c.Delivered, "Events delivered");
        Counter("sluice.events.failed", c => c.Failed, "Events failed permanently");
        Counter("sluice.events.rejected.oversize", c => c.RejectedOversize, "Events larger than a batch");
        Counter("sluice.events.rejected.server", c => c.RejectedByServer, "Events the server rejected");
        Counter("sluice.events.expired", c => c.Expired, "Events out of retries");
        Counter("sluice.events.lost_at_shutdown", c => c.LostAtShutdown, "Events lost at the shutdown deadline");
        Counter("sluice.batches.sealed", c => c.BatchesSealed, "Batches sealed");
        Counter("sluice.batches.delivered", c => c.BatchesDelivered, "Batches delivered");
        Counter("sluice.bytes.sealed", c => c.BytesSealed, "Body bytes sealed", unit: "By");
        Counter("sluice.sends.retried", c => c.Retries, "Send attempts retried");
        _meter.CreateObservableUpDownCounter("sluice.events.in_flight", () => new Measurement<long>(read().InFlight, tag), description: "Accepted events not yet settled");

        void Counter(string name, Func<SluiceCounters, long> pick, string description, string unit = "{event}")
            => _meter.CreateObservableCounter(name, () => new Measurement<long>(pick(read()), tag), unit, description);
    }

    public void Dispose() => _meter.Dispose();
}
