using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>
/// A real Generic Host as an application makes one: appsettings.json from the output directory, then
/// <c>overrides</c> on top (configuration keys, as an environment variable or a command line would set them),
/// logging to a fake logger whose records the tests read.
/// </summary>
internal static class TestHost
{
    public static HostApplicationBuilder Builder(IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            DisableDefaults = false,
        });
        builder.Configuration.AddInMemoryCollection(overrides ?? []);
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        return builder;
    }

    /// <summary>The keys that point the default engine at <paramref name="collector"/> with <paramref name="format"/> and the collector's credentials.</summary>
    public static Dictionary<string, string?> SendingTo(ReferenceCollector collector, string format = "ThriveStack", string section = "Sluice") => new()
    {
        [$"{section}:Format"] = format,
        [$"{section}:Endpoint"] = collector.BaseAddress.AbsoluteUri,
        [$"{section}:Credentials:Token"] = collector.Credentials.TrackToken,
        [$"{section}:Credentials:ApiKey"] = collector.Credentials.PageApiKey,
        [$"{section}:Credentials:WriteKey"] = collector.Credentials.SegmentWriteKey,
        [$"{section}:Credentials:ClientId"] = collector.Credentials.PrimeDataClientId,
        [$"{section}:Credentials:ClientAccessToken"] = collector.Credentials.PrimeDataAccessToken,
    };

    /// <summary>
    /// A started host with the default engine (<c>AddSluice</c> on the <c>Sluice</c> section) sending to <paramref name="collector"/>:
    /// <see cref="SendingTo"/>, then <paramref name="settings"/> on top (<c>("Sluice:Format", "Segment")</c> picks another format).
    /// </summary>
    public static Task<IHost> StartSendingToAsync(ReferenceCollector collector, params (string Key, string Value)[] settings)
        => StartSendingToAsync(collector, services: static _ => { }, settings);

    /// <summary>As above, with <paramref name="services"/> adding what a test needs after <c>AddSluice</c> (a clock, a handler, options set in code).</summary>
    public static async Task<IHost> StartSendingToAsync(ReferenceCollector collector, Action<IServiceCollection> services, params (string Key, string Value)[] settings)
    {
        var configuration = SendingTo(collector);
        foreach (var (key, value) in settings)
            configuration[key] = value;
        var builder = Builder(configuration);
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        services(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose(); // the test's using never gets it
            throw;
        }
    }

    /// <summary>Waits for a condition other threads make true, polling without a fixed sleep; fails after a generous bound.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>The default engine.</summary>
    public static SluiceEngine Engine(this IHost host) => host.Services.GetRequiredService<SluiceEngine>();

    public static FakeLogCollector Logs(this IHost host) => host.Services.GetFakeLogCollector();

    /// <summary>What was logged to <c>ILogger&lt;SluiceEngine&gt;</c> (other categories have event ids of their own).</summary>
    public static IReadOnlyList<FakeLogRecord> SluiceLogs(this IHost host)
        => [.. host.Logs().GetSnapshot().Where(r => r.Category == typeof(SluiceEngine).FullName)];
}
