using Sluice.Diagnostics;

namespace Sluice;

/// <summary>How a shutdown went.</summary>
/// <param name="LostAtShutdown">Accepted events still undelivered when the deadline passed (zero when everything drained).</param>
/// <param name="TimedOut">Whether the shutdown deadline passed before everything was settled.</param>
/// <param name="Counters">The final counters; their <see cref="SluiceCounters.InFlight"/> is zero.</param>
public readonly record struct ShutdownResult(long LostAtShutdown, bool TimedOut, SluiceCounters Counters);
