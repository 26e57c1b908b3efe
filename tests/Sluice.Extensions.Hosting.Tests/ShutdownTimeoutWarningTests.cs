using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>
/// An engine's ShutdownTimeout that the host's own shutdown timeout would cut short is warned of as the host starts: found
/// at the stop instead, the events it left were already lost.
/// </summary>
public class ShutdownTimeoutWarningTests
{
    [Theory]
    [InlineData("00:00:30", null, "00:00:30")]          // the host's default, 30 s
    [InlineData("00:00:29.500", null, "00:00:30")]      // the deadline, then the second a send that ignores cancellation is given
    [InlineData("00:00:10", "00:00:05", "00:00:05")]    // the engine's default, a host of 5 s
    public async Task An_engine_that_may_take_the_hosts_whole_shutdown_timeout_is_warned_of_at_start_by_name(string engineTimeout, string? hostTimeout, string hostShown)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await StartAsync(collector, engineTimeout, hostTimeout);

        var warning = Assert.Single(host.SluiceLogs(), r => r.Id.Id == 105);
        Assert.Equal((LogLevel.Warning, "ShutdownTimeoutNotBelowHosts"), (warning.Level, warning.Id.Name));
        Assert.Equal($"Sluice engine default may take up to its ShutdownTimeout ({TimeSpan.Parse(engineTimeout, null)}) and 00:00:01 more to shut down, "
            + $"but the host's shutdown timeout (HostOptions.ShutdownTimeout, {hostShown}) is no longer, and it also covers the stop of every other hosted service: "
            + "the host would end the engine's drain before the engine's own deadline, and the events not yet sent would be lost (or kept in the spool). "
            + "Give the engine a ShutdownTimeout well below the host's, or raise HostOptions.ShutdownTimeout.", warning.Message);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("00:00:10", null)]                  // both defaults
    [InlineData("00:00:28.900", null)]              // the deadline and the second after it end before the host's
    [InlineData("01:00:00", "-00:00:00.001")]       // a host that waits for its services however long they take
    public async Task An_engine_that_shuts_down_within_the_hosts_timeout_is_not_warned_of(string engineTimeout, string? hostTimeout)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await StartAsync(collector, engineTimeout, hostTimeout);

        Assert.DoesNotContain(host.SluiceLogs(), r => r.Id.Id == 105);
        await host.StopAsync();
    }

    /// <summary>The default engine with <paramref name="engineTimeout"/>, and the engine "orders", which shuts down within 2 s: no warning names it.</summary>
    private static Task<IHost> StartAsync(ReferenceCollector collector, string engineTimeout, string? hostTimeout)
        => TestHost.StartSendingToAsync(collector,
            services =>
            {
                if (hostTimeout is not null)
                    services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.Parse(hostTimeout, null));
                services.AddSluice("orders", o => (o.Endpoint, o.Credentials.Token, o.Engine.ShutdownTimeout) = (collector.BaseAddress, collector.Credentials.TrackToken, TimeSpan.FromSeconds(2)));
            },
            ("Sluice:ShutdownTimeout", engineTimeout));
}
