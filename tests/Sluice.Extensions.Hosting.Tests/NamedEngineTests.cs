using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Several engines in one host, each with its own name, section, endpoint, client and health check.</summary>
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
        Assert.Null(host.Services.GetService<SluiceEngine>()); // no default engine was added
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

    /// <summary>
    /// A host, not started, with the engines "product" (ThriveStack, section Engines:Product) and "marketing" (Segment,
    /// Engines:Marketing) sending to <paramref name="collector"/>, and <paramref name="setting"/> given to each.
    /// </summary>
    private static IHost ProductAndMarketing(ReferenceCollector collector, (string Key, string Product, string Marketing) setting)
    {
        var settings = TestHost.SendingTo(collector, "ThriveStack", "Engines:Product");
        foreach (var (key, value) in TestHost.SendingTo(collector, "Segment", "Engines:Marketing"))
            settings[key] = value;
        settings[$"Engines:Product:{setting.Key}"] = setting.Product;
        settings[$"Engines:Marketing:{setting.Key}"] = setting.Marketing;
        var builder = TestHost.Builder(settings);
        builder.Services.AddSluice("product", builder.Configuration.GetSection("Engines:Product"));
        builder.Services.AddSluice("marketing", builder.Configuration.GetSection("Engines:Marketing"));
        return builder.Build();
    }
}
