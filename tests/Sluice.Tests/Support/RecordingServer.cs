using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Tests.Support;

/// <summary>
/// A Kestrel server on 127.0.0.1 that takes Segment-style batches (<c>{"batch":[...]}</c>), records the <c>properties.n</c>
/// of every event it received (a number may arrive more than once), and answers after <c>Delay</c> (a slow server), or
/// with a 503 while <c>Down</c>.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly Lock _lock = new();
    private readonly List<long> _received = [];

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
        var server = new RecordingServer();
        (server._app, server.BaseAddress) = await LoopbackKestrel.StartAsync(server.HandleAsync);
        return server;
    }

    public ValueTask DisposeAsync() => LoopbackKestrel.StopAsync(_app);

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
