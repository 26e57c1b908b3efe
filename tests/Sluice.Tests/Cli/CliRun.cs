using System.Text;
using Sluice.Cli;

namespace Sluice.Tests.Cli;

/// <summary>What a run of the command line printed, and its exit code.</summary>
internal sealed record CliResult(int Exit, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Exit}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the command line in this process, with its own console streams.</summary>
internal static class CliRun
{
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, new MemoryStream());

    public static async Task<CliResult> RunAsync(string[] args, Stream stdin, IReadOnlyDictionary<string, string>? environment = null,
        bool terminal = false, Interrupts? interrupts = null, LockedWriter? stderr = null)
    {
        var stdout = new LockedWriter();
        stderr ??= new LockedWriter();
        using var own = interrupts is null ? new Interrupts() : null;
        var console = new CliConsole(stdin, stdout, stderr, terminal, name => environment?.GetValueOrDefault(name));
        int exit = await CommandLine.RunAsync(args, console, interrupts ?? own!);
        return new CliResult(exit, stdout.Text, stderr.Text);
    }

    public static Stream Stdin(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));
}
