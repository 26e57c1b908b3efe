using Microsoft.Extensions.Logging;
using Sluice.Diagnostics;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Writes an engine's diagnostics to <c>ILogger&lt;SluiceEngine&gt;</c>: the level is the diagnostic's severity (the
/// values are LogLevel's), the event id its kind's stable number and name. A failing endpoint can raise thousands of
/// diagnostics a minute, so at most <see cref="Limit"/> of each kind are logged per <see cref="Window"/>; how many
/// more there were is logged when the next one of that kind arrives after the window (or at shutdown). Called from
/// engine threads.
/// </summary>
internal sealed class DiagnosticLog(ILogger logger, string engine, TimeProvider time)
{
    /// <summary>Diagnostics of one kind logged per window at most.</summary>
    public const int Limit = 20;

    /// <summary>The rate limit's window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Per kind: when its window began, how many were logged and how many not in it.
    // Written and read under _lock by whichever engine thread reports.
    private readonly Lock _lock = new();
    private readonly Dictionary<DiagnosticKind, (long WindowStart, int Logged, long Suppressed)> _kinds = [];

    public void Write(DiagnosticEvent diagnostic)
    {
        var level = (LogLevel)(int)diagnostic.Severity;
        if (!logger.IsEnabled(level))
            return;
        long suppressedBefore = 0;
        lock (_lock)
        {
            long now = time.GetTimestamp();
            var state = _kinds.GetValueOrDefault(diagnostic.Kind, (now, 0, 0));
            if (time.GetElapsedTime(state.WindowStart, now) >= Window)
            {
                suppressedBefore = state.Suppressed;
                state = (now, 0, 0);
            }

            if (state.Logged >= Limit)
            {
                _kinds[diagnostic.Kind] = (state.WindowStart, state.Logged, state.Suppressed + 1);
                return;
            }

            _kinds[diagnostic.Kind] = (state.WindowStart, state.Logged + 1, state.Suppressed);
        }

        if (suppressedBefore > 0)
            Log.DiagnosticsSuppressed(logger, engine, suppressedBefore, diagnostic.Kind.ToString(), Window, Limit);
        logger.Log(level, new EventId(diagnostic.EventId, diagnostic.Kind.ToString()), new DiagnosticState(engine, diagnostic), diagnostic.Exception, static (s, _) => s.ToString());
    }

    /// <summary>Logs what the rate limit held back and has not been reported yet (at shutdown).</summary>
    public void ReportSuppressed()
    {
        List<(DiagnosticKind Kind, long Count)> held = [];
        lock (_lock)
        {
            foreach (var (kind, state) in _kinds)
            {
                if (state.Suppressed > 0)
                    held.Add((kind, state.Suppressed));
            }

            _kinds.Clear();
        }

        foreach (var (kind, count) in held)
            Log.DiagnosticsSuppressed(logger, engine, count, kind.ToString(), Window, Limit);
    }
}
