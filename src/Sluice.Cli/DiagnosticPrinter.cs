using Sluice.Diagnostics;

namespace Sluice.Cli;

/// <summary>
/// Prints the engine's diagnostics (causes: connection refused, retries, rejections, losses) on
/// standard error, one line each, rate-limited per kind so a storm of retries stays readable: the
/// first few of a kind are printed, then at most one a second, each saying how many like it were
/// not shown; <see cref="Flush"/> counts the rest at the end. With <c>--quiet</c>, informational
/// kinds (retries, warnings, resumed endpoints, lowered and restored limits) are not shown. Thread-safe.
/// <paramref name="endpoints"/>: how many endpoints the wire format sends to (<see cref="EveryEndpointRefused"/>).
/// </summary>
internal sealed class DiagnosticPrinter(ErrorOutput output, bool quiet, TimeProvider time, int endpoints = 1)
{
    /// <summary>Messages of one kind printed before the limit applies.</summary>
    public const int Burst = 5;

    /// <summary>Then one message of a kind per this interval.</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();

    // Under _lock.
    private readonly Dictionary<DiagnosticKind, Tally> _kinds = [];
    private bool _flushed;
    private int _paused;

    /// <summary>Set when the server refused the credentials (an endpoint paused): no retry can succeed, so sending stops.</summary>
    public TaskCompletionSource CredentialsRefused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Set when every endpoint is paused for refused credentials: nothing can be delivered. A paused endpoint's batches wait
    /// for a probe (a minute away) that the same credentials fail, so waiting out the stop timeout for them is no use.
    /// </summary>
    public TaskCompletionSource EveryEndpointRefused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The engine's <see cref="SluiceOptions.OnDiagnostic"/>: prints, and notices refused credentials.</summary>
    public void OnDiagnostic(DiagnosticEvent diagnostic)
    {
        Print(diagnostic);
        // An endpoint's pauses and resumes alternate, so their difference is how many endpoints are paused now.
        if (diagnostic.Kind == DiagnosticKind.EndpointResumed)
            Interlocked.Decrement(ref _paused);
        if (diagnostic.Kind != DiagnosticKind.EndpointPaused)
            return;
        CredentialsRefused.TrySetResult();
        if (Interlocked.Increment(ref _paused) >= endpoints)
            EveryEndpointRefused.TrySetResult();
    }

    public void Print(DiagnosticEvent diagnostic)
    {
        if (quiet && IsInformational(diagnostic.Kind))
            return;

        string line;
        lock (_lock)
        {
            if (_flushed)
                return;
            if (!_kinds.TryGetValue(diagnostic.Kind, out var tally))
                _kinds[diagnostic.Kind] = tally = new Tally();
            long now = time.GetTimestamp();
            if (tally.Printed >= Burst && time.GetElapsedTime(tally.LastPrinted, now) < Spacing)
            {
                tally.Suppressed++;
                return;
            }

            line = tally.Suppressed > 0
                ? $"sluice: {diagnostic.Message} ({tally.Suppressed:N0} more like it not shown)"
                : $"sluice: {diagnostic.Message}";
            tally.Printed++;
            tally.Suppressed = 0;
            tally.LastPrinted = now;
        }

        output.WriteLine(line);
    }

    /// <summary>
    /// Reports the messages the limit held back since each kind's last printed one, and prints nothing after: the summary
    /// that follows is the last word. An engine a second signal left running goes on failing its sends (its transport
    /// disposed, its requests cancelled) while the process exits, and those would read as new causes under the summary.
    /// </summary>
    public void Flush()
    {
        List<string> lines = [];
        lock (_lock)
        {
            _flushed = true;
            foreach (var (kind, tally) in _kinds)
            {
                if (tally.Suppressed > 0)
                    lines.Add($"sluice: {tally.Suppressed:N0} more {kind} message(s) not shown.");
                tally.Suppressed = 0;
            }
        }

        foreach (string line in lines)
            output.WriteLine(line);
    }

    private static bool IsInformational(DiagnosticKind kind)
        => kind is DiagnosticKind.SendFailed or DiagnosticKind.ServerWarning or DiagnosticKind.EndpointResumed or DiagnosticKind.LimitLowered
            or DiagnosticKind.LimitRestored;

    private sealed class Tally
    {
        public int Printed;
        public long Suppressed;
        public long LastPrinted;
    }
}
