using System.Diagnostics;
using System.Text;
using Sluice.Cli;

namespace Sluice.Tests.Cli;

/// <summary>
/// The <c>sluice</c> tool in a child process (<c>dotnet sluice.dll</c>, the build this test project
/// references), for what only a process has: signals, and standard streams that are not terminals.
/// Every wait is bounded; a process still running at the end is killed.
/// </summary>
internal sealed class SluiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private SluiceProcess(Process process) => _process = process;

    public string Stdout
    {
        get
        {
            lock (_lock)
                return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
                return _stderr.ToString();
        }
    }

    public static SluiceProcess Start(params string[] args) => Launch(null, closeInput: true, args);

    /// <summary>Starts sluice through <paramref name="wrapper"/>, a command that runs the rest of its arguments (<c>setpriv</c> as another user).</summary>
    public static SluiceProcess StartWrapped(string[] wrapper, params string[] args) => Launch(null, closeInput: true, args, wrapper);

    /// <summary>
    /// Starts sluice through /bin/sh with the shell's <paramref name="redirections"/> of its standard streams (<c>2&gt;&amp;-</c>:
    /// standard error closed; <c>&gt;/dev/full</c>), applied after this class's own.
    /// </summary>
    public static SluiceProcess StartRedirected(string redirections, params string[] args) => Launch(redirections, closeInput: true, args);

    /// <summary>Starts sluice with its standard input a pipe left open: write to it with <see cref="Input"/>.</summary>
    public static SluiceProcess StartWithOpenInput(params string[] args) => Launch(null, closeInput: false, args);

    /// <summary>Standard input, while it is open (<see cref="StartWithOpenInput"/>).</summary>
    public StreamWriter Input => _process.StandardInput;

    private static SluiceProcess Launch(string? redirections, bool closeInput, string[] args, string[]? wrapper = null)
    {
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(wrapper is [var command, ..] ? command : redirections is null ? host : "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (redirections is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"exec \"$0\" \"$@\" {redirections}"); // $0 is the host, "$@" the arguments after it
            start.ArgumentList.Add(host);
        }

        if (wrapper is not null)
        {
            foreach (string arg in wrapper.Skip(1))
                start.ArgumentList.Add(arg);
            start.ArgumentList.Add(host);
        }

        start.ArgumentList.Add(typeof(CommandLine).Assembly.Location);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var process = new Process { StartInfo = start };
        var run = new SluiceProcess(process);
        process.OutputDataReceived += (_, e) => run.Append(run._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => run.Append(run._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (closeInput)
            process.StandardInput.Close();
        return run;
    }

    /// <summary>Kills the process at once (SIGKILL on Unix): no handler runs, no buffer is flushed.</summary>
    public void Kill() => _process.Kill();

    public bool HasExited => _process.HasExited;

    /// <summary>Sends a signal (INT, TERM) with the system's kill.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-s", name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(kill.WaitForExit(5_000), "kill returned");
    }

    public async Task WaitForStderrAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited, $"sluice exited before printing '{text}':\n{Stderr}\n{Stdout}");
            Assert.True(deadline.Elapsed < timeout, $"sluice did not print '{text}' within {timeout}:\n{Stderr}");
            await Task.Delay(20);
        }
    }

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
            Assert.Fail($"sluice did not exit within {timeout}:\n{Stderr}\n{Stdout}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(StringBuilder text, string? line)
    {
        if (line is null)
            return;
        lock (_lock)
            text.AppendLine(line);
    }
}
