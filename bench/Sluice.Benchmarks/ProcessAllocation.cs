using System.Globalization;

namespace Sluice.Benchmarks;

/// <summary>
/// Bytes allocated by the whole process per operation. MemoryDiagnoser sees only the benchmark
/// thread; the engine's consumer and senders allocate on other threads, so the multi-threaded
/// scenarios read <see cref="GC.GetTotalAllocatedBytes(bool)"/> around every invocation. Each
/// benchmark runs in its own process: it saves its figure to a file that the
/// <see cref="ProcessAllocatedColumn"/> reads in the host.
/// </summary>
internal static class ProcessAllocation
{
    public const string DirectoryVariable = "SLUICE_BENCH_ALLOC_DIR";

    private static readonly List<double> PerOperation = [];
    private static string? s_key;

    public static long Start() => GC.GetTotalAllocatedBytes(precise: true);

    public static void Stop(long start, long operations, string key)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - start;
        PerOperation.Add((double)allocated / operations);
        s_key = key;
    }

    /// <summary>
    /// Saves the steady-state figure: the mean over the second half of the invocations, so the
    /// warm-up (first batches, pools filling) is excluded and the rest is amortised, spikes included.
    /// </summary>
    public static void Save()
    {
        if (s_key is null || PerOperation.Count == 0)
            return;
        var steady = PerOperation.Skip(PerOperation.Count / 2).ToList();
        File.WriteAllText(PathFor(s_key), steady.Average().ToString("R", CultureInfo.InvariantCulture));
        PerOperation.Clear();
    }

    public static double? Load(string key)
    {
        string path = PathFor(key);
        return File.Exists(path) ? double.Parse(File.ReadAllText(path), CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Forgets earlier runs' figures (called by the host before a run).</summary>
    public static void Reset()
    {
        string dir = Directory();
        if (System.IO.Directory.Exists(dir))
            System.IO.Directory.Delete(dir, recursive: true);
    }

    private static string PathFor(string key)
    {
        string dir = Directory();
        System.IO.Directory.CreateDirectory(dir);
        return Path.Combine(dir, key + ".txt");
    }

    private static string Directory()
        => Environment.GetEnvironmentVariable(DirectoryVariable) ?? Path.Combine(Path.GetTempPath(), "sluice-bench-alloc");
}
