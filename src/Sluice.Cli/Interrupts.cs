using System.Runtime.InteropServices;

namespace Sluice.Cli;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP (the terminal or SSH session closed), as a command sees them: the first stops it gracefully (<see cref="Stopping"/>:
/// stop reading, deliver what was accepted within a bounded time, print the summary), a second one
/// aborts at once (<see cref="Aborted"/>: print what is known and exit). Tests raise them by hand.
/// </summary>
internal sealed class Interrupts : IDisposable
{
    /// <summary>What the line saying a command is stopping adds (send and spool drain say it alike).</summary>
    public const string SecondStopsAtOnce = "a second Ctrl+C or SIGTERM stops at once";

    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PosixSignalRegistration[] _registrations = [];
    private int _count;

    // The first signal (a PosixSignal, which are negative), 0 before it. Written once by the first signal.
    private int _first;

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Completes at the first signal.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Completes at the second signal.</summary>
    public Task Aborted => _aborted.Task;

    /// <summary>The first signal, if one came.</summary>
    public PosixSignal? Signal => Volatile.Read(ref _first) is not 0 and int s ? (PosixSignal)s : null;

    /// <summary>128 + the first signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP; null if none came.</summary>
    public int? ExitCode => Signal switch
    {
        null => null,
        PosixSignal.SIGTERM => ExitCodes.Terminated,
        PosixSignal.SIGHUP => ExitCodes.HungUp,
        _ => ExitCodes.Interrupted,
    };

    /// <summary>
    /// Interrupts raised by the process's SIGINT, SIGTERM and SIGHUP, whose default (ending the process at once) is cancelled: a
    /// closed terminal ends a send as Ctrl+C does, delivering what was accepted (or keeping it in the spool), not dropping it.
    /// </summary>
    public static Interrupts FromSignals()
    {
        var interrupts = new Interrupts();
        interrupts._registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, interrupts.OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, interrupts.OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, interrupts.OnSignal),
        ];
        return interrupts;
    }

    /// <summary>What a signal does (tests call it directly).</summary>
    public void Raise(PosixSignal signal)
    {
        if (Interlocked.Increment(ref _count) == 1)
        {
            Volatile.Write(ref _first, (int)signal);
            _stopped.TrySetResult();
            _stopping.Cancel();
        }
        else
        {
            _aborted.TrySetResult();
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Raise(context.Signal);
    }
}
