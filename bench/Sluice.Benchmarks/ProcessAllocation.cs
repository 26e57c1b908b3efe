namespace Sluice.Benchmarks;

/// <summary>
/// Bytes allocated per operation, measured around every invocation and saved as the steady-state
/// mean (warm-up left out, the rest amortised), for two scopes: the whole process
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>: the engine's consumer and senders allocate on
/// other threads) and the calling thread alone (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).
/// BenchmarkDotNet's own "Allocated" column is process-wide on .NET 6+ and taken from one extra
/// invocation, so it cannot tell the calling thread apart.
/// </summary>
internal static class ProcessAllocation
{
    private static readonly SampleSet Process = new();
    private static readonly SampleSet Thread = new();
    private static string? s_key;

    public static (long Process, long Thread) Start() => (GC.GetTotalAllocatedBytes(precise: true), GC.GetAllocatedBytesForCurrentThread());

    public static void Stop((long Process, long Thread) start, long operations, string key)
    {
        // Both counters first: recording a sample may allocate (a list growing) on this very thread.
        long thread = GC.GetAllocatedBytesForCurrentThread() - start.Thread;
        long process = GC.GetTotalAllocatedBytes(precise: true) - start.Process;
        Process.Add((double)process / operations);
        Thread.Add((double)thread / operations);
        s_key = key;
    }

    /// <summary>Called from [GlobalCleanup].</summary>
    public static void Save()
    {
        if (s_key is null || Process.IsEmpty)
            return;
        ResultStore.Save("process-alloc." + s_key, Process.SteadyMean());
        ResultStore.Save("thread-alloc." + s_key, Thread.SteadyMean());
    }

    /// <summary>Whole process, bytes per operation, of a benchmark (<c>Type.Method</c>).</summary>
    public static double? Load(string benchmark) => ResultStore.Load("process-alloc." + benchmark);

    /// <summary>The benchmark (calling) thread alone, bytes per operation.</summary>
    public static double? LoadThread(string benchmark) => ResultStore.Load("thread-alloc." + benchmark);
}
