namespace Sluice.Samples.Worker;

/// <summary>
/// Tracks a sign-up and then a page view, one event per tick, as an application would from its own work. The calls
/// never block and never throw for runtime conditions: what they return is counted by the engine. With
/// <c>Sample:Events</c> set it sends that many events and stops the host; otherwise it runs until Ctrl+C.
/// </summary>
internal sealed partial class SignupWorker(SluiceEngine engine, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<SignupWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int? limit = configuration.GetValue<int?>("Sample:Events");
        var interval = configuration.GetValue("Sample:Interval", TimeSpan.FromMilliseconds(100));
        using var timer = new PeriodicTimer(interval);
        int sent = 0;
        try
        {
            while ((limit is null || sent < limit) && await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                string user = $"user-{sent / 2 % 10}";
                if (sent % 2 == 0)
                {
                    engine.Track(user, "signed_up", new Dictionary<string, object?> { ["plan"] = sent % 3 == 0 ? "pro" : "free", ["seats"] = sent % 7 + 1 },
                        context: new Dictionary<string, object?> { ["group_id"] = "acme" });
                }
                else
                {
                    engine.Page(user, sessionId: null, new Dictionary<string, object?> { ["page_name"] = "Pricing" }, name: "Pricing");
                }

                sent++;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C: the host stops; the engine delivers what it accepted.
        }

        long delivered = engine.GetCounters().Delivered;
        LogSent(logger, sent, delivered);
        if (limit is not null)
            lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tracked {Events} events; {Delivered} delivered so far (the rest go at shutdown).")]
    private static partial void LogSent(ILogger logger, int events, long delivered);
}
