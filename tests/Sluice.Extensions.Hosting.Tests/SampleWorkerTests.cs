using System.Diagnostics;
using System.Reflection;
using System.Text;
using Sluice.Collector;
using Sluice.Tests.Support;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>
/// samples/Sluice.Samples.Worker run as samples/README.md says, in its own process (its appsettings.json, its
/// Program.cs), against the reference collector: only the endpoint's port is given on the command line.
/// </summary>
public sealed class SampleWorkerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sample_Events_sends_that_many_events_then_stops_with_all_of_them_delivered()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var sample = SampleProcess.Start(collector, "--Sample:Events=5", "--Sample:Interval=00:00:00.010");

        Assert.Equal(0, await sample.WaitForExitAsync(Bound));

        Assert.Equal(5, Received(collector));
        Assert.EndsWith("Sluice engine default shut down: all 5 events delivered (5 accepted, 0 replayed from the spool).", sample.Output.TrimEnd(), StringComparison.Ordinal);
    }

    [SigintFact]
    public Task Ctrl_C_stops_the_sample_and_its_log_ends_with_every_accepted_event_delivered() => StopsWithEveryEventDeliveredAsync("INT");

    // docker stop, systemd and Kubernetes send SIGTERM, not SIGINT.
    [Fact]
    public Task SIGTERM_stops_the_sample_as_a_container_stop_does_and_its_log_ends_with_every_accepted_event_delivered() => StopsWithEveryEventDeliveredAsync("TERM");

    /// <summary>The sample, delivering, gets <paramref name="signal"/>: it exits 0 and its log's last line says every accepted event was delivered.</summary>
    private static async Task StopsWithEveryEventDeliveredAsync(string signal)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var sample = SampleProcess.Start(collector, "--Sample:Interval=00:00:00.010");
        await sample.WaitForOutputAsync("Application started.", Bound);
        await TestHost.Eventually(() => Task.FromResult(Received(collector) > 0), "the sample delivers while it runs");

        sample.Signal(signal);

        Assert.Equal(0, await sample.WaitForExitAsync(Bound));
        int delivered = Received(collector);
        Assert.EndsWith($"Sluice engine default shut down: all {delivered} events delivered ({delivered} accepted, 0 replayed from the spool).", sample.Output.TrimEnd(), StringComparison.Ordinal);
    }

    private static int Received(ReferenceCollector collector)
        => collector.Received(CollectorApi.ThriveStackTrack).EventCount + collector.Received(CollectorApi.ThriveStackPage).EventCount;

    /// <summary>The sample's build (<c>dotnet Sluice.Samples.Worker.dll</c>) with its output read; killed if still running at the end.</summary>
    private sealed class SampleProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Lock _lock = new();
        private readonly StringBuilder _output = new();

        private SampleProcess(Process process) => _process = process;

        public string Output
        {
            get
            {
                lock (_lock)
                    return _output.ToString();
            }
        }

        public static SampleProcess Start(ReferenceCollector collector, params string[] args)
        {
            string sample = typeof(SampleWorkerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleWorker").Value!;
            string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(sample);
            start.ArgumentList.Add($"--Sluice:Endpoint={collector.BaseAddress.AbsoluteUri}");
            foreach (string arg in args)
                start.ArgumentList.Add(arg);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

            var process = new Process { StartInfo = start };
            var run = new SampleProcess(process);
            process.OutputDataReceived += (_, e) => run.Append(e.Data);
            process.ErrorDataReceived += (_, e) => run.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return run;
        }

        /// <summary>Sends a signal (INT: what Ctrl+C sends) with the system's kill.</summary>
        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-s", name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(kill.WaitForExit(5_000), "kill returned");
        }

        public Task WaitForOutputAsync(string text, TimeSpan timeout)
            => TestHost.Eventually(() =>
            {
                Assert.False(_process.HasExited, $"the sample exited before printing '{text}':\n{Output}");
                return Task.FromResult(Output.Contains(text, StringComparison.Ordinal));
            }, $"the sample prints '{text}'", (int)timeout.TotalMilliseconds);

        /// <summary>The exit code, once the process has ended and its output is read.</summary>
        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the sample did not exit within {timeout}:\n{Output}");
            }

            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
                return;
            lock (_lock)
                _output.AppendLine(line);
        }
    }
}
