using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Several engines in one host, each with its own name (one in any case), section, endpoint, client and health check.</summary>
public class NamedEngineTests
{
    [Fact]
    public async Task Two_named_engines_send_to_their_own_apis_with_their_own_settings()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = ProductAndMarketing(collector, ("MaxBatchEvents", "10", "25"));
        await host.StartAsync();

        var product = host.Services.GetRequiredKeyedService<SluiceEngine>("product");
        var marketing = host.Services.GetRequiredKeyedService<SluiceEngine>("marketing");
        Assert.NotSame(product, marketing);
        Assert.Equal(("product", 10), (product.Options.Name, product.Options.MaxBatchEvents));
        Assert.Equal(("marketing", 25), (marketing.Options.Name, marketing.Options.MaxBatchEvents));
        Assert.Same(host.Services.GetRequiredService<IMeterFactory>(), product.Options.MeterFactory);

        for (int i = 0; i < 30; i++)
        {
            product.Track($"u{i}", "feature_used");
            marketing.Track($"u{i}", "campaign_clicked");
            marketing.Track($"u{i}", "campaign_viewed");
        }

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(["sluice:marketing", "sluice:product"], health.Entries.Keys.Order());
        Assert.All(health.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));

        await host.StopAsync();

        Assert.Equal(30, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(60, collector.Received(CollectorApi.Segment).EventCount);
        Assert.Equal(3, collector.Received(CollectorApi.ThriveStackTrack).RequestCount); // 10 a batch
        Assert.Equal(2, host.SluiceLogs().Count(r => r.Id.Id == 100));
    }

    [Fact]
    public async Task Two_engines_given_one_Name_fail_the_start_rather_than_share_their_metrics()
    {
        // Both sections copied from the full example of docs/hosting.md, "Name": "default" included: the container's meter
        // factory gave both engines one meter, with each instrument twice.
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = ProductAndMarketing(collector, ("Name", "default", "default"));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Equal("The Sluice engines 'product' and 'marketing' have one Name, 'default', which tags their metrics (sluice.engine.name): "
            + "give each its own Name, or leave Name out (an engine is then named as it was added).", ex.Message);
    }

    [Fact]
    public async Task An_engine_is_found_by_its_name_in_any_case_as_its_configuration_section_is()
    {
        // Configuration reads "Sluice:Main" as "sluice:main", and AddSluice refuses "main" beside "Main" as one name, but
        // keyed services compare keys with Equals: [FromKeyedServices("main")] found no engine added as "Main".
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector, section: "Sluice:Main"));
        builder.Services.AddSluice("Main", builder.Configuration.GetSection("sluice:main"));
        builder.Services.AddSingleton<MainUser>();
        using var host = builder.Build();
        await host.StartAsync();

        var main = host.Services.GetRequiredKeyedService<SluiceEngine>("Main");
        Assert.Same(main, host.Services.GetRequiredKeyedService<SluiceEngine>("main"));
        Assert.Same(main, host.Services.GetRequiredService<MainUser>().Engine); // [FromKeyedServices("MAIN")]
        Assert.Equal(EnqueueStatus.Accepted, host.Services.GetRequiredKeyedService<SluiceEngine>("main").Track("u", "signed_up").Status);
        await host.StopAsync();

        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Single(host.SluiceLogs(), r => r.Id.Id == 100); // one engine, shut down once
    }

    [Fact]
    public async Task An_engine_added_as_Default_is_the_default_engine()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddSluice("Default", builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Same(host.Services.GetRequiredKeyedService<SluiceEngine>(SluiceServiceOptions.DefaultName), host.Engine());
        Assert.Equal("sluice", Assert.Single((await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries.Keys));
        await host.StopAsync();
    }

    [Fact]
    public async Task An_engine_not_added_is_refused_naming_the_engines_that_are()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = ProductAndMarketing(collector, ("MaxBatchEvents", "10", "25"));

        var ex = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredKeyedService<SluiceEngine>("orders"));

        Assert.Equal("No Sluice engine is named 'orders' (the engines added are 'product' and 'marketing'; names are case-insensitive). "
            + "Take one of them ([FromKeyedServices(\"product\")] SluiceEngine), or add this one: services.AddSluice(\"orders\", configuration.GetSection(…)).", ex.Message);
    }

    [Fact]
    public async Task A_plain_SluiceEngine_without_a_default_engine_is_refused_naming_the_engines_added()
    {
        // Only named engines: a constructor taking a plain SluiceEngine met the container's "Unable to resolve service for
        // type 'Sluice.SluiceEngine'", which named neither the engines there are nor how to take one.
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = ProductAndMarketing(collector, ("MaxBatchEvents", "10", "25"), s => s.AddSingleton<Signups>());
        await host.StartAsync();

        var asked = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<SluiceEngine>());
        var injected = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<Signups>());

        const string Expected = "No default Sluice engine was added, so SluiceEngine cannot be resolved without a name (the engines added are 'product' and 'marketing'). "
            + "Take a named one ([FromKeyedServices(\"product\")] SluiceEngine, or GetRequiredKeyedService<SluiceEngine>(\"product\")), "
            + "or add the default engine: services.AddSluice(configuration.GetSection(\"Sluice\")).";
        Assert.Equal(Expected, asked.Message);
        Assert.Equal(Expected, injected.Message);
        Assert.NotNull(host.Services.GetRequiredKeyedService<SluiceEngine>("product")); // the named engines are as they were
        await host.StopAsync();
    }

    /// <summary>
    /// A host, not started, with the engines "product" (ThriveStack, section Engines:Product) and "marketing" (Segment,
    /// Engines:Marketing) sending to <paramref name="collector"/>, <paramref name="setting"/> given to each, and what <paramref name="services"/> adds.
    /// </summary>
    private static IHost ProductAndMarketing(ReferenceCollector collector, (string Key, string Product, string Marketing) setting, Action<IServiceCollection>? services = null)
    {
        var settings = TestHost.SendingTo(collector, "ThriveStack", "Engines:Product");
        foreach (var (key, value) in TestHost.SendingTo(collector, "Segment", "Engines:Marketing"))
            settings[key] = value;
        settings[$"Engines:Product:{setting.Key}"] = setting.Product;
        settings[$"Engines:Marketing:{setting.Key}"] = setting.Marketing;
        var builder = TestHost.Builder(settings);
        builder.Services.AddSluice("product", builder.Configuration.GetSection("Engines:Product"));
        builder.Services.AddSluice("marketing", builder.Configuration.GetSection("Engines:Marketing"));
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private sealed class MainUser([FromKeyedServices("MAIN")] SluiceEngine engine)
    {
        public SluiceEngine Engine => engine;
    }

    private sealed class Signups(SluiceEngine engine)
    {
        public SluiceEngine Engine => engine;
    }
}
