namespace Sluice.Cli;

/// <summary>The end of a command's engine: what is left is delivered within the stop timeout, unless nothing can be.</summary>
internal static class EngineShutdown
{
    /// <summary>
    /// Shuts <paramref name="engine"/> down and waits until it has, or until a second signal says stop at once (the shutdown is then
    /// left running: the task returned is not complete). Cancelling <paramref name="deadline"/> ends the delivery of what is left
    /// (<c>--stop-timeout</c>). It is cancelled at once when every endpoint has refused the credentials: nothing left can be
    /// delivered (a paused endpoint's batches wait for a probe, which the same credentials fail), so what was not sent is counted
    /// lost, or stays in the spool, without waiting out the stop timeout; but not before <paramref name="onDisk"/>, asked once the
    /// shutdown has begun, completes: <c>send --spool</c> waits for the engine to write to the spool what it still held in memory
    /// (its shutdown does that at once), else ending it would lose those events. <paramref name="endingEarly"/> says so first.
    /// </summary>
    public static async Task<Task<ShutdownResult>> RunAsync(SluiceEngine engine, CancellationTokenSource deadline, DiagnosticPrinter diagnostics,
        Interrupts interrupts, Action endingEarly, Func<Task>? onDisk = null)
    {
        var shutdown = engine.ShutdownAsync(deadline.Token);
        var refused = diagnostics.EveryEndpointRefused.Task;
        if (await Task.WhenAny(shutdown, interrupts.Aborted, refused).ConfigureAwait(false) == refused)
        {
            if (onDisk is not null)
                await Task.WhenAny(shutdown, interrupts.Aborted, onDisk()).ConfigureAwait(false);
            endingEarly();
            await deadline.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(shutdown, interrupts.Aborted).ConfigureAwait(false);
        }

        return shutdown;
    }
}
