using System.Buffers;
using System.Net;
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
/// A Kestrel server on 127.0.0.1 that reads every POST body to the end and answers
/// <c>{"success":true}</c>: the cheapest possible receiver, to measure the sending side alone.
/// </summary>
public sealed class DiscardingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _bytes;
    private long _requests;

    private DiscardingServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<DiscardingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new DiscardingServer(app);
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
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            total += read;
        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Add(ref _bytes, total);
        Interlocked.Increment(ref _requests);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"success":true}""");
    }
}
