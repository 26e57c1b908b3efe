using System.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Benchmarks;

/// <summary>
/// The loopback receiver in a process of its own (this benchmark assembly run with
/// <see cref="Flag"/>), so that the CPU a benchmark reads for its own process
/// (<see cref="Environment.CpuUsage"/>) is the engine's alone: reading and discarding the bodies is
/// the receiver's work, not the engine's. The receiver stops when its standard input closes.
/// </summary>
internal sealed class ReceiverProcess : IDisposable
{
    public const string Flag = "--receiver";

    /// <summary>Set by the benchmark host to its own assembly: BenchmarkDotNet runs benchmarks from a generated program, which cannot serve as the receiver.</summary>
    public const string HostVariable = "SLUICE_BENCH_HOST";

    private readonly Process _process;

    private ReceiverProcess(Process process, Uri address)
    {
        _process = process;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts the receiver and waits for its address.</summary>
    public static ReceiverProcess Start()
    {
        string host = Environment.GetEnvironmentVariable(HostVariable) ?? typeof(ReceiverProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(Flag);
        var process = Process.Start(start) ?? throw new InvalidOperationException("The receiver process did not start.");
        string? line = process.StandardOutput.ReadLine();
        if (line is null || !Uri.TryCreate(line, UriKind.Absolute, out var address))
        {
            process.Kill();
            throw new InvalidOperationException($"The receiver process did not report its address (it wrote: {line ?? "nothing"}).");
        }

        return new ReceiverProcess(process, address);
    }

    /// <summary>The receiver's own entry point: serves until standard input closes.</summary>
    public static int Serve()
    {
        var server = DiscardingServer.StartAsync().GetAwaiter().GetResult();
        Console.WriteLine(server.BaseAddress);
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
            // Nothing is sent on standard input: it closing is the signal to stop.
        }

        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            _process.Kill();
        _process.Dispose();
    }
}
