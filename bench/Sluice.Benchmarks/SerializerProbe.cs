using System.Diagnostics;
using System.Globalization;
using Sluice.Tests.Support;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--serializer-probe [events] [rounds]</c>: the serializer alone against the ceiling, without
/// BenchmarkDotNet. Each round holds the serializer (<see cref="SerializerHold"/>: an oversize event
/// whose diagnostic blocks until released), queues the events with the allocation-free API, then times how long the
/// serializer takes to turn the queue into delivered batches (null transport) while the calling
/// thread waits; beside it, the ceiling writes as many events. End to end, with a caller faster than
/// the serializer, the serializer's pace is the engine's: this is the overhead of the end-to-end ÷
/// ceiling ratio, measured on one thread, without the second core's noise.
/// </summary>
internal static class SerializerProbe
{
    public const string Flag = "--serializer-probe";

    public static int Run(IReadOnlyList<string> args)
    {
        int events = args.Count > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        int rounds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 11;

        var hold = new SerializerHold();
        var options = EndToEndRun.Options();
        options.QueueCapacity = 2 * events;
        options.Name = "serializer-probe";
        options.OnDiagnostic = hold.OnDiagnostic;
        var engine = new SluiceEngine(options, new NullTransport());
        string oversize = SerializerHold.HoldUserId(options);
        var ceiling = new Ceiling(EventShape.Standard);
        long next = 0;

        double Serializer()
        {
            hold.Arm();
            engine.Track(oversize, StandardEvent.Name);
            if (!hold.WaitHeld(TimeSpan.FromSeconds(30)))
                throw new InvalidOperationException("The serializer did not stop at the oversize event.");
            for (long i = next; i < next + events; i++)
                StandardEvent.Track(engine, i);
            next += events;
            long start = Stopwatch.GetTimestamp();
            hold.Release();
            engine.FlushAsync().GetAwaiter().GetResult();
            return Stopwatch.GetElapsedTime(start).TotalNanoseconds / events;
        }

        double Ceiling()
        {
            long start = Stopwatch.GetTimestamp();
            ceiling.Write(next, events);
            return Stopwatch.GetElapsedTime(start).TotalNanoseconds / events;
        }

        SteadyState.WarmUp(nameof(SerializerProbe), () =>
        {
            Serializer();
            Ceiling();
        });

        var ratios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double s = Serializer();
            double c = Ceiling();
            ratios.Add(c / s);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: serializer {s:F1} ns per event, ceiling {c:F1} ns, ceiling ÷ serializer {c / s:F2}"));
        }

        ratios.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median ceiling ÷ serializer {ratios[ratios.Count / 2]:F2} ({rounds} rounds of {events:N0} events)"));
        var counters = engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        ceiling.Dispose();
        return counters.Delivered == counters.Accepted - counters.RejectedOversize ? 0 : 1;
    }
}
