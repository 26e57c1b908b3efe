using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sluice.Collector;
using System.Text.Json;
using Sluice.Delivery.Transports.Http;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>The health check against a real endpoint: degraded while the engine cannot deliver, healthy when it can again.</summary>
public class HealthCheckTests
{
    [Fact]
    public async Task A_paused_endpoint_turns_the_health_check_degraded_and_healthy_again_once_it_resumes()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:UnauthorizedProbeInterval", "00:00:00.050"), ("Sluice:FlushInterval", "00:00:00.010"));
        collector.Faults.RequireCredential(CollectorApi.ThriveStackTrack, "rotated-token"); // the configured token is refused now: 401
        var engine = host.Engine();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);

        engine.Track("u1", "signed_up"); // held, not lost, while the endpoint is paused (a flush would wait for it)

        await TestHost.Eventually(async () => (await CheckAsync(host)).Status == HealthStatus.Degraded, "the endpoint is paused");
        var degraded = await CheckAsync(host);
        Assert.Contains("sending to /api/track is paused: the endpoint refused the credentials", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(new[] { "/api/track" }, degraded.Data["pausedEndpoints"]);
        // The pause is in force before its diagnostic reaches the log (the sender that saw the 401 reports it next).
        await TestHost.Eventually(() => Task.FromResult(host.SluiceLogs().Any(r => r.Id.Id == 6)), "the pause is logged");
        var paused = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 6);
        Assert.Equal(LogLevel.Error, paused.Level);
        Assert.Equal("EndpointPaused", paused.Id.Name);

        // The credentials are rotated; the next probe is accepted and sending resumes.
        host.Services.GetRequiredKeyedService<EngineHost>(SluiceServiceOptions.DefaultName).Transport.Authentication = HttpAuthentication.ThriveStack("rotated-token", null);
        await TestHost.Eventually(async () => (await CheckAsync(host)).Status == HealthStatus.Healthy, "the endpoint resumes");
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        await TestHost.Eventually(() => Task.FromResult(host.SluiceLogs().Any(r => r.Id.Id == 7)), "the resume is logged");
        Assert.Contains(host.SluiceLogs(), r => r.Id.Id == 7 && r.Level == LogLevel.Information);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_engine_that_has_been_shut_down_is_not_reported_as_delivering()
    {
        // The host stops its hosted services before the web server, which may answer health probes meanwhile; an engine
        // disposed early refuses every call. The check said "is delivering", Healthy.
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);

        await host.Engine().ShutdownAsync();
        var check = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, check.Status);
        Assert.Contains("it has been shut down: every call is refused", check.Description, StringComparison.Ordinal);
        Assert.Equal(EnqueueStatus.ShuttingDown, host.Engine().Track("u", "e").Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Expiring_batches_turn_the_health_check_degraded_for_five_minutes()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = await OneEventExpiredAsync(collector, time);

        var degraded = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("batches expired (ran out of retries) in the last 5 minutes (1 events in all)", degraded.Description, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(host)).Status);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Batches_that_fail_for_good_turn_the_health_check_degraded_for_five_minutes()
    {
        // A wrong base address (404) fails every batch at once, for good: nothing expires, the queue never fills, and the
        // check said "is delivering", Healthy, while every event failed.
        await using var collector = await ReferenceCollector.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        collector.Faults.FailNext(1, 404);
        using var host = await TestHost.StartSendingToAsync(collector, services => services.AddSingleton<TimeProvider>(time));
        var engine = host.Engine();
        engine.Track("u1", "signed_up");
        await engine.FlushAsync();
        Assert.Equal(1, engine.GetCounters().Failed);

        var degraded = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("events failed for good in the last 5 minutes (1 in all)", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(1L, degraded.Data["failed"]);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_endpoint_failing_every_attempt_turns_the_health_check_degraded_before_anything_expires_and_healthy_once_it_delivers()
    {
        // The collector is down (503 to every request): the batch is retried for up to RetryBudget (2 minutes by default),
        // and without a spool nothing else shows it meanwhile. The check said "is delivering", Healthy, all that time.
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1_000, 503);
        using var host = await TestHost.StartSendingToAsync(collector,
            ("Sluice:FlushInterval", "00:00:00.010"), ("Sluice:RetryBaseDelay", "00:00:00.050"), ("Sluice:RetryMaxDelay", "00:00:00.200"));
        var engine = host.Engine();
        engine.Track("u1", "signed_up");

        await TestHost.Eventually(() => Task.FromResult(host.SluiceLogs().Count(r => r.Id.Id == 3) >= 2), "two attempts failed");
        var degraded = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("sending to /api/track is failing: its last attempt failed and is being retried (see SendFailed)", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(new[] { "/api/track" }, degraded.Data["failingEndpoints"]);
        Assert.Equal(0, engine.GetCounters().Expired);

        collector.Faults.Reset();
        await engine.FlushAsync();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        await host.StopAsync();
    }

    [Fact]
    public async Task Batches_that_expired_more_than_five_minutes_before_the_first_check_leave_it_healthy()
    {
        // /health is asked for when someone looks, not on a schedule: the window counts from the expiry, not from the first check after it.
        await using var collector = await ReferenceCollector.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = await OneEventExpiredAsync(collector, time);

        time.Advance(TimeSpan.FromMinutes(6));
        var report = await CheckAsync(host);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(1L, report.Data["expired"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_queue_near_full_turns_the_health_check_degraded_and_healthy_once_it_drains()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var gate = new ManualResetEventSlim(false);
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services.Configure<SluiceServiceOptions>(o => o.Engine.WireFormat = new GatedFormat(gate)),
            ("Sluice:QueueCapacity", "16"), ("Sluice:FullMode", "DropNewest"));
        var engine = host.Engine();

        // The serializer waits inside the first event; the others fill the queue.
        for (int i = 0; i < 32; i++)
            engine.Track($"u{i}", "signed_up");

        await TestHost.Eventually(async () => (await CheckAsync(host)).Status == HealthStatus.Degraded, "the queue fills");
        Assert.Matches(@"the queue is (8\d|9\d|100)% full \(1[3-6] of 16 events\)", (await CheckAsync(host)).Description);

        gate.Set();
        await engine.FlushAsync();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        await host.StopAsync();
        Assert.Equal(engine.GetCounters().Accepted, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
    }

    [Fact]
    public async Task Batches_waiting_in_the_spool_during_an_outage_turn_the_health_check_degraded_and_healthy_once_delivered()
    {
        // With a spool the queue no longer fills during an outage (it drains to disk), so the backlog itself must show.
        var spool = Directory.CreateTempSubdirectory("sluice-health-spool");
        try
        {
            await BacklogDegradesAsync(spool.FullName);
        }
        finally
        {
            spool.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Batches_the_full_spool_deleted_in_an_outage_keep_the_health_check_degraded_once_the_endpoint_delivers_again()
    {
        // An outage longer than the spool holds: its byte cap deletes the oldest batches. Once the endpoint delivered the
        // rest the check said "is delivering", Healthy, seconds after thousands of events were lost; an expiry keeps it
        // degraded for 5 minutes.
        var spool = Directory.CreateTempSubdirectory("sluice-health-spool");
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            collector.Faults.FailNext(100_000, 503);
            using var host = await TestHost.StartSendingToAsync(collector,
                ("Sluice:Spool:DirectoryPath", spool.FullName), ("Sluice:Spool:SegmentBytes", "4096"), ("Sluice:Spool:MaxBytes", "8192"),
                ("Sluice:FlushInterval", "00:00:00.050"), ("Sluice:MaxBatchEvents", "10"), ("Sluice:MaxBatchBytes", "2048"), ("Sluice:MaxConcurrentSends", "1"),
                ("Sluice:MaxSendAttempts", "1000"), ("Sluice:RetryBaseDelay", "00:00:00.050"), ("Sluice:RetryMaxDelay", "00:00:00.200")); // retrying, never out of attempts
            var engine = host.Engine();
            for (int i = 0; i < 3_000; i++)
                engine.Track($"u{i}", "signed_up");
            await TestHost.Eventually(() => Task.FromResult(engine.GetCounters().SpoolEvicted > 0), "the spool's byte cap deletes batches");

            collector.Faults.Reset();
            await engine.FlushAsync();
            await TestHost.Eventually(() => Task.FromResult(engine.GetCounters().InFlight == 0), "what is left delivered");

            // Under a culture whose digit groups are not commas: the description's numbers are culture-invariant, as every message's.
            HealthReportEntry check;
            using (CurrentCulture.Set("de-DE"))
                check = await CheckAsync(host);

            var evicted = engine.GetCounters().SpoolEvicted;
            Assert.InRange(evicted, 1_000, 3_000); // a number with a digit group
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"Sluice engine default: the spool lost batches not yet delivered in the last 5 minutes: its byte cap deleted them, their files were deleted or truncated, or a sync to the device failed ({evicted:N0} events in all, see SpoolEvicted)."),
                check.Description);
            Assert.Equal(evicted, check.Data["spoolEvicted"]);
            await host.StopAsync();
        }
        finally
        {
            spool.Delete(recursive: true);
        }
    }

    /// <summary>A started host on <paramref name="time"/> whose one event expired: one attempt allowed, and the collector answered it 503.</summary>
    private static async Task<IHost> OneEventExpiredAsync(ReferenceCollector collector, FakeTimeProvider time)
    {
        collector.Faults.FailNext(1, 503);
        var host = await TestHost.StartSendingToAsync(collector, services => services.AddSingleton<TimeProvider>(time), ("Sluice:MaxSendAttempts", "1"));
        var engine = host.Engine();
        engine.Track("u1", "signed_up");
        await engine.FlushAsync();
        Assert.Equal(1, engine.GetCounters().Expired);
        return host;
    }

    [Fact]
    public async Task A_spool_that_cannot_be_written_turns_the_health_check_degraded_though_every_event_is_delivered()
    {
        // The spool's directory removed under it: the next segment cannot be created, as on a full or failed disk.
        await using var collector = await ReferenceCollector.StartAsync();
        string spool = Path.Combine(Path.GetTempPath(), "sluice-health-" + Guid.NewGuid().ToString("N"));
        using var host = await TestHost.StartSendingToAsync(collector,
            ("Sluice:Spool:DirectoryPath", spool), ("Sluice:Spool:SegmentBytes", "4096"), ("Sluice:Spool:MaxBytes", "1048576"),
            ("Sluice:MaxBatchBytes", "4000"), ("Sluice:MaxBatchEvents", "10"), ("Sluice:FlushInterval", "00:00:00.050"));
        var engine = host.Engine();
        Assert.False((bool)(await CheckAsync(host)).Data["spoolSuspended"]);

        Directory.Delete(spool, recursive: true);
        for (int i = 0; i < 200; i++)
            engine.Track($"u{i}", "signed_up", new Dictionary<string, object?> { ["pad"] = new string('x', 300) });
        await engine.FlushAsync();

        var degraded = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("the spool cannot be written (a full disk or an I/O error, see SpoolSuspended)", degraded.Description, StringComparison.Ordinal);
        Assert.True((bool)degraded.Data["spoolSuspended"]);
        Assert.Equal(200, engine.GetCounters().Delivered);
        Assert.Contains(host.SluiceLogs(), r => r.Id.Name == "SpoolSuspended");
        await host.StopAsync();
    }

    private static async Task BacklogDegradesAsync(string spool)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1_000, 503);
        (string, string)[] settings =
        [
            ("Sluice:Spool:DirectoryPath", spool), ("Sluice:FlushInterval", "00:00:00.200"), ("Sluice:MaxBatchEvents", "10"), ("Sluice:MaxConcurrentSends", "1"),
            ("Sluice:MaxSendAttempts", "1000"), ("Sluice:RetryBaseDelay", "00:00:00.050"), ("Sluice:RetryMaxDelay", "00:00:00.200"), // retrying, never out of attempts
        ];
        using var host = await TestHost.StartSendingToAsync(collector, settings);
        var engine = host.Engine();

        for (int i = 0; i < 300; i++)
            engine.Track($"u{i}", "signed_up");

        await TestHost.Eventually(async () => (await CheckAsync(host)).Description!.Contains("wait in the spool", StringComparison.Ordinal), "the backlog waits in the spool");
        var degraded = await CheckAsync(host);
        Assert.Matches(@"\d+ events wait in the spool: the senders took no batch for 0\.2 s \(the endpoint is failing or slow\)", degraded.Description);
        Assert.True((long)degraded.Data["waitingInSpool"] > 0);
        Assert.Contains(host.SluiceLogs(), r => r.Id.Id == 21 && r.Id.Name == "SpoolBacklog" && r.Level == LogLevel.Warning);

        collector.Faults.Reset();
        await engine.FlushAsync();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        Assert.Equal(300, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_health_check_before_the_host_starts_reports_not_started_without_building_the_engine()
    {
        // A check run before the start (a probe, a publisher) built the engine to look at it: its spool was opened (the
        // directory created and locked) and its HTTP client created, outside the host's start and its error handling.
        await using var collector = await ReferenceCollector.StartAsync();
        var root = Directory.CreateTempSubdirectory("sluice-health");
        string spool = Path.Combine(root.FullName, "spool");
        try
        {
            var settings = TestHost.SendingTo(collector);
            settings["Sluice:Spool:DirectoryPath"] = spool;
            var builder = TestHost.Builder(settings);
            builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
            using var host = builder.Build();

            var before = await CheckAsync(host);

            Assert.Equal(HealthStatus.Unhealthy, before.Status);
            Assert.Equal("Sluice engine default has not started: the host starts it.", before.Description);
            Assert.Equal("default", before.Data["engine"]);
            Assert.False(Directory.Exists(spool), "the spool is not opened by a health check");

            await host.StartAsync();
            Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
            Assert.True(Directory.Exists(spool), "the host's start opens the spool");
            await host.StopAsync();
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<HealthReport> CheckAllAsync(IHost host) => await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    private static async Task<HealthReportEntry> CheckAsync(IHost host) => (await CheckAllAsync(host)).Entries["sluice"];

    /// <summary>ThriveStack's format, whose first event waits for a gate: the serializer stops reading, the queue fills.</summary>
    internal sealed class GatedFormat(ManualResetEventSlim gate) : WrappedFormat(ThriveStackFormat.Instance)
    {
        // Set by the serializer, read by the test.
        private int _entered;

        /// <summary>Whether the serializer has reached the gate.</summary>
        public bool Entered => Volatile.Read(ref _entered) != 0;

        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            Volatile.Write(ref _entered, 1);
            Assert.True(gate.Wait(TimeSpan.FromSeconds(30)), "the gate opens");
            base.WriteEvent(writer, e);
        }
    }
}
