using Microsoft.Extensions.Logging;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>The engine lives and dies with the host: what it accepted is delivered when the host stops.</summary>
public class HostShutdownTests
{
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
        Assert.Equal("Sluice engine default shut down: all 320 accepted events delivered.", done.Message);
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
    }

    [Fact]
    public async Task The_hosts_shutdown_deadline_ends_a_longer_drain_and_the_log_counts_what_it_left()
    {
        // The engine would wait 5 minutes for a server that does not answer; the host gives it half a
        // second. The host's deadline ends the drain: the request in flight is cancelled, its events
        // are counted outcome unknown, and the engine's result is logged before the host stops.
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(5, TimeSpan.FromSeconds(30));
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:FlushInterval", "01:00:00"), ("Sluice:ShutdownTimeout", "00:05:00"));
        var engine = host.Engine();
        for (int i = 0; i < 10; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e").Status);

        using var hostDeadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await host.StopAsync(hostDeadline.Token);

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
}
