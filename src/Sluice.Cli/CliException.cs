namespace Sluice.Cli;

/// <summary>A condition that ends a command with a one-line message and a chosen exit code (no stack trace).</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
