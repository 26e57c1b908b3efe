using Sluice.Diagnostics;

namespace Sluice;

/// <summary>How a shutdown went.</summary>
/// <param name="LostAtShutdown">Accepted events not delivered when the deadline passed that the server does not have (zero when everything drained);
/// see <see cref="SluiceCounters.LostAtShutdown"/>.</param>
/// <param name="TimedOut">Whether the shutdown deadline (<see cref="SluiceOptions.ShutdownTimeout"/>, or the token given to
/// <see cref="SluiceEngine.ShutdownAsync(CancellationToken)"/>) passed while accepted events were still unsettled: it cut the drain short.
/// True too when events were written off before it because the wait before their next attempt would have ended after it.
/// False when everything was settled first, even if the deadline passed after (a zero <see cref="SluiceOptions.ShutdownTimeout"/> on an idle engine).</param>
/// <param name="Counters">The final counters; their <see cref="SluiceCounters.InFlight"/> is zero.</param>
public readonly record struct ShutdownResult(long LostAtShutdown, bool TimedOut, SluiceCounters Counters)
{
    /// <summary>Events a request held when the deadline passed without an answer: the server may have them (<see cref="SluiceCounters.OutcomeUnknown"/>).</summary>
    public long OutcomeUnknown => Counters.OutcomeUnknown;

    /// <summary>Events this engine left in the disk spool (<see cref="SluiceCounters.Spooled"/>, those it sent again afterwards included:
    /// <see cref="SluiceCounters.LeftInSpool"/> is what the next start sends); zero without a spool.</summary>
    public long Spooled => Counters.Spooled;
}
