using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Starts every engine of the container with the host (so a bad configuration fails the start, and diagnostics flow
/// from the first event) and shuts them all down together when the host stops, logging each <see cref="ShutdownResult"/>.
/// The engines deliver what they accepted within their <see cref="SluiceOptions.ShutdownTimeout"/>; should the host's
/// own shutdown timeout pass first, that is logged and the host goes on stopping.
/// </summary>
internal sealed class SluiceHostedService(IServiceProvider services, IEnumerable<SluiceRegistration> registrations) : IHostedService
{
    private EngineHost[] _hosts = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hosts = [.. registrations.Select(r => services.GetRequiredKeyedService<EngineHost>(r.Name))];
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var shutdowns = _hosts.Select(ShutdownAsync).ToArray();
        try
        {
            await Task.WhenAll(shutdowns).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            for (int i = 0; i < _hosts.Length; i++)
            {
                if (!shutdowns[i].IsCompleted)
                    Log.ShutdownCutShort(_hosts[i].Logger, _hosts[i].Name);
            }
        }
    }

    private static async Task ShutdownAsync(EngineHost host)
    {
        var result = await host.Engine.ShutdownAsync().ConfigureAwait(false);
        host.Diagnostics.ReportSuppressed();
        var c = result.Counters;
        if (c.Delivered == c.Accepted)
        {
            Log.ShutdownCompleted(host.Logger, host.Name, c.Delivered);
        }
        else
        {
            Log.ShutdownIncomplete(host.Logger, host.Name, c.Accepted, c.Delivered, c.LostAtShutdown, c.OutcomeUnknown, c.Failed,
                c.RejectedByServer + c.RejectedOversize, c.Expired, c.Evicted, result.TimedOut);
        }
    }
}
