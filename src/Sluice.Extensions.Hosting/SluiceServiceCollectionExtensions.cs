using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Sluice;
using Sluice.Delivery.Transports.Http;
using Sluice.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds Sluice engines to a container: <c>services.AddSluice(builder.Configuration.GetSection("Sluice"))</c>. Each engine
/// is validated when the host starts, shut down (its accepted events delivered) when the host stops, logs to
/// <c>ILogger&lt;SluiceEngine&gt;</c>, sends with a named <see cref="System.Net.Http.IHttpClientFactory"/> client
/// (<see cref="SluiceServiceOptions.HttpClientName"/>), takes its meter from <c>IMeterFactory</c> and has a health check
/// (<c>sluice</c>, or <c>sluice:name</c>, tagged <c>sluice</c>). The default engine resolves as <see cref="SluiceEngine"/>,
/// a named one as a keyed service: <c>[FromKeyedServices("orders")] SluiceEngine orders</c>.
/// </summary>
public static class SluiceServiceCollectionExtensions
{
    /// <summary>Adds the default engine, configured from <paramref name="configuration"/> (a section such as <c>Sluice</c>; see docs/hosting.md).</summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, SluiceServiceOptions.DefaultName, configuration, configure: null);
    }

    /// <summary>Adds the default engine, configured in code.</summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, Action<SluiceServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(services, SluiceServiceOptions.DefaultName, configuration: null, configure);
    }

    /// <summary>Adds the engine <paramref name="name"/> (a keyed <see cref="SluiceEngine"/>), configured from <paramref name="configuration"/>.</summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, name, configuration, configure: null);
    }

    /// <summary>
    /// Adds the engine <paramref name="name"/> (a keyed <see cref="SluiceEngine"/>), configured from <paramref name="configuration"/>
    /// if given, then by <paramref name="configure"/> if given (for what configuration cannot hold, such as an
    /// <see cref="SluiceOptions.OnDiagnostic"/> callback).
    /// </summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, string name, IConfiguration? configuration, Action<SluiceServiceOptions>? configure)
        => Add(services, name, configuration, configure);

    /// <summary>Adds the engine <paramref name="name"/> (a keyed <see cref="SluiceEngine"/>), configured in code.</summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, string name, Action<SluiceServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(services, name, configuration: null, configure);
    }

    private static IServiceCollection Add(IServiceCollection services, string name, IConfiguration? configuration, Action<SluiceServiceOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Equals(SluiceServiceOptions.DefaultName, StringComparison.OrdinalIgnoreCase))
            name = SluiceServiceOptions.DefaultName; // "Default" is the default engine, as "default" is
        // Ignoring case, as configuration reads section names and the health checks' names are compared: "Orders" beside
        // "orders" failed the host's start with a duplicate health check. Resolved ignoring case too (EngineNames).
        var registrations = services.Where(d => d.ServiceType == typeof(SluiceRegistration)).Select(d => d.ImplementationInstance).OfType<SluiceRegistration>().ToList();
        if (registrations.Find(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } added)
            throw new InvalidOperationException($"A Sluice engine named '{added.Name}' is already added; give each engine its own name (names that differ only in case are one).");
        if (registrations.Count == 0)
        {
            // Once: a name not added as spelt ("main" for "Main", or one not added at all), and a plain SluiceEngine
            // (the default engine, or an error naming the engines there are when only named ones were added).
            services.AddKeyedSingleton(KeyedService.AnyKey, static (sp, key) => EngineNames.Keyed(sp, key));
            services.AddSingleton(static sp => EngineNames.Default(sp));
            services.TryAddSingleton<BuiltEngines>();
        }

        services.AddSingleton(new SluiceRegistration(name));

        // The default engine's options are the unnamed ones, which services.Configure<SluiceServiceOptions>(o => …) and
        // IOptions<SluiceServiceOptions> mean; its name stays "default" everywhere else.
        string optionsName = SluiceServiceOptions.OptionsName(name);
        var options = services.AddOptions<SluiceServiceOptions>(optionsName).Configure(o => o.Engine.Name = name);
        if (configuration is not null)
            options.Configure(o => SluiceConfiguration.Bind(configuration, o));
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddTransient<IOptionsFactory<SluiceServiceOptions>, SluiceOptionsFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SluiceServiceOptions>, SluiceOptionsValidator>());

        // One long-lived client per engine: its primary handler pools connections and recycles them for DNS changes,
        // so the factory need not rotate it; the transport applies its own request timeout, not the client's. Both are
        // set first, so a primary handler or timeout of the application's (mTLS, a proxy) replaces them whenever it was
        // configured, for this client or for every client (ConfigureHttpClientDefaults): set after, the engine's
        // replaced the application's, and went around its proxy or certificate.
        string clientName = SluiceServiceOptions.HttpClientName(name);
        services.Configure<HttpClientFactoryOptions>(clientName, o =>
        {
            o.HttpMessageHandlerBuilderActions.Insert(0, b =>
                b.PrimaryHandler = HttpTransport.CreateHandler(b.Services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().Get(optionsName).Http.RequestTimeout));
            o.HttpClientActions.Insert(0, client => client.Timeout = Timeout.InfiniteTimeSpan);
        });
        services.AddHttpClient(clientName)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The factory's request logging hands every header, credentials included, to structured loggers (its
            // message redacts them, its state does not); the engine's own diagnostics report what a send did.
            .RemoveAllLoggers();

        services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredService<BuiltEngines>().Add(new EngineHost((string)key!, sp)));
        services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<EngineHost>(key).Engine);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SluiceHostedService>());
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            name == SluiceServiceOptions.DefaultName ? "sluice" : "sluice:" + name,
            sp => new SluiceHealthCheck(name, sp.GetRequiredService<BuiltEngines>()),
            failureStatus: null,
            tags: ["sluice"]));
        return services;
    }
}
