using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Tests.Support;

/// <summary>
/// A Kestrel server on 127.0.0.1 that takes Segment-style batches (<c>{"batch":[...]}</c>), records the <c>properties.n</c>
/// of every event it received (a number may arrive more than once), and answers after <c>Delay</c> (a slow server), or
/// with a 503 while <c>Down</c>.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<long> _received = [];

    private RecordingServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How long each request waits before it is answered.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>While set, every request is answered 503 without being recorded.</summary>
    public bool Down { get; set; }

    /// <summary>The n of every event received, in arrival order, duplicates included.</summary>
    public IReadOnlyList<long> Received
    {
        get
        {
            lock (_lock)
                return [.. _received];
        }
    }

    public static async Task<RecordingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new RecordingServer(app);
        app.MapPost("/{**path}", server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (Delay > TimeSpan.Zero)
            await Task.Delay(Delay);
        if (Down)
        {
            context.Response.StatusCode = 503;
            return;
        }

        using var doc = JsonDocument.Parse(body.ToArray());
        var numbers = doc.RootElement.GetProperty("batch").EnumerateArray().Select(e => e.GetProperty("properties").GetProperty("n").GetInt64()).ToList();
        lock (_lock)
            _received.AddRange(numbers);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"success":true}""");
    }
}
