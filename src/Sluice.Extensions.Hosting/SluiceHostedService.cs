using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Starts every engine of the container with the host (so a bad configuration fails the start, and diagnostics flow
/// from the first event) and shuts them all down together once the host has stopped every hosted service, logging each
/// <see cref="ShutdownResult"/>. The engines deliver what they accepted within their <see cref="SluiceOptions.ShutdownTimeout"/>;
/// should the host's own shutdown timeout pass first, it ends their drains (what was not delivered is counted and logged,
/// or stays in the spool), and the host goes on stopping.
/// </summary>
/// <remarks>
/// The host stops hosted services in the reverse order they were added, so a shutdown in <see cref="StopAsync"/> would
/// come before that of every service added earlier, such as a worker added before <c>AddSluice</c> (as the worker
/// template has it): the events it reports as it stops would be refused. <see cref="StoppedAsync"/> comes after every service's <see cref="StopAsync"/>, within the same
/// shutdown timeout (its token).
/// </remarks>
internal sealed class SluiceHostedService(IServiceProvider services, IEnumerable<SluiceRegistration> registrations, IOptions<HostOptions> hostOptions)
    : IHostedLifecycleService
{
    // How long an engine whose drain the host ended has to report its result, on the engine's clock: the engine writes
    // off a send that ignores cancellation SluiceEngine.WriteOffGrace after its deadline, on that clock.
    internal static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(2);

    private EngineHost[] _hosts = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hosts = [.. registrations.Select(r => services.GetRequiredKeyedService<EngineHost>(r.Name))];
        // The container's meter factory gives engines of one Name one meter, on which their instruments would be
        // duplicates: the metrics of one engine would be mixed with, or hidden by, the other's.
        if (_hosts.GroupBy(h => h.Engine.Options.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            throw new InvalidOperationException($"The Sluice engines {string.Join(" and ", shared.Select(h => $"'{h.Name}'"))} have one Name, '{shared.Key}', "
                + "which tags their metrics (sluice.engine.name): give each its own Name, or leave Name out (an engine is then named as it was added).");
        }

        // The host's shutdown timeout also covers every other hosted service's stop, before the engines' drains begin: an
        // engine that may take as long (its deadline, then the write-off of a send that ignores cancellation) would have its
        // drain ended by the host, not by its own ShutdownTimeout, and its events left unsent. Said now, not at the stop.
        var hostTimeout = hostOptions.Value.ShutdownTimeout;
        foreach (var host in _hosts)
        {
            var engineTimeout = host.Engine.Options.ShutdownTimeout;
            if (hostTimeout != Timeout.InfiniteTimeSpan && engineTimeout + SluiceEngine.WriteOffGrace >= hostTimeout)
                Log.ShutdownTimeoutNotBelowHosts(host.Logger, host.Name, engineTimeout, hostTimeout, SluiceEngine.WriteOffGrace);
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The other hosted services may still be reporting events as they stop: the engines shut down after them.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // The host's shutdown deadline (its token) ends every engine's drain, as the engine's own
        // deadline would: what is still unsent is counted, and each engine's result is logged.
        var shutdowns = _hosts.Select(h => h.ShutdownAsync(cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(shutdowns).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The drains were ended: the engines settle their counts as soon as their senders stop.
            await Task.WhenAll(_hosts.Select((h, i) => ReportedWithinGraceAsync(h, shutdowns[i]))).ConfigureAwait(false);
        }
    }

    private static async Task ReportedWithinGraceAsync(EngineHost host, Task shutdown)
    {
        try
        {
            await shutdown.WaitAsync(ReportGrace, host.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.ShutdownCutShort(host.Logger, host.Name);
        }
    }
}
