using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>The engine lives and dies with the host: what it accepted is delivered when the host stops.</summary>
public class HostShutdownTests
{
    [Fact]
    public async Task A_service_provider_disposed_synchronously_shuts_the_engine_down_and_delivers_its_events()
    {
        // A console app or a test without a host: a using around BuildServiceProvider(). A service that could only be
        // disposed asynchronously would make that Dispose throw, and the queued events would go nowhere.
        await using var collector = await ReferenceCollector.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(TestHost.SendingTo(collector)).Build();
        var services = new ServiceCollection();
        var logs = new FakeLogCollector();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        services.AddSluice(configuration.GetSection("Sluice"));
        using (var provider = services.BuildServiceProvider())
        {
            var engine = provider.GetRequiredService<SluiceEngine>();
            for (int i = 0; i < 5; i++)
                Assert.Equal(EnqueueStatus.Accepted, engine.Track($"user-{i}", "signed_up").Status);
        }

        Assert.Equal(5, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        var done = Assert.Single(logs.GetSnapshot(), r => r.Category == typeof(SluiceEngine).FullName && r.Id.Id == 100);
        Assert.Equal("Sluice engine default shut down: all 5 events delivered (5 accepted, 0 replayed from the spool).", done.Message);
    }

    [Fact]
    public async Task A_host_disposed_without_being_stopped_delivers_the_engines_events_and_logs_the_result()
    {
        // A host disposed after a failed step, or by a using around a host never stopped: Dispose does not stop the
        // hosted services, so only the container's disposal shut the engine down, and its result went unlogged.
        await using var collector = await ReferenceCollector.StartAsync();
        var host = await TestHost.StartSendingToAsync(collector, ("Sluice:FlushInterval", "01:00:00"));
        var engine = host.Engine();
        var logs = host.Logs();
        for (int i = 0; i < 5; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track($"user-{i}", "signed_up").Status);

        await ((IAsyncDisposable)host).DisposeAsync();

        Assert.Equal(5, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        var done = Assert.Single(logs.GetSnapshot(), r => r.Category == typeof(SluiceEngine).FullName && r.Id.Id == 100);
        Assert.Equal("Sluice engine default shut down: all 5 events delivered (5 accepted, 0 replayed from the spool).", done.Message);
    }

    [Fact]
    public async Task Stopping_the_host_delivers_the_events_still_queued_and_logs_the_result()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:MaxBatchEvents", "1000"), ("Sluice:FlushInterval", "01:00:00")); // nothing leaves before the host stops
        var engine = host.Engine();

        for (int i = 0; i < 300; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track($"user-{i % 7}", "feature_used", new Dictionary<string, object?> { ["seq"] = i }).Status);
        for (int i = 0; i < 20; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Page(null, $"session-{i}", new Dictionary<string, object?> { ["page_name"] = "Home" }).Status);
        Assert.Equal(0, collector.Received(CollectorApi.ThriveStackTrack).RequestCount);

        await host.StopAsync();

        Assert.Equal(300, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(20, collector.Received(CollectorApi.ThriveStackPage).EventCount);
        Assert.Equal(EnqueueStatus.ShuttingDown, engine.Track("late", "after_stop").Status);
        var done = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100);
        Assert.Equal(LogLevel.Information, done.Level);
        Assert.Equal("ShutdownCompleted", done.Id.Name);
        Assert.Equal("Sluice engine default shut down: all 320 events delivered (320 accepted, 0 replayed from the spool).", done.Message);

        var logs = host.Logs();
        host.Dispose();
        Assert.Single(logs.GetSnapshot(), r => r.Category == typeof(SluiceEngine).FullName && r.Id.Id == 100); // once, not again at disposal
    }

    [Fact]
    public async Task Calls_refused_while_the_host_ran_are_counted_in_a_warning_at_shutdown()
    {
        // A call refused with the queue full is no diagnostic (Track returns QueueFull and counts it), so nothing in a hosted
        // application's logs told of it: the shutdown logged "all 16 events delivered" at Information, the dropped ones unsaid.
        await using var collector = await ReferenceCollector.StartAsync();
        using var gate = new ManualResetEventSlim(false);
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services.Configure<SluiceServiceOptions>(o => o.Engine.WireFormat = new HealthCheckTests.GatedFormat(gate)),
            ("Sluice:QueueCapacity", "16"), ("Sluice:FullMode", "DropNewest"));
        var engine = host.Engine();

        // The serializer waits inside the first event; the queue fills and the rest are refused.
        int refused = 0;
        for (int i = 0; i < 64; i++)
            refused += engine.Track($"u{i}", "signed_up").Status == EnqueueStatus.QueueFull ? 1 : 0;
        Assert.InRange(refused, 1, 63);
        gate.Set();
        await host.StopAsync();

        var counters = engine.GetCounters();
        Assert.Equal((refused, counters.Accepted), (counters.RefusedQueueFull, counters.Delivered));
        Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100); // what was accepted was delivered
        var record = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 104);
        Assert.Equal((LogLevel.Warning, "CallsRefused"), (record.Level, record.Id.Name));
        Assert.Equal($"Sluice engine default refused {refused} Track/Page calls while it ran: {refused} with its queue full, 0 as it shut down. "
            + "Their events were never accepted, so the shutdown's counts leave them out (sluice.calls.refused counts them by reason).", record.Message);
    }

    [Fact]
    public async Task A_shutdown_that_cannot_deliver_logs_what_was_lost_as_a_warning()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(5, TimeSpan.FromSeconds(10)); // a request sent at shutdown gets no answer in time
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:FlushInterval", "01:00:00"), ("Sluice:ShutdownTimeout", "00:00:00"));
        var engine = host.Engine();
        for (int i = 0; i < 10; i++)
            engine.Track("u", "e");

        await host.StopAsync();

        var record = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 101);
        Assert.Equal(LogLevel.Warning, record.Level);
        var result = engine.GetCounters();
        Assert.Equal(0, result.Delivered);
        Assert.Equal(10, result.LostAtShutdown + result.OutcomeUnknown);
        Assert.Contains($"{result.LostAtShutdown} lost at shutdown", record.Message, StringComparison.Ordinal);
        Assert.EndsWith("deadline passed: True.", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_spool_what_the_server_did_not_take_by_the_deadline_is_logged_as_kept_and_the_next_host_delivers_it()
    {
        var spool = Directory.CreateTempSubdirectory("sluice-host-spool");
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            collector.Faults.FailNext(1_000, 503); // down for the whole of the first host's shutdown
            (string, string)[] settings = [("Sluice:FlushInterval", "01:00:00"), ("Sluice:ShutdownTimeout", "00:00:01"), ("Sluice:Spool:DirectoryPath", spool.FullName)];
            using (var first = await TestHost.StartSendingToAsync(collector, settings))
            {
                for (int i = 0; i < 10; i++)
                    Assert.Equal(EnqueueStatus.Accepted, first.Engine().Track("u", "e").Status);
                await first.StopAsync();

                var record = Assert.Single(first.SluiceLogs(), r => r.Id.Id == 101);
                Assert.Contains("10 accepted, 0 replayed from the spool, 0 delivered, 10 kept in the spool (sent at the next start), 0 lost at shutdown", record.Message, StringComparison.Ordinal);
            }

            collector.Faults.Reset();
            using var second = await TestHost.StartSendingToAsync(collector, settings);
            // Waited for on the engine, not the collector: the first host's last request, cut short by its deadline (so
            // its events were kept), may still reach the collector after the reset, and the spool is at least once.
            await TestHost.Eventually(() => Task.FromResult(second.Engine().GetCounters() is { Replayed: 10, Delivered: 10 }), "the spooled events are replayed and delivered");
            Assert.InRange(collector.Received(CollectorApi.ThriveStackTrack).EventCount, 10, 20);
            await second.StopAsync();

            var done = Assert.Single(second.SluiceLogs(), r => r.Id.Id == 100);
            Assert.Equal("Sluice engine default shut down: all 10 events delivered (0 accepted, 10 replayed from the spool).", done.Message); // none tracked by this host
        }
        finally
        {
            spool.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_a_spool_batches_that_ran_out_of_retries_in_an_outage_reach_the_server_once_it_is_back_without_a_restart()
    {
        var spool = Directory.CreateTempSubdirectory("sluice-host-resend");
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            collector.Faults.FailNext(2, 503);
            (string, string)[] settings = [("Sluice:FlushInterval", "01:00:00"), ("Sluice:MaxSendAttempts", "1"), ("Sluice:Spool:DirectoryPath", spool.FullName)];
            using var host = await TestHost.StartSendingToAsync(collector, settings);
            var engine = host.Engine();
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(EnqueueStatus.Accepted, engine.Track($"u{i}", "during_outage").Status);
                await engine.FlushAsync(); // a batch each, each answered 503 once: out of retries, kept in the spool
            }

            Assert.Equal((2L, 2L, 0L), (engine.GetCounters().Spooled, engine.GetCounters().LeftInSpool, engine.GetCounters().Delivered));
            var degraded = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["sluice"];
            Assert.Contains("(0 events expired, 2 still kept in the spool)", degraded.Description, StringComparison.Ordinal);
            Assert.Equal(0, collector.Received(CollectorApi.ThriveStackTrack).EventCount);

            // The server is back: the next batch is delivered, and the two kept ones follow it.
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u2", "after_outage").Status);
            await engine.FlushAsync();
            await TestHost.Eventually(() => Task.FromResult(engine.GetCounters() is { Delivered: 3, Resent: 2, LeftInSpool: 0, InFlight: 0 }), "the kept batches are sent again");
            Assert.Equal(3, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
            var data = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["sluice"].Data;
            Assert.Equal((2L, 0L), ((long)data["spooled"], (long)data["leftInSpool"]));

            await host.StopAsync();
            var done = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100);
            Assert.Equal("Sluice engine default shut down: all 3 events delivered (3 accepted, 0 replayed from the spool).", done.Message);
        }
        finally
        {
            spool.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_engine_waits_out_the_shutdown_timeout_set_in_configuration_for_an_answer_that_comes_just_before_it()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var (host, clock, held, stopping) = await StopWithTenEventsHeldAsync(collector);
        using var _ = host;
        clock.Advance(ConfiguredShutdownTimeout - TimeSpan.FromTicks(1));
        held.Release(); // the server answers a tick before the deadline
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));

        var result = await host.Engine().ShutdownAsync();
        Assert.False(result.TimedOut, "the configured deadline had not passed");
        Assert.Equal(10, result.Counters.Delivered);
        Assert.Equal(10, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        var done = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100);
        Assert.Equal("Sluice engine default shut down: all 10 events delivered (10 accepted, 0 replayed from the spool).", done.Message);
    }

    [Fact]
    public async Task The_shutdown_timeout_set_in_configuration_ends_the_drain_when_it_passes()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var (host, clock, _, stopping) = await StopWithTenEventsHeldAsync(collector);
        using var _ = host;
        clock.Advance(ConfiguredShutdownTimeout); // the server never answers
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));

        var result = await host.Engine().ShutdownAsync();
        Assert.True(result.TimedOut, "the configured deadline passed");
        Assert.Equal(0, result.Counters.Delivered);
        Assert.Equal(10, result.OutcomeUnknown); // the request held when the deadline passed: the server may have it
        Assert.Equal(0, result.LostAtShutdown);
        AssertReportedAtDeadline(host, unknown: 10); // the engine's own deadline, not the host's
    }

    [Fact]
    public async Task The_hosts_shutdown_deadline_ends_a_longer_drain_and_the_log_counts_what_it_left()
    {
        // The engine would wait 5 minutes for a server that does not answer; the host's shutdown timeout
        // gives it half a second. The host's deadline ends the drain: the request in flight is cancelled, its
        // events are counted outcome unknown, and the engine's result is logged before the host stops.
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(5, TimeSpan.FromSeconds(30));
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(500)),
            ("Sluice:FlushInterval", "01:00:00"), ("Sluice:ShutdownTimeout", "00:05:00"));
        var engine = host.Engine();
        for (int i = 0; i < 10; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e").Status);

        await host.StopAsync();

        var result = await engine.ShutdownAsync();
        Assert.True(result.TimedOut, "the host's deadline ended the drain");
        Assert.Equal(0, result.Counters.Delivered);
        Assert.Equal(10, result.Counters.OutcomeUnknown + result.Counters.LostAtShutdown);
        Assert.DoesNotContain(host.SluiceLogs(), r => r.Id.Id == 102); // not cut short: the result was logged
        var record = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 101);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains($"{result.Counters.OutcomeUnknown} of unknown outcome", record.Message, StringComparison.Ordinal);
        Assert.EndsWith("deadline passed: True.", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transport_that_ignores_the_hosts_deadline_is_written_off_on_the_engines_clock_and_the_stop_logs_its_result()
    {
        // The host's deadline has passed (its token is cancelled) while a send is held by a transport that ignores
        // cancellation. The engine writes it off a second later on its clock; the host's grace runs on the same clock, so
        // it outlasts the write-off however the clock is driven.
        await using var collector = await ReferenceCollector.StartAsync();
        var clock = new ArmedClock();
        var stuck = new IgnoresCancellation();
        using var host = await TestHost.StartSendingToAsync(collector,
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName)).AddHttpMessageHandler(() => stuck);
            },
            ("Sluice:FlushInterval", "01:00:00"), ("Sluice:RequestTimeout", "00:10:00"));
        var engine = host.Engine();
        for (int i = 0; i < 3; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e").Status);
        _ = engine.FlushAsync(); // sent now: held until released
        await TestHost.Eventually(() => Task.FromResult(stuck.Waiting == 1), "the request held");

        try
        {
            var stopping = host.StopAsync(new CancellationToken(canceled: true));
            var writeOff = TimeSpan.FromSeconds(1); // how long the engine waits for a send once its drain is ended
            await TestHost.Eventually(() => Task.FromResult(clock.Armed.Contains(writeOff) && clock.Armed.Contains(SluiceHostedService.ReportGrace)),
                "the engine's write-off and the host's report grace armed on the engine's clock");
            Assert.False(stopping.IsCompleted, "the send is held and the engine's clock has not moved");

            clock.Advance(writeOff); // the host's grace has a second to go
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            stuck.Release(); // else the container's disposal would wait for the send
        }

        AssertReportedAtDeadline(host, unknown: 3);
    }

    [Fact]
    public async Task An_engine_that_does_not_stop_within_the_grace_on_its_clock_after_the_hosts_deadline_is_logged_as_cut_short_and_its_result_when_it_ends()
    {
        // The serializer is held inside the wire format, which no deadline ends: only the host's grace, on the engine's
        // clock, ends the host's wait. That grace ran on the wall clock, whatever clock the engine was given.
        await using var collector = await ReferenceCollector.StartAsync();
        var clock = new ArmedClock();
        using var gate = new ManualResetEventSlim(false);
        var format = new HealthCheckTests.GatedFormat(gate);
        using var host = await TestHost.StartSendingToAsync(collector,
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.Configure<SluiceServiceOptions>(o => o.Engine.WireFormat = format);
            });
        var engine = host.Engine();
        for (int i = 0; i < 3; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e").Status);
        await TestHost.Eventually(() => Task.FromResult(format.Entered), "the serializer held in the first event");

        List<FakeLogRecord> whenStopped;
        try
        {
            var stopping = host.StopAsync(new CancellationToken(canceled: true));
            await TestHost.Eventually(() => Task.FromResult(clock.Armed.Contains(SluiceHostedService.ReportGrace)), "the report grace armed on the engine's clock");
            Assert.False(stopping.IsCompleted, "the serializer is held and the engine's clock has not moved");

            clock.Advance(SluiceHostedService.ReportGrace);
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
            whenStopped = [.. host.SluiceLogs()];
        }
        finally
        {
            gate.Set();
        }

        var cutShort = Assert.Single(whenStopped, r => r.Id.Id == 102);
        Assert.Equal(LogLevel.Warning, cutShort.Level);
        Assert.Contains($"ended the drain of Sluice engine {SluiceServiceOptions.DefaultName},", cutShort.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(whenStopped, r => r.Id.Id is 100 or 101);
        var result = await engine.ShutdownAsync();
        await TestHost.Eventually(() => Task.FromResult(host.SluiceLogs().Any(r => r.Id.Id is 100 or 101)), "the result logged once the shutdown ended");
        Assert.Equal(3, result.Counters.Delivered + result.Counters.OutcomeUnknown + result.Counters.LostAtShutdown);
    }

    [Fact]
    public async Task Events_a_hosted_service_added_before_the_engine_tracks_while_it_stops_are_delivered()
    {
        // The worker template adds its worker first; the host stops hosted services in reverse order,
        // so the worker stops after anything added later.
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddSingleton<StoppingWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StoppingWorker>());
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        await host.StartAsync();

        await host.StopAsync();

        Assert.Equal(EnqueueStatus.Accepted, host.Services.GetRequiredService<StoppingWorker>().LastStatus);
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(0, host.Engine().GetCounters().RefusedShutdown);
        var done = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100);
        Assert.Equal("Sluice engine default shut down: all 1 events delivered (1 accepted, 0 replayed from the spool).", done.Message);
    }

    [Fact]
    public async Task Events_tracked_by_an_ApplicationStopping_callback_are_delivered_and_those_after_the_engines_stopped_are_counted_as_refused()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddSingleton<StoppedWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StoppedWorker>()); // its StoppedAsync runs after the engine's
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Engine();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        EnqueueStatus? stopping = null, stopped = null;
        lifetime.ApplicationStopping.Register(() => stopping = engine.Track("app", "app_stopping").Status);
        lifetime.ApplicationStopped.Register(() => stopped = engine.Track("app", "app_stopped").Status);

        await host.StopAsync();

        Assert.Equal(EnqueueStatus.Accepted, stopping);
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        var done = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100);
        Assert.Equal("Sluice engine default shut down: all 1 events delivered (1 accepted, 0 replayed from the spool).", done.Message);
        Assert.Equal((EnqueueStatus.ShuttingDown, EnqueueStatus.ShuttingDown), (stopped, host.Services.GetRequiredService<StoppedWorker>().LastStatus));
        Assert.Equal(2, engine.GetCounters().RefusedShutdown);
    }

    [Fact]
    public async Task An_engine_resolved_before_the_host_starts_delivers_what_it_accepts_then()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        var engine = host.Engine();

        Assert.Equal(EnqueueStatus.Accepted, engine.Track("early", "before_start").Status);
        await engine.FlushAsync();
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        await host.StartAsync();
        Assert.Same(engine, host.Engine());
        Assert.Equal(EnqueueStatus.Accepted, engine.Track("early", "after_start").Status);
        await host.StopAsync();

        Assert.Equal(2, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Contains(host.SluiceLogs(), r => r.Id.Id == 100);
    }

    /// <summary>A lifecycle service that reports one event once the host has stopped it.</summary>
    private sealed class StoppedWorker(SluiceEngine engine) : IHostedLifecycleService
    {
        public EnqueueStatus? LastStatus { get; private set; }

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken)
        {
            LastStatus = engine.Track("worker", "worker_stopped").Status;
            return Task.CompletedTask;
        }
    }

    /// <summary>A hosted service that reports one last event as it stops.</summary>
    private sealed class StoppingWorker(SluiceEngine engine) : IHostedService
    {
        public EnqueueStatus? LastStatus { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            LastStatus = engine.Track("worker", "worker_stopped").Status;
            return Task.CompletedTask;
        }
    }

    // Neither the default (10 s) nor the host's own shutdown timeout (30 s): only the setting gives this one.
    private static readonly TimeSpan ConfiguredShutdownTimeout = TimeSpan.FromSeconds(25);

    /// <summary>
    /// A host whose engine runs on a fake clock, shuts down within <see cref="ConfiguredShutdownTimeout"/> from configuration,
    /// and sends through a handler that holds each request; 10 events tracked, then the host told to stop. Returns once the
    /// request is held and the shutdown deadline armed, the clock not yet moved.
    /// </summary>
    private static async Task<(IHost Host, ArmedClock Clock, HeldRequests Held, Task Stopping)> StopWithTenEventsHeldAsync(ReferenceCollector collector)
    {
        var clock = new ArmedClock();
        var held = new HeldRequests();
        var host = await TestHost.StartSendingToAsync(collector,
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName)).AddHttpMessageHandler(() => held);
            },
            ("Sluice:FlushInterval", "01:00:00"), ("Sluice:RequestTimeout", "00:10:00"), ("Sluice:ShutdownTimeout", ConfiguredShutdownTimeout.ToString()));
        var engine = host.Engine();
        for (int i = 0; i < 10; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e").Status);

        var stopping = host.StopAsync();
        // The clock is moved only once the shutdown has armed its deadline (it runs on the pool) and the request is held:
        // time passed before would leave the deadline that far ahead, and the request might not be sent yet.
        await TestHost.Eventually(() => Task.FromResult(held.Waiting == 1 && clock.Armed.Contains(ConfiguredShutdownTimeout)),
            "the request held and the shutdown deadline armed");
        return (host, clock, held, stopping);
    }

    /// <summary>A fake clock that lists how far ahead each timer was armed when created.</summary>
    private sealed class ArmedClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
    {
        private readonly ConcurrentQueue<TimeSpan> _armed = new();

        public IEnumerable<TimeSpan> Armed => _armed;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _armed.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>Holds the answer to every request, sent, until <see cref="Release"/>, or until its sender gives up.</summary>
    private sealed class HeldRequests : DelegatingHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Incremented by the engine's senders, read by the test.
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _release.TrySetResult();

        /// <summary>Sends the request, so the server has it, then holds its answer until released (or the deadline).</summary>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _waiting);
            try
            {
                await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>Holds every request, whatever its cancellation says, until <see cref="Release"/>; then sends it.</summary>
    private sealed class IgnoresCancellation : DelegatingHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Incremented by the engine's senders, read by the test.
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _waiting);
            await _release.Task.ConfigureAwait(false);
            return await base.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The engine's result was logged (101, not cut short: no 102) with <paramref name="unknown"/> events of unknown outcome at its deadline.</summary>
    private static void AssertReportedAtDeadline(IHost host, int unknown)
    {
        Assert.DoesNotContain(host.SluiceLogs(), r => r.Id.Id == 102);
        var record = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 101);
        Assert.Contains($"{unknown} of unknown outcome", record.Message, StringComparison.Ordinal);
        Assert.EndsWith("deadline passed: True.", record.Message, StringComparison.Ordinal);
    }
}
