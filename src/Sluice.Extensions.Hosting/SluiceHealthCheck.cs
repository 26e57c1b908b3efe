using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// An engine's health: <see cref="HealthStatus.Degraded"/> once it has been shut down (it refuses every call; the host is
/// stopping, or the engine was disposed early), while an endpoint is paused (it refused the credentials), while an
/// endpoint's last attempt failed and is being retried (an outage, before anything runs out of retries),
/// while the queue is at least <see cref="QueueNearFull"/> full, while batches wait in the spool for the senders (an outage:
/// with a spool, the queue drains to disk instead of filling), while the spool cannot be written (a full disk), or when batches ran out of retries (expired, or were kept in
/// the spool), failed for good (a permanent failure such as a 404: every batch can fail at once, nothing expiring and the
/// queue never filling) or were lost from the spool (its byte cap deleted them, something deleted or truncated its files, or a sync to the device failed) within the last <see cref="ExpiryWindow"/>; healthy otherwise. Degraded, not unhealthy: the engine goes on
/// accepting and counting events, and the application keeps working. <see cref="HealthStatus.Unhealthy"/> only before the
/// engine is built (the host has not started it, nor anything resolved it), as a startup probe expects: checked, not built,
/// since building it opens its spool and creates its HTTP client.
/// </summary>
internal sealed class SluiceHealthCheck(string name, BuiltEngines engines) : IHealthCheck
{
    /// <summary>The queue's fill ratio from which the engine is degraded.</summary>
    public const double QueueNearFull = 0.8;

    /// <summary>How long events that expired or failed for good keep the engine degraded.</summary>
    public static readonly TimeSpan ExpiryWindow = TimeSpan.FromMinutes(5);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (engines.Find(name) is not { } host)
            return Task.FromResult(HealthCheckResult.Unhealthy($"Sluice engine {name} has not started: the host starts it.", data: new Dictionary<string, object> { ["engine"] = name }));
        var engine = host.Engine;
        var format = engine.Options.WireFormat;
        var counters = engine.GetCounters();
        long queued = engine.QueueLength;
        int capacity = engine.Options.QueueCapacity;
        var problems = new List<string>();
        if (engine.ShutDownBegun)
            problems.Add("it has been shut down: every call is refused (ShuttingDown)");

        var paused = Enumerable.Range(0, format.PartitionCount).Where(engine.IsPaused).Select(format.EndpointPath).ToArray();
        if (paused.Length > 0)
            problems.Add($"sending to {string.Join(" and ", paused)} is paused: the endpoint refused the credentials");
        // A transient failure last, with events still to send: its batch waits to be retried. An old one, after the events
        // settled, is not (the expiry window tells of those that ran out of retries).
        var failing = counters.InFlight == 0 ? [] : Enumerable.Range(0, format.PartitionCount).Where(engine.IsRetrying).Select(format.EndpointPath).ToArray();
        if (failing.Length > 0)
            problems.Add($"sending to {string.Join(" and ", failing)} is failing: its last attempt failed and is being retried (see SendFailed)");
        if (queued >= capacity * QueueNearFull)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"the queue is {queued * 100 / capacity}% full ({queued:N0} of {capacity:N0} events)"));
        long onDisk = engine.EventsWaitingOnDisk;
        if (onDisk > 0)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{onDisk:N0} events wait in the spool: the senders took no batch for {engine.Options.FlushInterval.TotalSeconds:0.###} s (the endpoint is failing or slow)"));
        // Nothing else shows it while the endpoint answers: the events are delivered, but a crash would lose those in memory.
        bool spoolSuspended = engine.SpoolSuspended;
        if (spoolSuspended)
            problems.Add("the spool cannot be written (a full disk or an I/O error, see SpoolSuspended): batches are sent from memory only, not kept on disk");
        var (ranOutOfRetries, failed, spoolEvicted) = host.GaveUpWithin(ExpiryWindow, counters);
        if (ranOutOfRetries)
        {
            problems.Add(counters.Spooled == 0
                ? string.Create(CultureInfo.InvariantCulture, $"batches expired (ran out of retries) in the last {ExpiryWindow.TotalMinutes:0} minutes ({counters.Expired:N0} events in all)")
                : string.Create(CultureInfo.InvariantCulture, $"batches ran out of retries in the last {ExpiryWindow.TotalMinutes:0} minutes ({counters.Expired:N0} events expired, {counters.LeftInSpool:N0} still kept in the spool)"));
        }

        if (failed)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"events failed for good in the last {ExpiryWindow.TotalMinutes:0} minutes ({counters.Failed:N0} in all)"));
        // The outage that filled the spool may be over, its backlog delivered: the batches deleted meanwhile are not.
        if (spoolEvicted)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"the spool lost batches not yet delivered in the last {ExpiryWindow.TotalMinutes:0} minutes: its byte cap deleted them, their files were deleted or truncated, or a sync to the device failed ({counters.SpoolEvicted:N0} events in all, see SpoolEvicted)"));

        var data = new Dictionary<string, object>
        {
            ["engine"] = host.Name,
            ["queued"] = queued,
            ["queueCapacity"] = capacity,
            ["pausedEndpoints"] = paused,
            ["failingEndpoints"] = failing,
            ["accepted"] = counters.Accepted,
            ["delivered"] = counters.Delivered,
            ["expired"] = counters.Expired,
            ["failed"] = counters.Failed,
            ["spooled"] = counters.Spooled,
            ["leftInSpool"] = counters.LeftInSpool,
            ["spoolEvicted"] = counters.SpoolEvicted,
            ["waitingInSpool"] = onDisk,
            ["spoolSuspended"] = spoolSuspended,
            ["inFlight"] = counters.InFlight,
        };
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"Sluice engine {host.Name} is delivering.", data)
            : HealthCheckResult.Degraded($"Sluice engine {host.Name}: " + string.Join("; ", problems) + ".", data: data));
    }
}
