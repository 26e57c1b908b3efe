namespace Sluice.Benchmarks;

/// <summary>
/// CPU time (user + system, every thread) the whole process spent per operation, from
/// <see cref="Environment.CpuUsage"/> around every invocation, saved as the steady-state mean like
/// <see cref="ProcessAllocation"/>. A host's cores burnt while the engine waits (spinning readers,
/// waiters, idle pool threads) show here and in no wall-clock figure.
/// </summary>
internal static class ProcessCpu
{
    private static readonly SampleSet Samples = new();
    private static string? s_key;

    public static TimeSpan Start() => Environment.CpuUsage.TotalTime;

    public static void Stop(TimeSpan start, long operations, string key)
    {
        var spent = Environment.CpuUsage.TotalTime - start;
        Samples.Add(spent.Ticks * 100.0 / operations);
        s_key = key;
    }

    /// <summary>Called from [GlobalCleanup].</summary>
    public static void Save()
    {
        if (s_key is not null && !Samples.IsEmpty)
            ResultStore.Save("process-cpu." + s_key, Samples.SteadyMean());
    }

    /// <summary>Nanoseconds of process CPU per operation of a benchmark (<c>Type.Method</c>).</summary>
    public static double? Load(string benchmark) => ResultStore.Load("process-cpu." + benchmark);
}
