using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Tests.Delivery;
using Sluice.Tests.Support;

namespace Sluice.Tests.Diagnostics;

/// <summary>The engine's instruments as an OpenTelemetry user reads them, through <see cref="MetricCollector{T}"/> on the engine's own meter.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task Events_are_counted_by_outcome_and_requests_by_outcome_status_and_error_type()
    {
        await using var h = new PolicyHarness(a => a.Contains("poison") ? SendResult.Rejected("invalid") : SendResult.Delivered, Configure);
        using var settled = Collector<long>("sluice.events.settled");
        using var accepted = Collector<long>("sluice.events.accepted");
        using var pending = Collector<long>("sluice.events.pending");
        using var sealedBatches = Collector<long>("sluice.batches.sealed");
        using var requests = Collector<long>("sluice.requests");
        using var duration = Collector<double>("sluice.request.duration");
        using var batchBytes = Collector<long>("sluice.batch.size");
        using var batchEvents = Collector<long>("sluice.batch.events");
        h.Track(20, mark: i => i is 3 or 4 or 15);
        await h.Engine.FlushAsync();
        foreach (var c in new[] { settled, accepted, pending, sealedBatches })
            c.RecordObservableInstruments();

        Assert.Equal(17, Last(settled, "sluice.event.outcome", "delivered"));
        Assert.Equal(3, Last(settled, "sluice.event.outcome", "rejected"));
        foreach (string outcome in (string[])["oversize", "failed", "expired", "outcome_unknown", "lost", "evicted"])
            Assert.Equal(0, Last(settled, "sluice.event.outcome", outcome));
        Assert.Equal(20, accepted.LastMeasurement!.Value);
        Assert.Equal(0, pending.LastMeasurement!.Value);
        Assert.Equal(2, sealedBatches.LastMeasurement!.Value);
        Assert.All(settled.GetMeasurementSnapshot(), m => Assert.Equal("metrics-test", m.Tags[SluiceMetrics.EngineTag]));

        // One measurement per request, tagged with what happened; refusals carry the status as error.type.
        var sent = requests.GetMeasurementSnapshot();
        Assert.Equal(h.Transport.AttemptCount, sent.Count);
        Assert.Equal(h.Transport.Attempts.Count(a => a.Result.Outcome == SendOutcome.Rejected), sent.Count(m => Tag(m, "sluice.request.outcome") == "rejected"));
        Assert.All(sent.Where(m => Tag(m, "sluice.request.outcome") == "rejected"), m =>
        {
            Assert.Equal("400", Tag(m, "error.type"));
            Assert.Equal(400, m.Tags["http.response.status_code"]);
        });
        Assert.All(sent.Where(m => Tag(m, "sluice.request.outcome") == "delivered"), m =>
        {
            Assert.False(m.Tags.ContainsKey("error.type"));
            Assert.False(m.Tags.ContainsKey("http.response.status_code"));
        });
        Assert.All(sent, m => Assert.Equal("/api/track", Tag(m, SluiceMetrics.EndpointTag)));
        Assert.Equal(sent.Count, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), m => Assert.Equal(0, m.Value)); // the manual clock did not move

        Assert.Equal([10, 10], batchEvents.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal(h.Transport.Attempts.Where(a => a.Batch.EventCount == 10).Select(a => (long)a.Batch.Body.Length), batchBytes.GetMeasurementSnapshot().Select(m => m.Value));
        await h.ShutdownAsync();
    }

    [Fact]
    public async Task Failures_without_an_answer_are_typed_by_category_and_exceptions_by_type()
    {
        int calls = 0;
        await using var h = new PolicyHarness(_ => Interlocked.Increment(ref calls) switch
        {
            1 => SendResult.Retry("timed out") with { Failure = SendFailure.Timeout },
            2 => SendResult.Retry("refused") with { Failure = SendFailure.ConnectionRefused },
            3 => SendResult.Retry("slow down", statusCode: 429),
            _ => SendResult.Delivered,
        }, o =>
        {
            Configure(o);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.JitterRandom = new FixedRandom(0);
        });
        using var requests = Collector<long>("sluice.requests");
        h.Track(10);
        await h.Engine.FlushAsync();

        Assert.Equal(["retry/timeout", "retry/connection_refused", "retry/429", "delivered/"],
            requests.GetMeasurementSnapshot().Select(m => $"{Tag(m, "sluice.request.outcome")}/{Tag(m, "error.type")}"));
        await h.ShutdownAsync();
    }

    [Fact]
    public async Task A_request_the_deadline_cancels_and_a_transport_that_throws_are_typed_too()
    {
        var clock = new ManualTimeProvider();
        var gate = new GateTransport();
        var engine = new SluiceEngine(new SluiceOptions
        {
            Name = "metrics-test", MeterFactory = _meters, TimeProvider = clock, MaxBatchEvents = 10, MaxConcurrentSends = 1, ShutdownTimeout = TimeSpan.FromSeconds(1),
        }, gate);
        using var requests = Collector<long>("sluice.requests");
        for (int i = 0; i < 10; i++)
            engine.Track("u", "e");
        await Eventually.True(() => gate.Waiting == 1, "the request in flight");
        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(1)), "the deadline");
        clock.Advance(TimeSpan.FromSeconds(1));
        await shutdown;
        var cancelled = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal("cancelled", Tag(cancelled, "sluice.request.outcome"));
        Assert.Equal("cancelled", Tag(cancelled, "error.type"));

        using var meters = new TestMeterFactory();
        var thrower = new SluiceEngine(new SluiceOptions { MeterFactory = meters, MaxBatchEvents = 1, MaxSendAttempts = 1 }, new ThrowingTransport());
        using var thrown = new MetricCollector<long>(meters, SluiceMetrics.MeterName, "sluice.requests");
        thrower.Track("u", "e");
        await thrower.ShutdownAsync();
        var attempt = Assert.Single(thrown.GetMeasurementSnapshot());
        Assert.Equal("retry", Tag(attempt, "sluice.request.outcome"));
        Assert.Equal("System.IO.IOException", Tag(attempt, "error.type"));
    }

    [Fact]
    public async Task Queue_capacity_and_depth_and_refusals_are_observable()
    {
        var gate = new GateTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions
        {
            Name = "metrics-test", MeterFactory = _meters, QueueCapacity = 2, MaxBatchEvents = 1, MaxConcurrentSends = 1,
            ShutdownTimeout = TimeSpan.FromSeconds(30),
        }, gate))
        {
            using var capacity = Collector<long>("sluice.queue.capacity");
            using var depth = Collector<long>("sluice.queue.depth");
            using var refused = Collector<long>("sluice.calls.refused");
            int queueFull = 0;
            for (int i = 0; i < 50; i++)
            {
                if (engine.Track($"u-{i}", "e") == EnqueueStatus.QueueFull)
                    queueFull++;
            }

            capacity.RecordObservableInstruments();
            depth.RecordObservableInstruments();
            refused.RecordObservableInstruments();
            Assert.Equal(2, capacity.LastMeasurement!.Value);
            Assert.InRange(depth.LastMeasurement!.Value, 0, 2);
            Assert.True(queueFull > 0);
            Assert.Equal(queueFull, Last(refused, "sluice.refusal.reason", "queue_full"));
            Assert.Equal(0, Last(refused, "sluice.refusal.reason", "shutting_down"));
            gate.Open();
        }
    }

    [Fact]
    public async Task A_paused_endpoint_is_observable()
    {
        await using var h = new PolicyHarness(a => a.Batch.EndpointPath == "/api/track" ? SendResult.Unauthorized("revoked") : SendResult.Delivered, Configure);
        using var paused = Collector<long>("sluice.endpoints.paused");
        h.Track(10);
        await Eventually.True(() => h.Of(DiagnosticKind.EndpointPaused).Any(), "the pause");
        paused.RecordObservableInstruments();
        Assert.Equal(1, Last(paused, SluiceMetrics.EndpointTag, "/api/track"));
        Assert.Equal(0, Last(paused, SluiceMetrics.EndpointTag, "/api/page"));
    }

    [Fact]
    public async Task The_meter_is_versioned_named_after_the_engine_and_comes_from_the_factory()
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { Name = "metrics-test", MeterFactory = _meters, FlushInterval = TimeSpan.FromHours(1) }, transport))
        {
            var meter = Assert.Single(_meters.Meters);
            Assert.Equal("Sluice", meter.Name);
            Assert.Equal(typeof(SluiceEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion, meter.Version);
            Assert.False(string.IsNullOrEmpty(meter.Version));
            Assert.Contains(new KeyValuePair<string, object?>(SluiceMetrics.EngineTag, "metrics-test"), meter.Tags!);
            for (int i = 0; i < 3; i++)
                engine.Track("u", "e");
        }

        // After shutdown the factory's meter outlives the engine: its counts report their final values, the events the
        // shutdown delivered included (an exporter's last collection comes after it); the gauges report nothing.
        Assert.Equal(3, transport.Batches.Sum(b => b.EventCount));
        using var settled = Collector<long>("sluice.events.settled");
        using var pending = Collector<long>("sluice.events.pending");
        using var depth = Collector<long>("sluice.queue.depth");
        foreach (var c in new[] { settled, pending, depth })
            c.RecordObservableInstruments();
        Assert.Equal(3, Last(settled, "sluice.event.outcome", "delivered"));
        Assert.Equal(0, pending.LastMeasurement!.Value);
        Assert.Empty(depth.GetMeasurementSnapshot());
    }

    [Fact]
    public void An_engine_shut_down_is_not_kept_alive_by_the_factorys_meter_it_published_on()
    {
        // A factory's meter lives as long as the container, with every instrument published on it: their callbacks held
        // the engine (its queue's slots, its buffers), so each engine made and shut down on the factory stayed in memory.
        var engine = ShutDownEngine();
        for (int i = 0; i < 3 && engine.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(engine.IsAlive, "the shut-down engine is collected");
        Assert.NotEmpty(_meters.Meters); // the meter (and its instruments) live on
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference ShutDownEngine()
    {
        var engine = new SluiceEngine(new SluiceOptions { Name = "metrics-test", MeterFactory = _meters }, new InMemoryTransport());
        engine.Track("u", "e");
        engine.Dispose();
        return new WeakReference(engine);
    }

    [Fact]
    public async Task An_engine_without_a_factory_publishes_on_its_own_meter_and_disposes_it_at_shutdown()
    {
        var published = new List<Instrument>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SluiceMetrics.MeterName && instrument.Meter.Tags?.Contains(new(SluiceMetrics.EngineTag, "own-meter")) == true)
            {
                lock (published)
                    published.Add(instrument);
                l.EnableMeasurementEvents(instrument);
            }
        };
        var completed = 0;
        listener.MeasurementsCompleted = (_, _) => Interlocked.Increment(ref completed);
        listener.Start();

        var engine = new SluiceEngine(new SluiceOptions { Name = "own-meter" }, new InMemoryTransport());
        await engine.ShutdownAsync();

        string[] expected =
        [
            "sluice.batch.events", "sluice.batch.size", "sluice.batches.sealed", "sluice.calls.refused", "sluice.endpoints.paused", "sluice.events.accepted",
            "sluice.events.pending", "sluice.events.replayed", "sluice.events.resent", "sluice.events.settled", "sluice.queue.capacity", "sluice.queue.depth", "sluice.request.duration", "sluice.requests",
            "sluice.spool.backlog", "sluice.spool.suspended",
        ];
        Assert.Equal(expected, published.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Length, completed); // the meter was disposed
        Assert.All(published, i => Assert.Matches(@"^(\{event\}|\{batch\}|\{request\}|\{call\}|\{endpoint\}|\{spool\}|By|s)$", i.Unit));
    }

    [Fact]
    public async Task Collecting_the_observable_instruments_costs_the_same_after_ten_thousand_events_as_after_ten()
    {
        await using var engine = new SluiceEngine(new SluiceOptions { Name = "metrics-test", MeterFactory = _meters }, new InMemoryTransport(_ => { }));
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == _meters)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        listener.Start();

        for (int i = 0; i < 10; i++)
            engine.Track("u", "e");
        await engine.FlushAsync();
        listener.RecordObservableInstruments(); // warm up
        long few = Allocated(listener);
        for (int i = 0; i < 10_000; i++)
            engine.Track("u", "e");
        await engine.FlushAsync();
        long many = Allocated(listener);

        Assert.Equal(few, many);
        Assert.InRange(few, 1, 4_096); // a few arrays per collection, nothing per event

        static long Allocated(MeterListener listener)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            listener.RecordObservableInstruments();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    private MetricCollector<T> Collector<T>(string instrument)
        where T : struct => new(_meters, SluiceMetrics.MeterName, instrument);

    private void Configure(SluiceOptions options)
    {
        options.Name = "metrics-test";
        options.MeterFactory = _meters;
    }

    private static long Last(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Last(m => Tag(m, tag) == value).Value;

    private static string? Tag<T>(CollectedMeasurement<T> measurement, string tag)
        where T : struct => measurement.Tags.TryGetValue(tag, out var value) ? value?.ToString() : null;
}
