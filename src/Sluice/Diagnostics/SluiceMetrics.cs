using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Sluice.Serialization;

namespace Sluice.Diagnostics;

/// <summary>
/// The engine's instruments on meter <c>Sluice</c> (versioned with the assembly's informational version, from
/// <see cref="SluiceOptions.MeterFactory"/> when set), named and united in the OpenTelemetry semantic-convention
/// style: one instrument per concept, the reason or outcome as an attribute, every measurement tagged
/// <c>sluice.engine.name</c>. Counts and gauges are observable (read from the engine's counters when a listener
/// collects: the call path pays nothing); requests and batches are recorded as they happen, once per request or
/// batch, never per event. docs/metrics.md lists them.
/// After shutdown the counts report their final values for as long as the meter lives (a factory's outlives the
/// engine: an exporter's last collection, at the host's end, still sees what the shutdown settled), unless a newer
/// engine publishes on the same meter (a factory hands the same one to an engine of the same name), which then
/// reports alone; the gauges report nothing.
/// </summary>
internal sealed class SluiceMetrics : IDisposable
{
    public const string MeterName = "Sluice";

    public const string EngineTag = "sluice.engine.name";

    public const string EndpointTag = "sluice.endpoint";

    public static readonly string Version =
        typeof(SluiceMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    // Terminal outcomes of events (sluice.event.outcome), in SluiceCounters' order.
    private static readonly string[] Outcomes = ["delivered", "rejected", "oversize", "failed", "expired", "outcome_unknown", "lost", "evicted", "spooled"];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _engine;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<long> _batchBytes;
    private readonly Histogram<long> _batchEvents;

    // The engine that last published on each meter: of engines that shut down, only that one still reports.
    private static readonly ConditionalWeakTable<Meter, SluiceMetrics> Newest = [];

    // What the observable callbacks read while the engine runs (Observe); let go at shutdown (Freeze), so that the
    // instruments, which live as long as a factory's meter, do not keep the engine and its buffers alive.
    private volatile Observed? _live;

    // Set once at shutdown (Freeze), before _live is let go: the counts' final values.
    private volatile StrongBox<SluiceCounters>? _final;

    public SluiceMetrics(SluiceOptions options)
    {
        _engine = new KeyValuePair<string, object?>(EngineTag, options.Name);
        var meterOptions = new MeterOptions(MeterName) { Version = Version, Tags = [_engine] };
        _ownsMeter = options.MeterFactory is null;
        _meter = options.MeterFactory?.Create(meterOptions) ?? new Meter(meterOptions);
        Newest.AddOrUpdate(_meter, this);

        _requests = _meter.CreateCounter<long>("sluice.requests", "{request}",
            "Send attempts, by sluice.request.outcome, sluice.endpoint, http.response.status_code and error.type.");
        _requestDuration = _meter.CreateHistogram("sluice.request.duration", "s", "How long a send attempt took, with the attributes of sluice.requests.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60] });
        _batchBytes = _meter.CreateHistogram("sluice.batch.size", "By", "Body bytes of a batch handed to the senders (sealed, or replayed from the spool), envelope included, uncompressed.", tags: null,
            new InstrumentAdvice<long> { HistogramBucketBoundaries = [1_024, 4_096, 16_384, 65_536, 262_144, 524_288, 1_048_576, 1_572_864, 2_097_152, 8_388_608, 134_217_728] });
        _batchEvents = _meter.CreateHistogram("sluice.batch.events", "{event}", "Events in a batch handed to the senders (sealed, or replayed from the spool).", tags: null,
            new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 50, 100, 250, 500, 750, 1_000, 5_000, 100_000] });
    }

    /// <summary>Creates the observable instruments, reading the engine through the given functions (called on collection only).</summary>
    public void Observe(Func<SluiceCounters> counters, Func<long> queueDepth, int queueCapacity, WireFormat format, Func<int, bool> paused, Func<long> waitingInSpool,
        Func<bool> spoolSuspended)
    {
        _live = new Observed(counters, queueDepth, queueCapacity, format, paused, waitingInSpool, spoolSuspended);
        _meter.CreateObservableCounter("sluice.events.accepted", () => Count(static c => c.Accepted), "{event}", "Events accepted by Track/Page calls.");
        _meter.CreateObservableCounter("sluice.events.settled", () => Settled(), "{event}",
            "Accepted events in a terminal state, by sluice.event.outcome: delivered, rejected (by the server, each alone), oversize, failed, expired, outcome_unknown, lost, evicted, spooled.");
        _meter.CreateObservableCounter("sluice.events.replayed", () => Count(static c => c.Replayed), "{event}", "Events read back from the disk spool at start and sent again.");
        _meter.CreateObservableCounter("sluice.events.resent", () => Count(static c => c.Resent), "{event}",
            "Events of batches left in the disk spool when their retries ran out, read back and sent again once their endpoint delivered.");
        _meter.CreateObservableUpDownCounter("sluice.events.pending", () => Count(static c => c.InFlight), "{event}", "Accepted events not yet in a terminal state.");
        _meter.CreateObservableCounter("sluice.calls.refused", () => Refused(), "{call}", "Track/Page calls refused, by sluice.refusal.reason: queue_full, shutting_down.");
        _meter.CreateObservableCounter("sluice.batches.sealed", () => Count(static c => c.BatchesSealed), "{batch}", "Batches sealed.");
        _meter.CreateObservableUpDownCounter("sluice.queue.depth", () => Gauge(static o => o.QueueDepth()), "{event}", "Events in the queue, not yet read by the serializer.");
        _meter.CreateObservableUpDownCounter("sluice.queue.capacity", () => Gauge(static o => o.QueueCapacity), "{event}", "Events the queue holds before its full mode applies.");
        _meter.CreateObservableUpDownCounter("sluice.spool.backlog", () => Gauge(static o => o.WaitingInSpool()), "{event}",
            "Events of batches waiting in the disk spool, not in memory, for the senders to make room (an outage).");
        _meter.CreateObservableUpDownCounter("sluice.spool.suspended", () => Gauge(static o => o.SpoolSuspended() ? 1 : 0), "{spool}",
            "1 while the disk spool's writes are suspended after a failed write or sync (a full disk): batches go from memory only; else 0.");
        _meter.CreateObservableUpDownCounter("sluice.endpoints.paused", () => Paused(), "{endpoint}",
            "Endpoints paused after refusing the credentials (1 while paused), by sluice.endpoint.");
    }

