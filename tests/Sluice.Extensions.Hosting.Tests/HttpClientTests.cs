using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>The engine's <c>IHttpClientFactory</c> client: a primary handler the application gives it is the one it sends with.</summary>
public class HttpClientTests
{
    [Fact]
    public async Task A_primary_handler_configured_on_the_engines_client_before_AddSluice_is_the_one_it_sends_with()
    {
        // mTLS or a proxy needs a primary handler of the application's; configured before AddSluice, it was replaced by the
        // engine's own, and the requests went out without the client certificate or around the proxy.
        await using var collector = await ReferenceCollector.StartAsync();
        var primary = new CountingPrimaryHandler();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName)).ConfigurePrimaryHttpMessageHandler(() => primary);
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));

        await DeliverOneEventAsync(builder, collector);

        Assert.Equal(1, primary.Requests);
    }

    [Fact]
    public async Task A_handler_of_the_engines_client_that_cannot_be_built_fails_the_start_naming_the_engine_and_the_client()
    {
        // A delegating handler whose type was never registered: the start failed with "No service for type ...", which
        // named neither the engine nor its client among the application's others.
        await using var collector = await ReferenceCollector.StartAsync();
        var builder = TestHost.Builder(TestHost.SendingTo(collector, section: "Sluice:Orders"));
        builder.Services.AddSluice("orders", builder.Configuration.GetSection("Sluice:Orders"));
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName("orders")).AddHttpMessageHandler<UnregisteredHandler>();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.StartsWith("The Sluice engine 'orders' cannot create its HTTP client 'Sluice:orders' (IHttpClientFactory): ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(UnregisteredHandler), ex.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_primary_handler_configured_for_every_client_is_the_one_the_engine_sends_with()
    {
        // ConfigureHttpClientDefaults: the application's proxy or certificates for all of its clients; the engine's client
        // went around them.
        await using var collector = await ReferenceCollector.StartAsync();
        var primary = new CountingPrimaryHandler();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        builder.Services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => primary));

        await DeliverOneEventAsync(builder, collector);

        Assert.Equal(1, primary.Requests);
    }

    [Fact]
    public async Task UseSocketsHttpHandler_adjusts_the_engines_own_handler_which_follows_no_redirects()
    {
        // Configured for every client before AddSluice, as the docs say: it adjusts the engine's handler, not a new one.
        await using var collector = await ReferenceCollector.StartAsync();
        var seen = new PrimaryHandlerProbe();
        var builder = TestHost.Builder(TestHost.SendingTo(collector));
        builder.Services.ConfigureHttpClientDefaults(b => b.UseSocketsHttpHandler((handler, _) => handler.MaxConnectionsPerServer = 7));
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName))
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Add(seen));

        await DeliverOneEventAsync(builder, collector);

        var primary = Assert.IsType<SocketsHttpHandler>(seen.InnerHandler);
        Assert.Equal((false, false, 7), (primary.AllowAutoRedirect, primary.UseCookies, primary.MaxConnectionsPerServer));
    }

    [Fact]
    public async Task A_timeout_configured_on_the_engines_client_before_AddSluice_ends_an_attempt_it_is_shorter_than_RequestTimeout()
    {
        // The engine's infinite client timeout was set after the application's and replaced it: an attempt waited the whole
        // RequestTimeout for a server the application meant to give 300 ms.
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(1, TimeSpan.FromSeconds(20));
        var settings = TestHost.SendingTo(collector);
        settings["Sluice:RequestTimeout"] = "00:00:30";
        settings["Sluice:RetryBaseDelay"] = "00:00:00.010";
        settings["Sluice:RetryMaxDelay"] = "00:00:00.010";
        var builder = TestHost.Builder(settings);
        builder.Services.AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName)).ConfigureHttpClient(c => c.Timeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Engine();

        Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "signed_up").Status);
        await TestHost.Eventually(() => Task.FromResult(engine.GetCounters().Delivered == 1), "the event is delivered at the second attempt", timeoutMs: 10_000);

        Assert.Contains(host.SluiceLogs(), r => r.Id.Name == "SendFailed" && r.Message.Contains("timed out after 0.3 s", StringComparison.Ordinal));
        Assert.Equal(1, engine.GetCounters().Retries);
        await host.StopAsync();
    }

    private static async Task DeliverOneEventAsync(HostApplicationBuilder builder, ReferenceCollector collector)
    {
        using var host = builder.Build();
        await host.StartAsync();
        Assert.Equal(EnqueueStatus.Accepted, host.Engine().Track("u", "signed_up").Status);
        await host.StopAsync();
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
    }

    /// <summary>A primary handler of the application's: sends over its own sockets handler and counts the requests.</summary>
    private sealed class CountingPrimaryHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The last delegating handler of the chain: its inner handler is the client's primary handler.</summary>
    private sealed class PrimaryHandlerProbe : DelegatingHandler;

    private sealed class UnregisteredHandler : DelegatingHandler;
}
