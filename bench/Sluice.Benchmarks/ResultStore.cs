using System.Globalization;

namespace Sluice.Benchmarks;

/// <summary>
/// Figures a benchmark process measures itself (BenchmarkDotNet runs every benchmark in its own
/// process): saved to one file per key in a directory the host chooses, read back by the columns
/// and the ratio table.
/// </summary>
internal static class ResultStore
{
    public const string DirectoryVariable = "SLUICE_BENCH_RESULTS_DIR";

    public static void Save(string key, double value)
        => File.WriteAllText(PathFor(key), value.ToString("R", CultureInfo.InvariantCulture));

    public static double? Load(string key)
    {
        string path = PathFor(key);
        return File.Exists(path) ? double.Parse(File.ReadAllText(path), CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The host: a fresh directory for this run, inherited by the benchmark processes.</summary>
    public static void StartRun()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"sluice-bench-{Environment.ProcessId}");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        Environment.SetEnvironmentVariable(DirectoryVariable, dir);
    }

    private static string PathFor(string key)
    {
        string dir = Environment.GetEnvironmentVariable(DirectoryVariable) ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, key + ".txt");
    }
}

/// <summary>Per-invocation values of one benchmark process; the first half (jitting, pilot, warm-up) is left out.</summary>
internal sealed class SampleSet
{
    private readonly List<double> _values = [];

    public void Add(double value) => _values.Add(value);

    public bool IsEmpty => _values.Count == 0;

    public void Clear() => _values.Clear();

    /// <summary>Mean of the second half: amortised, spikes included.</summary>
    public double SteadyMean() => Steady().Average();

    /// <summary>Median of the second half: robust to a noisy machine.</summary>
    public double SteadyMedian() => MedianOf(Steady());

    /// <summary>The <paramref name="q"/> quantile of the second half (nearest rank).</summary>
    public double SteadyQuantile(double q)
    {
        var sorted = Steady().Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
    }

    /// <summary>Median of every value so far.</summary>
    public double Median() => MedianOf(_values);

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private IEnumerable<double> Steady() => _values.Skip(_values.Count / 2);
}
