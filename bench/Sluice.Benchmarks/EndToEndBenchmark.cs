using BenchmarkDotNet.Attributes;
using Sluice.Delivery.Transports.Http;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 3, end to end: one producer thread (the benchmark thread) → engine → a transport that
/// returns at once, <see cref="FullMode.Wait"/> so nothing is dropped. An invocation produces its
/// events and waits until all are delivered. "Process B/op" is the whole process's allocation per
/// event (steady-state mean), "Thread B/op" the producer thread's share.
/// <see cref="StandardHttp"/> delivers over HTTP to a receiver on loopback in the same process
/// (Kestrel, reading and discarding every body), whose own allocations are counted too.
/// <see cref="StandardSpool"/> is <see cref="Standard"/> with the disk spool on (default sync policy: every
/// batch appended and flushed to the device before its first send, acknowledged after), in a fresh
/// directory under the temp directory, on this machine's disk.
/// </summary>
public class EndToEndBenchmark
{
    public const int StandardEvents = 200_000;
    public const int LargeEvents = 9_600; // a whole number of the baseline's 240-event batches

    private EndToEndRun _run = null!;
    private DiscardingServer? _receiver;
    private HttpTransport? _http;
    private string? _spoolDirectory;

    [GlobalSetup(Target = nameof(Standard))]
    public void SetupStandard() => Start(new EndToEndRun(EventShape.Standard), run => run.Run(StandardEvents));

    [GlobalSetup(Target = nameof(StandardDictionary))]
    public void SetupDictionary() => Start(new EndToEndRun(EventShape.Standard), run => run.RunDictionaries(StandardEvents));

    [GlobalSetup(Target = nameof(Large))]
    public void SetupLarge() => Start(new EndToEndRun(EventShape.Large), run => run.Run(LargeEvents));

    [GlobalSetup(Target = nameof(StandardHttp))]
    public void SetupHttp()
    {
        _receiver = DiscardingServer.StartAsync().GetAwaiter().GetResult();
        _http = new HttpTransport(new HttpTransportOptions { BaseAddress = _receiver.BaseAddress });
        Start(new EndToEndRun(EventShape.Standard, _http), run => run.Run(StandardEvents));
    }

    [GlobalSetup(Target = nameof(StandardSpool))]
    public void SetupSpool()
    {
        _spoolDirectory = Path.Combine(Path.GetTempPath(), $"sluice-bench-spool-{Guid.NewGuid():N}");
        Start(new EndToEndRun(EventShape.Standard, new NullTransport(), new SpoolOptions { DirectoryPath = _spoolDirectory }), run => run.Run(StandardEvents));
    }

    private void Start(EndToEndRun run, Action<EndToEndRun> round)
    {
        _run = run;
        SteadyState.WarmUp(nameof(EndToEndBenchmark), () => round(run));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var c = _run.Engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        _http?.Dispose();
        _receiver?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_spoolDirectory is not null)
            Directory.Delete(_spoolDirectory, recursive: true);
        if (c.Delivered != c.Accepted)
            throw new InvalidOperationException($"Events went missing: accepted {c.Accepted}, delivered {c.Delivered}.");
        ProcessAllocation.Save();
    }

    /// <summary>The allocation-free API (a static callback and a state argument): the headline figure.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StandardEvents)]
    public void Standard()
    {
        var start = ProcessAllocation.Start();
        _run.Run(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(Standard));
    }

    /// <summary>The convenient API: dictionaries built by the caller for every event (as most callers would).</summary>
    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void StandardDictionary()
    {
        var start = ProcessAllocation.Start();
        _run.RunDictionaries(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(StandardDictionary));
    }

    /// <summary>As <see cref="Standard"/>, delivered over HTTP to a receiver on loopback.</summary>
    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void StandardHttp()
    {
        var start = ProcessAllocation.Start();
        _run.Run(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(StandardHttp));
    }

    /// <summary>As <see cref="Standard"/>, with the disk spool on (default sync policy).</summary>
    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void StandardSpool()
    {
        var start = ProcessAllocation.Start();
        _run.Run(StandardEvents);
        ProcessAllocation.Stop(start, StandardEvents, nameof(EndToEndBenchmark) + "." + nameof(StandardSpool));
    }

    [Benchmark(OperationsPerInvoke = LargeEvents)]
    public void Large()
    {
        var start = ProcessAllocation.Start();
        _run.Run(LargeEvents);
        ProcessAllocation.Stop(start, LargeEvents, nameof(EndToEndBenchmark) + "." + nameof(Large));
    }
}
