using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice;

/// <summary>
/// The hosting package as an application uses it: AddSluice from configuration in a Generic Host, events
/// tracked, the host stopped; a loopback HTTP listener stands for the API and counts what it receives.
/// </summary>
internal static class HostingCheck
{
    public static async Task<string?> RunAsync(int events)
    {
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        int received = 0;
        string? authorization = null;
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return; // stopped
                }

                authorization = context.Request.Headers["Authorization"];
                using (var body = await JsonDocument.ParseAsync(context.Request.InputStream))
                    Interlocked.Add(ref received, body.RootElement.GetArrayLength());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Format"] = "ThriveStack",
            ["Sluice:Endpoint"] = $"http://127.0.0.1:{port}",
            ["Sluice:Credentials:Token"] = "consumer-token",
            ["Sluice:MaxBatchEvents"] = "100",
            ["Sluice:FlushInterval"] = "01:00:00",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var engine = host.Services.GetRequiredService<SluiceEngine>();
            for (int i = 0; i < events; i++)
                engine.Track($"user-{i % 13}", "feature_used", new Dictionary<string, object?> { ["seq"] = i });
            await host.StopAsync(); // delivers what is queued
        }

        listener.Stop();
        await serving;
        if (received != events)
            return $"hosting: the endpoint received {received} of {events} events";
        if (authorization != "Bearer consumer-token")
            return "hosting: the configured token did not reach the endpoint";
        return null;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
