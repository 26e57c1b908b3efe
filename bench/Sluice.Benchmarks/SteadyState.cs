using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Sluice.Benchmarks;

/// <summary>
/// Runs a scenario until the JIT is done with it, before BenchmarkDotNet's own warm-up. Tiered
/// compilation moves a method to optimized code only after a call-counting delay (100 ms) that
/// restarts whenever another method is compiled, so a pipeline of a few hundred methods on several
/// threads runs partly unoptimized for 1-2 s on this machine: longer than a short job's warm-up,
/// and much longer than that of a scenario timed one invocation per iteration (the calling-thread
/// one read 130-190 ns per Track that way, against 45-55 ns once compiled). Rounds run until no
/// method has been compiled for half a second.
/// </summary>
internal static class SteadyState
{
    private static readonly long Quiet = Stopwatch.Frequency / 2;
    private static readonly long Cap = Stopwatch.Frequency * 30;

    public static void WarmUp(string scenario, Action round)
    {
        long start = Stopwatch.GetTimestamp(), lastCompile = start, now = start;
        long compiled = JitInfo.GetCompiledMethodCount();
        int rounds = 0;
        while (now - lastCompile < Quiet && now - start < Cap)
        {
            round();
            rounds++;
            now = Stopwatch.GetTimestamp();
            long count = JitInfo.GetCompiledMethodCount();
            if (count != compiled)
            {
                compiled = count;
                lastCompile = now;
            }
        }

        string outcome = now - lastCompile >= Quiet ? "JIT quiet" : "JIT still compiling, gave up";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// {scenario}: {outcome} after {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s ({rounds} rounds, {compiled} methods compiled)"));
    }
}
