using System.Diagnostics;
using System.Globalization;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--track-probe</c>: what <see cref="CallingThreadBenchmark.Callback"/> measures, without
/// BenchmarkDotNet (seconds): bursts of <see cref="CallingThreadBenchmark.Calls"/> allocation-free
/// Track calls, the queue drained between them, the median and fastest burst's time per call printed.
/// Then what one read of the system clock costs on this machine, a part of every Track call.
/// For a before/after on a busy machine; the benchmark is the figure of record.
/// </summary>
internal static class TrackProbe
{
    public const string Flag = "--track-probe";

    public static int Run()
    {
        const int calls = CallingThreadBenchmark.Calls;
        var engine = new SluiceEngine(new SluiceOptions { Name = "track-probe" }, new NullTransport());
        long next = 0;
        void Burst()
        {
            for (long i = next; i < next + calls; i++)
                StandardEvent.Track(engine, i);
            next += calls;
        }

        SteadyState.WarmUp(nameof(TrackProbe), () =>
        {
            Burst();
            engine.FlushAsync().GetAwaiter().GetResult();
        });

        var perCall = new List<double>();
        for (int round = 0; round < 40; round++)
        {
            long start = Stopwatch.GetTimestamp();
            Burst();
            perCall.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / calls);
            engine.FlushAsync().GetAwaiter().GetResult();
        }

        perCall.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Track: median {perCall[perCall.Count / 2]:F1} ns, fastest {perCall[0]:F1} ns, quartile {perCall[perCall.Count / 4]:F1} ns per call ({perCall.Count} bursts of {calls})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the clock alone (TimeProvider.System.GetUtcNow, which every Track without a timestamp reads): {ClockNanoseconds():F1} ns per read"));
        var c = engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        return c.RefusedQueueFull == 0 ? 0 : 1;
    }

    /// <summary>The median of 21 rounds of a million reads of the system clock.</summary>
    private static double ClockNanoseconds()
    {
        const int reads = 1_000_000;
        var time = TimeProvider.System;
        var perRead = new List<double>();
        long sink = 0;
        for (int round = 0; round < 21; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < reads; i++)
                sink += time.GetUtcNow().UtcTicks;
            perRead.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / reads);
        }

        GC.KeepAlive(sink);
        perRead.Sort();
        return perRead[perRead.Count / 2];
    }
}
