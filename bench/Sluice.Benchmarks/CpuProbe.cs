using System.Diagnostics;
using System.Globalization;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Benchmarks;

/// <summary>
/// A quick look at CPU per delivered event without BenchmarkDotNet (seconds, not minutes):
/// <c>--cpu-probe [events per round] [rounds] [events/s] [null]</c> (null: the null transport instead of HTTP). The ceiling's time per event, then
/// rounds of the <see cref="CpuBenchmark"/> scenario, each printed with its process CPU and wall
/// time; with a rate, the producer is paced (sleeping between millisecond slices, so its waiting
/// costs nothing), which is where a reader or waiter that spins shows most: a fast serializer
/// keeps catching up with a slower caller. Then the engine idles for a second: its CPU meanwhile
/// is printed too. First, what a fresh engine's burst allocates on the calling thread. For a before/after on a busy machine; the benchmark is the figure of record.
/// </summary>
internal static class CpuProbe
{
    public const string Flag = "--cpu-probe";

    public static int Run(IReadOnlyList<string> args)
    {
        long events = args.Count > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        int rounds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        long rate = args.Count > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 0;

        double ceiling = CeilingNanoseconds(events);
        Console.WriteLine(Invariant($"ceiling: {ceiling:F0} ns per event (one thread)"));
        Console.WriteLine(Invariant($"a fresh engine taking a burst of {events} events: {BurstBytesPerCall(events):F1} B per call on the calling thread"));

        bool http = args.Count <= 3 || args[3] != "null";
        using var receiver = http ? ReceiverProcess.Start() : null;
        using var transport = http ? new HttpTransport(new HttpTransportOptions { BaseAddress = receiver!.BaseAddress }) : null;
        var run = transport is null ? new EndToEndRun(EventShape.Standard) : new EndToEndRun(EventShape.Standard, transport);
        SteadyState.WarmUp(nameof(CpuProbe), () => Produce(run, Math.Min(events, 100_000), 0)); // the JIT, the pools, the connections

        for (int round = 0; round < rounds; round++)
        {
            var cpu = Environment.CpuUsage;
            long items = ThreadPool.CompletedWorkItemCount;
            long start = Stopwatch.GetTimestamp();
            Produce(run, events, rate);
            var wall = Stopwatch.GetElapsedTime(start);
            var after = Environment.CpuUsage;
            double itemsPerThousand = (ThreadPool.CompletedWorkItemCount - items) * 1000.0 / events;
            double perEvent = (after.TotalTime - cpu.TotalTime).Ticks * 100.0 / events;
            Console.WriteLine(Invariant(
                $"round {round}: {perEvent:F0} ns CPU per event (user {(after.UserTime - cpu.UserTime).TotalMilliseconds:F0} ms, sys {(after.PrivilegedTime - cpu.PrivilegedTime).TotalMilliseconds:F0} ms), {perEvent / ceiling:F2}x the ceiling; wall {wall.TotalMilliseconds:F0} ms, {events / wall.TotalSeconds:N0} events/s, {(after.TotalTime - cpu.TotalTime) / wall:F2} cores, {itemsPerThousand:F1} pool items per 1,000 events"));
        }

        var idle = Environment.CpuUsage.TotalTime;
        Thread.Sleep(1000);
        Console.WriteLine(Invariant($"idle for 1 s: {(Environment.CpuUsage.TotalTime - idle).TotalMilliseconds:F1} ms CPU"));

        var c = run.Engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        Console.WriteLine(Invariant($"accepted {c.Accepted}, delivered {c.Delivered}"));
        return c.Accepted == c.Delivered ? 0 : 1;
    }

    private static void Produce(EndToEndRun run, long events, long rate)
    {
        if (rate > 0)
            run.RunPaced(events, rate);
        else
            run.Run(events);
    }

    /// <summary>What the calling thread allocates per call while a fresh engine (null transport) takes a burst.</summary>
    private static double BurstBytesPerCall(long events)
    {
        var run = new EndToEndRun(EventShape.Standard);
        long before = GC.GetAllocatedBytesForCurrentThread();
        run.Produce(events);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        run.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return (double)allocated / events;
    }

    private static double CeilingNanoseconds(long events)
    {
        using var ceiling = new Ceiling(EventShape.Standard);
        for (int i = 0; i < 5; i++)
            ceiling.Write(0, events);
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            long start = Stopwatch.GetTimestamp();
            ceiling.Write(0, events);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalNanoseconds / events);
        }

        return best;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
