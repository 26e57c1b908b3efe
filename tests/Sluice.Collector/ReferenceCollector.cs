using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Sluice.Collector;

/// <summary>
/// A real HTTP server on 127.0.0.1 implementing the ThriveStack Track/Page, Segment batch and
/// PrimeData APIs as the specs describe, recording what it accepts and injecting faults on demand.
/// Tests host it in-process (<c>await using var c = await ReferenceCollector.StartAsync();</c>);
/// people run it by hand (<c>dotnet run --project tests/Sluice.Collector -- --port 8080</c>).
/// </summary>
public sealed class ReferenceCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<CollectorApi, ApiEndpoint> _endpoints;

    private ReferenceCollector(WebApplication app, CollectorOptions options)
    {
        _app = app;
        Options = options;
        Credentials = new CollectorCredentials(options);
        Faults = new CollectorFaults(Credentials);
        ApiEndpoint[] endpoints =
        [
            new TrackEndpoint(new ApiRecord(CollectorApi.ThriveStackTrack, null), options, Faults, Credentials),
            new PageEndpoint(new ApiRecord(CollectorApi.ThriveStackPage, null), options, Faults, Credentials),
            new SegmentEndpoint(new ApiRecord(CollectorApi.Segment, "messageId"), options, Faults, Credentials),
            new PrimeDataEndpoint(new ApiRecord(CollectorApi.PrimeData, null), options, Faults, Credentials),
        ];
        _endpoints = endpoints.ToDictionary(e => e.Api);
        foreach (var endpoint in endpoints)
            app.MapPost(endpoint.Path, endpoint.HandleAsync);
        AdminEndpoints.Map(app, this);
    }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The settings it was started with (credentials at start, limits).</summary>
    public CollectorOptions Options { get; }

    /// <summary>The credentials it accepts now.</summary>
    public CollectorCredentials Credentials { get; }

    /// <summary>Faults to inject.</summary>
    public CollectorFaults Faults { get; }

    /// <summary>
    /// Starts a collector on 127.0.0.1:<paramref name="port"/> (0: an ephemeral port, see <see cref="BaseAddress"/>).
    /// </summary>
    public static async Task<ReferenceCollector> StartAsync(int port = 0, CollectorOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            // Large enough for any over-limit test body; the API limits are checked by the endpoints.
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        var collector = new ReferenceCollector(app, options ?? new CollectorOptions());
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        collector.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return collector;
    }

    /// <summary>What <paramref name="api"/> received.</summary>
    public ApiRecord Received(CollectorApi api) => _endpoints[api].Record;

    /// <summary>The endpoint path of <paramref name="api"/>, e.g. <c>/v1/batch</c>.</summary>
    public string PathOf(CollectorApi api) => _endpoints[api].Path;

    /// <summary>The full URL of <paramref name="api"/>.</summary>
    public Uri UrlOf(CollectorApi api) => new(BaseAddress, PathOf(api));

    /// <summary>Forgets everything received by every API.</summary>
    public void ClearReceived()
    {
        foreach (var endpoint in _endpoints.Values)
            endpoint.Record.Clear();
    }

    /// <summary>Completes when the server is asked to stop (Ctrl+C in a hand run).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
