using BenchmarkDotNet.Attributes;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Benchmarks;

/// <summary>
/// CPU per delivered event: one producer thread (the benchmark thread) → engine → HTTP to a
/// receiver on loopback in another process (<see cref="ReceiverProcess"/>), <see cref="FullMode.Wait"/>.
/// An invocation produces its events and waits until all are delivered; the "CPU ns/op" column is
/// the whole process's CPU time (user + system, every thread: caller, serializer, senders, the
/// runtime's own) per event, which the ratio table sets against the ceiling's time per event (one
/// busy thread: its time is its CPU). The receiver's CPU is its own process's, not counted.
/// <see cref="Paced"/> (the ratio judged) tracks at <see cref="Rate"/> events per second, as a host
/// does: the engine waits between the caller's slices, and what its waiting costs shows;
/// <see cref="Saturated"/> tracks as fast as the engine takes events.
/// </summary>
[InvocationCount(1, 1)]
public class CpuBenchmark
{
    public const int StandardEvents = 200_000;

    /// <summary>The paced caller's rate: about what other SDKs sustain over HTTP on a 2-core machine, well below the engine's.</summary>
    public const int Rate = 400_000;

    private ReceiverProcess _receiver = null!;
    private HttpTransport _http = null!;
    private EndToEndRun _run = null!;

    /// <summary>What the figures are saved under (not the type's name: BenchmarkDotNet runs a class it derives).</summary>
    protected virtual string Key => nameof(CpuBenchmark);

    [GlobalSetup]
    public virtual void Setup()
    {
        _receiver = ReceiverProcess.Start();
        _http = new HttpTransport(new HttpTransportOptions { BaseAddress = _receiver.BaseAddress });
        _run = new EndToEndRun(EventShape.Standard, _http);
        SteadyState.WarmUp(nameof(CpuBenchmark), () => _run.Run(StandardEvents));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var c = _run.Engine.ShutdownAsync().GetAwaiter().GetResult().Counters;
        _http.Dispose();
        _receiver.Dispose();
        if (c.Delivered != c.Accepted)
            throw new InvalidOperationException($"Events went missing: accepted {c.Accepted}, delivered {c.Delivered}.");
        ProcessCpu.Save();
    }

    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void Paced()
    {
        var start = ProcessCpu.Start();
        _run.RunPaced(StandardEvents, Rate);
        ProcessCpu.Stop(start, StandardEvents, Key + "." + nameof(Paced));
    }

    [Benchmark(OperationsPerInvoke = StandardEvents)]
    public void Saturated()
    {
        var start = ProcessCpu.Start();
        _run.Run(StandardEvents);
        ProcessCpu.Stop(start, StandardEvents, Key + "." + nameof(Saturated));
    }
}
