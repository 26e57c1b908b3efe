using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>
/// The Options pattern as .NET applications use it: the unnamed <see cref="SluiceServiceOptions"/> are the default engine's
/// (Configure, PostConfigure, Configure with a dependency, IOptions), a named engine's are its name's, ConfigureAll is every
/// engine's once, and the name <c>default</c> is refused rather than silently reaching nothing.
/// </summary>
public class OptionsPatternTests
{
    [Fact]
    public async Task An_unnamed_Configure_reaches_the_default_engine()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, services => services.Configure<SluiceServiceOptions>(o => o.Engine.MaxBatchEvents = 7));
        var engine = host.Engine();
        for (int i = 0; i < 14; i++)
            engine.Track($"u{i}", "signed_up");

        await host.StopAsync();

        Assert.Equal(7, engine.Options.MaxBatchEvents);
        Assert.Equal(14, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(2, collector.Received(CollectorApi.ThriveStackTrack).RequestCount); // 7 a batch
    }

    [Fact]
    public async Task An_unnamed_PostConfigure_of_endpoint_format_and_credentials_reaches_the_default_engines_transport()
    {
        // appsettings.json says PrimeData at 127.0.0.1:9; a PostConfigure (after AddSluice, as an application adds it) says otherwise.
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder();
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        builder.Services.PostConfigure<SluiceServiceOptions>(o =>
        {
            o.Format = "Segment";
            o.Endpoint = collector.BaseAddress;
            o.Credentials.WriteKey = collector.Credentials.SegmentWriteKey;
        });
        using var host = builder.Build();
        await host.StartAsync();

        host.Engine().Track("u1", "signed_up");
        await host.StopAsync();

        AcceptedOneEvent(collector, CollectorApi.Segment);
    }

    [Fact]
    public async Task A_named_PostConfigure_of_endpoint_and_credentials_reaches_that_engines_transport()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(new Dictionary<string, string?> { ["Orders:Endpoint"] = "http://127.0.0.1:9/", ["Orders:Credentials:Token"] = "stale-token" });
        builder.Services.AddSluice("orders", builder.Configuration.GetSection("Orders"));
        builder.Services.PostConfigure<SluiceServiceOptions>("orders", o =>
        {
            o.Endpoint = collector.BaseAddress;
            o.Credentials.Token = collector.Credentials.TrackToken;
        });
        using var host = builder.Build();
        await host.StartAsync();

        host.Services.GetRequiredKeyedService<SluiceEngine>("orders").Track("u1", "ordered");
        await host.StopAsync();

        AcceptedOneEvent(collector, CollectorApi.ThriveStackTrack);
    }

    [Fact]
    public async Task An_unnamed_Configure_with_a_dependency_reaches_the_default_engine()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services
                .AddSingleton(new SecretStore(collector.Credentials.TrackToken))
                .AddOptions<SluiceServiceOptions>().Configure<SecretStore>((o, secrets) => o.Credentials.Token = secrets.Token),
            ("Sluice:Credentials:Token", "stale-token"));

        host.Engine().Track("u1", "signed_up");
        await host.StopAsync();

        AcceptedOneEvent(collector, CollectorApi.ThriveStackTrack);
    }

    [Fact]
    public async Task ConfigureAll_reaches_every_engine_once_and_unnamed_options_only_the_default_one()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        var settings = TestHost.SendingTo(collector);
        foreach (var (key, value) in TestHost.SendingTo(collector, "Segment", "Orders"))
            settings[key] = value;
        settings["Orders:MaxBatchEvents"] = "25";
        var builder = TestHost.Builder(settings);
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        builder.Services.AddSluice("orders", builder.Configuration.GetSection("Orders"));
        // Add throws for a header already there: applied twice to one engine, the host would not start.
        builder.Services.ConfigureAll<SluiceServiceOptions>(o => o.Http.Headers.Add("X-Env", "prod"));
        builder.Services.Configure<SluiceServiceOptions>(o =>
        {
            o.Http.Headers.Add("X-Region", "eu");
            o.Engine.MaxBatchEvents = 7;
        });
        var (toDefault, toOrders) = (new ConcurrentQueue<HttpRequestMessage>(), new ConcurrentQueue<HttpRequestMessage>());
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName)).AddHttpMessageHandler(() => new Recorder(toDefault));
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName("orders")).AddHttpMessageHandler(() => new Recorder(toOrders));
        using var host = builder.Build();
        await host.StartAsync();
        var (engine, orders) = (host.Engine(), host.Services.GetRequiredKeyedService<SluiceEngine>("orders"));

        engine.Track("u1", "signed_up");
        orders.Track("u1", "ordered");
        await host.StopAsync();

        Assert.Equal((7, 25), (engine.Options.MaxBatchEvents, orders.Options.MaxBatchEvents));
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(1, collector.Received(CollectorApi.Segment).EventCount);
        Assert.All(toDefault, r =>
        {
            Assert.Equal("prod", Assert.Single(r.Headers.GetValues("X-Env")));
            Assert.Equal("eu", Assert.Single(r.Headers.GetValues("X-Region")));
        });
        Assert.All(toOrders, r =>
        {
            Assert.Equal("prod", Assert.Single(r.Headers.GetValues("X-Env")));
            Assert.False(r.Headers.Contains("X-Region"));
        });
        Assert.NotEmpty(toDefault);
        Assert.NotEmpty(toOrders);
    }

    [Fact]
    public async Task IOptions_and_IOptionsMonitor_give_the_default_engines_settings()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, services => services.Configure<SluiceServiceOptions>(o => o.Http.UserAgent = "code/2.0"));

        foreach (var options in new[] { host.Services.GetRequiredService<IOptions<SluiceServiceOptions>>().Value, host.Services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().CurrentValue })
        {
            Assert.Equal(collector.BaseAddress, options.Endpoint);
            Assert.Equal(collector.BaseAddress, options.Http.BaseAddress);
            Assert.Equal(collector.Credentials.TrackToken, options.Credentials.Token);
            Assert.Equal(250, options.Engine.MaxBatchEvents); // appsettings.json
            Assert.Equal("code/2.0", options.Http.UserAgent);
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task A_problem_set_by_an_unnamed_Configure_fails_the_start_naming_the_default_engine()
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartSendingToAsync(collector,
            services => services.Configure<SluiceServiceOptions>(o => o.Engine.MaxBatchEvents = 0)));

        Assert.StartsWith("The Sluice engine 'default' is not configured correctly: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBatchEvents must be between 1 and 100,000 (was 0).", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Action<IServiceCollection>> ConfiguredByTheNameDefault => new()
    {
        { "Configure", s => s.Configure<SluiceServiceOptions>(SluiceServiceOptions.DefaultName, o => o.Engine.MaxBatchEvents = 7) },
        { "PostConfigure", s => s.PostConfigure<SluiceServiceOptions>(SluiceServiceOptions.DefaultName, o => o.Engine.MaxBatchEvents = 7) },
        { "Configure<TDep>", s => s.AddSingleton(new SecretStore("t")).AddOptions<SluiceServiceOptions>(SluiceServiceOptions.DefaultName).Configure<SecretStore>((o, d) => o.Credentials.Token = d.Token) },
    };

    [Theory]
    [MemberData(nameof(ConfiguredByTheNameDefault))]
    public async Task Options_configured_by_the_name_default_fail_the_start_instead_of_reaching_no_engine(string how, Action<IServiceCollection> configure)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartSendingToAsync(collector, configure));

        Assert.True(ex.Message.StartsWith("The Sluice engine 'default' is not configured correctly: ", StringComparison.Ordinal), how + ": " + ex.Message);
        Assert.Contains("the unnamed ones", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_the_options_named_default_is_refused_rather_than_giving_empty_settings()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector);

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().Get(SluiceServiceOptions.DefaultName));

        Assert.Contains("the unnamed ones", ex.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Options_and_the_HTTP_client_reach_an_engine_by_its_name_in_any_case()
    {
        // The Options pattern and the client factory compare names as spelt: PostConfigure("orders") and
        // HttpClientName("ORDERS") reached nothing of the engine added as "Orders", which resolves in any case.
        await using var collector = await ReferenceCollector.StartAsync();
        var seen = new ConcurrentQueue<HttpRequestMessage>();
        using var host = Orders(collector, services =>
        {
            services.PostConfigure<SluiceServiceOptions>("orders", o => o.Engine.MaxBatchEvents = 7);
            services.AddHttpClient(SluiceServiceOptions.HttpClientName("ORDERS")).AddHttpMessageHandler(() => new Recorder(seen));
        });
        await host.StartAsync();
        var orders = host.Services.GetRequiredKeyedService<SluiceEngine>("Orders");

        orders.Track("u1", "ordered");
        await host.StopAsync();

        Assert.Equal(7, orders.Options.MaxBatchEvents);
        AcceptedOneEvent(collector, CollectorApi.Segment);
        Assert.NotEmpty(seen);
    }

    [Fact]
    public async Task Options_validated_by_an_engines_name_in_another_case_are_validated_and_read_by_it_refused()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = Orders(collector, services =>
        {
            services.AddOptions<SluiceServiceOptions>("ORDERS").Validate(o => o.Http.UserAgent is null, "no user agent for orders");
            services.Configure<SluiceServiceOptions>("orders", o => o.Http.UserAgent = "orders/1.0");
        });

        var start = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var read = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().Get("orders"));

        Assert.Contains("no user agent for orders", start.Message, StringComparison.Ordinal);
        Assert.Equal("SluiceServiceOptions named 'orders' are no engine's: the engine is named 'Orders' (IOptionsMonitor<SluiceServiceOptions>.Get(\"Orders\")).", read.Message);
    }

    /// <summary>A host, not started, with the engine "Orders" (Segment, section Orders) sending to <paramref name="collector"/>, and what <paramref name="services"/> adds after it.</summary>
    private static IHost Orders(ReferenceCollector collector, Action<IServiceCollection> services)
    {
        var builder = TestHost.Builder(TestHost.SendingTo(collector, "Segment", "Orders"));
        builder.Services.AddSluice("Orders", builder.Configuration.GetSection("Orders"));
        services(builder.Services);
        return builder.Build();
    }

    /// <summary>The one event tracked arrived, and the server accepted every request (so the engine had the right address and credentials).</summary>
    private static void AcceptedOneEvent(ReferenceCollector collector, CollectorApi api)
    {
        var received = collector.Received(api);
        Assert.Equal(1, received.EventCount);
        Assert.All(received.Requests, r => Assert.Equal(200, r.Status));
    }

    private sealed record SecretStore(string Token);

    private sealed class Recorder(ConcurrentQueue<HttpRequestMessage> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
