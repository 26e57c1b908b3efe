using System.Diagnostics;
using System.Globalization;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--channel-probe [ring|bounded|unbounded] [rounds]</c>: what the interleaved ring-against-channel pairs do, without
/// BenchmarkDotNet (seconds): runs of <see cref="ChannelContention"/> with 2 writers, the other channel's run then the
/// ring's, and each side's median and lower-quartile nanoseconds per item over the last three quarters of the rounds.
/// With <c>ring</c> the other side is a second ring, which shows the ring's time when nothing but rings ran before it:
/// on this machine a ring run right after a BCL channel's run has taken two to four times as long as after a ring's.
/// </summary>
internal static class ChannelProbe
{
    public const string Flag = "--channel-probe";

    public static int Run(string[] args)
    {
        string other = args.Length > 0 ? args[0] : "unbounded";
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
        using var ring = ChannelContention.Ring(2, BufferBenchmark.Items);
        using var reference = other switch
        {
            "ring" => ChannelContention.Ring(2, BufferBenchmark.Items),
            "bounded" => ChannelContention.Bounded(2, BufferBenchmark.Items),
            "unbounded" => ChannelContention.Unbounded(2, BufferBenchmark.Items),
            _ => throw new ArgumentException($"Unknown channel '{other}': ring, bounded or unbounded.", nameof(args)),
        };

        var rings = new List<double>();
        var references = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            double referenceTime = PerItem(reference);
            double ringTime = PerItem(ring);
            if (i >= rounds / 4)
            {
                references.Add(referenceTime);
                rings.Add(ringTime);
            }
        }

        rings.Sort();
        references.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ring after {other}: ring {rings[rings.Count / 2]:F1} ns per item (fastest quarter {rings[rings.Count / 4]:F1}), " +
            $"{other} {references[references.Count / 2]:F1} ns ({references[references.Count / 4]:F1}); ring ÷ {other} {references[references.Count / 2] / rings[rings.Count / 2]:F2}; " +
            $"pool threads {ThreadPool.ThreadCount}"));
        return 0;
    }

    private static double PerItem(ChannelContention channel)
    {
        long start = Stopwatch.GetTimestamp();
        channel.Run();
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / BufferBenchmark.Items;
    }
}