    /// <summary>A batch handed to delivery: sealed, or replayed from the spool.</summary>
    public void RecordBatch(long bytes, int events)
    {
        var tags = new TagList { _engine };
        _batchBytes.Record(bytes, tags);
        _batchEvents.Record(events, tags);
    }

    /// <summary>One send attempt: <paramref name="outcome"/> is a <c>sluice.request.outcome</c> value, <paramref name="errorType"/> null for a success.</summary>
    public void RecordRequest(string endpoint, string outcome, int status, string? errorType, TimeSpan duration)
    {
        if (!_requests.Enabled && !_requestDuration.Enabled)
            return;
        var tags = new TagList { _engine, { EndpointTag, endpoint }, { "sluice.request.outcome", outcome } };
        if (status != 0)
            tags.Add("http.response.status_code", status);
        if (errorType is not null)
            tags.Add("error.type", errorType);
        _requests.Add(1, tags);
        _requestDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>At shutdown: the counts report <paramref name="final"/> from now on, the gauges nothing; the engine is let go.</summary>
    public void Freeze(SluiceCounters final)
    {
        _final = new StrongBox<SluiceCounters>(final);
        _live = null;
    }

    /// <summary>Disposes the meter if the engine made it (a factory's lives as long as the factory: see <see cref="Freeze"/>).</summary>
    public void Dispose()
    {
        if (_ownsMeter)
            _meter.Dispose();
    }

    /// <summary>The counts to report: live, or once the engine has shut down its final ones while no newer engine publishes on the meter.</summary>
    private bool TryCounts(out SluiceCounters counters)
    {
        if (_live is { } live)
        {
            counters = live.Counters();
            return true;
        }

        counters = _final?.Value ?? default;
        return Newest.TryGetValue(_meter, out var newest) && ReferenceEquals(newest, this);
    }

    private Measurement<long>[] Count(Func<SluiceCounters, long> value) =>
        TryCounts(out var c) ? [new Measurement<long>(value(c), _engine)] : [];

    private Measurement<long>[] Gauge(Func<Observed, long> value) => _live is { } live ? [new Measurement<long>(value(live), _engine)] : [];

    private Measurement<long>[] Settled()
    {
        if (!TryCounts(out var c))
            return [];
        long[] values = [c.Delivered, c.RejectedByServer, c.RejectedOversize, c.Failed, c.Expired, c.OutcomeUnknown, c.LostAtShutdown, c.Evicted, c.Spooled];
        var measurements = new Measurement<long>[values.Length];
        for (int i = 0; i < values.Length; i++)
            measurements[i] = new Measurement<long>(values[i], _engine, new("sluice.event.outcome", Outcomes[i]));
        return measurements;
    }

    private Measurement<long>[] Refused() => !TryCounts(out var c) ? [] :
    [
        new(c.RefusedQueueFull, _engine, new("sluice.refusal.reason", "queue_full")),
        new(c.RefusedShutdown, _engine, new("sluice.refusal.reason", "shutting_down")),
    ];

    private Measurement<long>[] Paused()
    {
        if (_live is not { } live)
            return [];
        var measurements = new Measurement<long>[live.Format.PartitionCount];
        for (int p = 0; p < measurements.Length; p++)
            measurements[p] = new Measurement<long>(live.Paused(p) ? 1 : 0, _engine, new(EndpointTag, live.Format.EndpointPath(p)));
        return measurements;
    }

    /// <summary>How the observable instruments read a running engine.</summary>
    private sealed record Observed(Func<SluiceCounters> Counters, Func<long> QueueDepth, int QueueCapacity, WireFormat Format, Func<int, bool> Paused, Func<long> WaitingInSpool,
        Func<bool> SpoolSuspended);
}
