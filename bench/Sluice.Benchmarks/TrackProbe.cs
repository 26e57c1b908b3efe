using System.Diagnostics;
using System.Globalization;
using Sluice.Producing;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--track-probe</c>: what <see cref="CallingThreadBenchmark.Callback"/> measures, without
/// BenchmarkDotNet (seconds): bursts of <see cref="CallingThreadBenchmark.Calls"/> allocation-free
/// Track calls, the queue drained between them, the median and fastest burst's time per call printed.
/// Then the call taken apart: what one read of the system clock costs on this machine, and the call
/// given a timestamp (no clock read) with and without its properties and context, so the clock,
/// the call's fixed part (checks, the record, the ring) and the properties' snapshot each show.
/// For a before/after on a busy machine; the benchmark is the figure of record.
/// </summary>
internal static class TrackProbe
{
    public const string Flag = "--track-probe";

    public static int Run()
    {
        var engine = new SluiceEngine(new SluiceOptions { Name = "track-probe" }, new NullTransport());
        long next = 0;
        void Burst()
        {
            for (long i = next; i < next + CallingThreadBenchmark.Calls; i++)
                StandardEvent.Track(engine, i);
            next += CallingThreadBenchmark.Calls;
        }

        SteadyState.WarmUp(nameof(TrackProbe), () =>
        {
            Burst();
            engine.FlushAsync().GetAwaiter().GetResult();
        });
        Print("Track", Bursts(engine, Burst), detail: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the clock alone (TimeProvider.System.GetUtcNow, which every Track without a timestamp reads): {ClockNanoseconds():F1} ns per read"));

        // The parts, each call made through the same delegate (a few ns of its own), so that they compare with one another.
        var at = DateTimeOffset.UtcNow;
        Part("the call through a delegate", engine, i => StandardEvent.Track(engine, i));
        Part("given a timestamp", engine, i => engine.Track(StandardEvent.UserId(i), StandardEvent.Name, i,
            static (ref PropertiesWriter w, long s) => StandardEvent.WriteProperties(ref w, s),
            static (ref PropertiesWriter w, long s) => StandardEvent.WriteContext(ref w, s), at));
        Part("given a timestamp, no properties or context", engine, i => engine.Track(StandardEvent.UserId(i), StandardEvent.Name, i, null, null, at));

        var c = engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        return c.RefusedQueueFull == 0 ? 0 : 1;
    }

    private static void Part(string name, SluiceEngine engine, Action<long> call)
    {
        long next = 0;
        void Burst()
        {
            for (long i = next; i < next + CallingThreadBenchmark.Calls; i++)
                call(i);
            next += CallingThreadBenchmark.Calls;
        }

        for (int round = 0; round < 20; round++)
        {
            Burst();
            engine.FlushAsync().GetAwaiter().GetResult();
        }

        Print(name, Bursts(engine, Burst), detail: false);
    }

    /// <summary>Nanoseconds per call of 40 bursts, the queue drained (not timed) after each; sorted.</summary>
    private static List<double> Bursts(SluiceEngine engine, Action burst)
    {
        var perCall = new List<double>();
        for (int round = 0; round < 40; round++)
        {
            long start = Stopwatch.GetTimestamp();
            burst();
            perCall.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / CallingThreadBenchmark.Calls);
            engine.FlushAsync().GetAwaiter().GetResult();
        }

        perCall.Sort();
        return perCall;
    }

    private static void Print(string name, List<double> perCall, bool detail)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{name}: median {perCall[perCall.Count / 2]:F1} ns, quartile {perCall[perCall.Count / 4]:F1} ns per call");
        Console.WriteLine(detail
            ? line + string.Create(CultureInfo.InvariantCulture, $", fastest {perCall[0]:F1} ns ({perCall.Count} bursts of {CallingThreadBenchmark.Calls})")
            : line);
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
