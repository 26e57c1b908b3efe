using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Tests.Support;

/// <summary>
/// A Kestrel server on 127.0.0.1 that reads every POST body to the end and answers
/// <c>{"success":true}</c>: the cheapest possible receiver, to measure the sending side alone.
/// </summary>
public sealed class DiscardingServer : IAsyncDisposable
{
    private WebApplication _app = null!;
    private long _bytes;
    private long _requests;

    public Uri BaseAddress { get; private set; } = null!;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<DiscardingServer> StartAsync()
    {
        var server = new DiscardingServer();
        (server._app, server.BaseAddress) = await LoopbackKestrel.StartAsync(server.HandleAsync);
        return server;
    }

    public ValueTask DisposeAsync() => LoopbackKestrel.StopAsync(_app);

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
