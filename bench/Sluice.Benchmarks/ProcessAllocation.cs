namespace Sluice.Benchmarks;

/// <summary>
/// Bytes allocated by the whole process per operation. MemoryDiagnoser sees only the benchmark
/// thread; the engine's consumer and senders allocate on other threads, so the multi-threaded
/// scenarios read <see cref="GC.GetTotalAllocatedBytes(bool)"/> around every invocation and save
/// the steady-state mean for the <see cref="ProcessAllocatedColumn"/>.
/// </summary>
internal static class ProcessAllocation
{
    private static readonly SampleSet PerOperation = new();
    private static string? s_key;

    public static long Start() => GC.GetTotalAllocatedBytes(precise: true);

    public static void Stop(long start, long operations, string key)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - start;
        PerOperation.Add((double)allocated / operations);
        s_key = key;
    }

    /// <summary>Called from [GlobalCleanup]: the steady-state mean (warm-up left out, the rest amortised).</summary>
    public static void Save()
    {
        if (s_key is not null && !PerOperation.IsEmpty)
            ResultStore.Save(KeyFor(s_key), PerOperation.SteadyMean());
    }

    public static double? Load(string benchmark) => ResultStore.Load(KeyFor(benchmark));

    private static string KeyFor(string benchmark) => "process-alloc." + benchmark;
}
