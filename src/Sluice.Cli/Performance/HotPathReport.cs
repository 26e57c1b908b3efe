using System.Diagnostics;
using System.Globalization;

namespace Sluice.Cli.Performance;

/// <summary>
/// What `sluice demo` reports about this machine: the benchmarks' end-to-end measurement (standard
/// events, one producer thread, a transport that returns at once) next to the ceiling, timed back to
/// back a few times (the median pair is shown), with the bytes the whole process allocated per event.
/// A quick look, not a benchmark: `bench/` has the rigorous figures.
/// </summary>
internal static class HotPathReport
{
    public static async Task WriteAsync(long events, TextWriter stdout)
    {
        const int Pairs = 3;
        var run = new EndToEndRun(EventShape.Standard);
        await using (run.ConfigureAwait(false))
        {
            using var ceiling = new Ceiling(EventShape.Standard);

            // Warm-up: JIT tiers, pools, caches.
            run.Run(Math.Min(events, 200_000));
            ceiling.Write(0, Math.Min(events, 200_000));

            var samples = new List<(double EndToEnd, double Ceiling, double Bytes)>();
            for (int p = 0; p < Pairs; p++)
            {
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                long started = Stopwatch.GetTimestamp();
                run.Run(events);
                double endToEnd = Stopwatch.GetElapsedTime(started).TotalSeconds;
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

                started = Stopwatch.GetTimestamp();
                ceiling.Write(p * events, events);
                double ceilingSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                samples.Add((events / endToEnd, events / ceilingSeconds, (double)allocated / events));
            }

            var median = samples.OrderBy(s => s.EndToEnd / s.Ceiling).ElementAt(Pairs / 2);
            var c = run.Engine.GetCounters();
            var inv = CultureInfo.InvariantCulture;
            await stdout.WriteLineAsync(string.Create(inv,
                $"Hot path on this machine ({events:N0} standard events, transport returning at once, median of {Pairs} back-to-back pairs):")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv,
                $"  end to end {median.EndToEnd:N0} events/s, {median.Bytes:F1} B allocated per event (whole process); ceiling {median.Ceiling:N0} events/s; ratio {median.EndToEnd / median.Ceiling:F2} (target >= 0.85)")).ConfigureAwait(false);
            if (c.Delivered != c.Accepted)
                await stdout.WriteLineAsync($"  warning: {c.Accepted - c.Delivered:N0} accepted events were not delivered").ConfigureAwait(false);
        }
    }
}
