using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;

namespace Sluice.Cli;

/// <summary>
/// Where <c>sluice send</c> delivers: the wire format (<c>--format</c>) and either the HTTP API at
/// <c>--endpoint</c> with the format's credentials (options, else environment variables) or, without
/// an endpoint, the file transport into <c>--out</c>.
/// </summary>
internal sealed class SendTarget : IDisposable
{
    /// <summary>The formats <c>--format</c> accepts.</summary>
    public static string[] Formats => BuiltInApi.Formats;

    private SendTarget(WireFormat format, IBatchTransport transport, string destination)
    {
        Format = format;
        Transport = transport;
        Destination = destination;
    }

    public WireFormat Format { get; }

    public IBatchTransport Transport { get; }

    /// <summary>A URL or a directory, for the summary.</summary>
    public string Destination { get; }

    public bool IsHttp => Transport is HttpTransport;

    /// <summary>Completes with the reason when a batch file cannot be written (file output); never with --endpoint.</summary>
    public Task<string> WriteFailed => (Transport as BatchFiles)?.WriteFailed.Task ?? Never;

    private static readonly Task<string> Never = new TaskCompletionSource<string>().Task;

    /// <exception cref="CliException">A usage error (2) or an output directory that cannot be written (73).</exception>
    public static SendTarget Create(SendSettings settings, Func<string, string?> environment)
    {
        string formatName = settings.Format;
        string? Credential(ApiCredential credential)
        {
            string option = Option(credential);
            return settings.Credentials.GetValueOrDefault(option) is { Length: > 0 } value ? value
                : environment(Variable(option)) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        }

        if (BuiltInApi.Missing(formatName, http: settings.Endpoint is not null, Credential) is [var anyOf, ..])
            throw new CliException(ExitCodes.Usage, $"--format {formatName} needs {Needs(anyOf)}{Blank(anyOf, settings, environment)}.");
        WireFormat format = BuiltInApi.Format(formatName, Credential);

        if (settings.Endpoint is not { } endpoint)
        {
            if (settings.Gzip)
                throw new CliException(ExitCodes.Usage, "--gzip applies to --endpoint only (files hold the exact, uncompressed request body).");
            string outDir = Path.GetFullPath(settings.Out ?? Path.Combine(Environment.CurrentDirectory, "sluice-out"));
            return new SendTarget(format, new BatchFiles(WritableDirectory(outDir)), outDir);
        }

        if (settings.Out is not null)
            throw new CliException(ExitCodes.Usage, "--out applies to file output only: with --endpoint the batches go to the API.");
        // The transport's rule, said as a usage error naming the option (the transport would refuse it as an internal error).
        Uri.TryCreate(endpoint, UriKind.RelativeOrAbsolute, out var parsed);
        if (HttpTransportOptions.AddressProblem(parsed) is { } problem)
        {
            throw new CliException(ExitCodes.Usage, parsed is null
                ? $"--endpoint must be an absolute http or https address (was '{endpoint}')."
                : $"--endpoint {problem}" + (parsed is { IsAbsoluteUri: true, UserInfo.Length: > 0 } ? $" (the options or environment variables of --format {formatName})." : "."));
        }

        var baseAddress = parsed!; // no problem: an address

        if (BuiltInApi.Refused(formatName, Credential) is var (refused, reason))
            throw new CliException(ExitCodes.Usage, $"--{Option(refused)} ({Variable(Option(refused))}): {reason}");
        var authentication = BuiltInApi.Authentication(formatName, Credential);
        var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = baseAddress, Authentication = authentication, Gzip = settings.Gzip });
        return new SendTarget(format, transport, baseAddress.AbsoluteUri);
    }

    /// <summary>
    /// Creates <paramref name="directory"/> if needed and proves a file can be written in it, so that a
    /// bad <c>--out</c> is one clear error before any input is read, not a failure per batch.
    /// </summary>
    /// <exception cref="CliException">It cannot be created or written (73).</exception>
    public static string WritableDirectory(string directory)
    {
        // CreateDirectory's own words for this case ("The file '…' already exists") read as if the batch files collided.
        if (File.Exists(directory))
            throw new CliException(ExitCodes.CannotCreate, $"--out {directory} is a file, not a directory: name a directory for the batch files.");
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".sluice-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return directory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.CannotCreate, $"--out {directory} cannot be written: {ex.Message}");
        }
    }

    public void Dispose() => (Transport as IDisposable)?.Dispose();

    private static string Option(ApiCredential credential) => Array.Find(BuiltInApi.Credentials, c => c.Credential == credential).Option;

    private static string Variable(string option) => Array.Find(BuiltInApi.Credentials, c => c.Option == option).Variable;

    /// <summary>
    /// "; SLUICE_WRITE_KEY is set but blank (whitespace only)" for each of <paramref name="anyOf"/> given so (the option before the
    /// variable, as <see cref="Create"/> reads them), or "": a blank value counts as none, and "needs" alone read as if it were unset.
    /// </summary>
    private static string Blank(CredentialNeed[] anyOf, SendSettings settings, Func<string, string?> environment) => string.Concat(anyOf.Select(n =>
    {
        string option = Option(n.Credential);
        return settings.Credentials.GetValueOrDefault(option) is { Length: > 0 } given
            ? (string.IsNullOrWhiteSpace(given) ? $"; --{option} is blank (whitespace only)" : "")
            : environment(Variable(option)) is { Length: > 0 } set && string.IsNullOrWhiteSpace(set) ? $"; {Variable(option)} is set but blank (whitespace only)" : "";
    }));

    /// <summary>"--write-key (or SLUICE_WRITE_KEY): it authenticates the batch API", or alternatives joined by "and/or".</summary>
    private static string Needs(CredentialNeed[] anyOf)
    {
        if (anyOf is [var only])
            return $"--{Option(only.Credential)} (or {Variable(Option(only.Credential))}): {only.Why}";
        return string.Join(" and/or ", anyOf.Select(n => $"--{Option(n.Credential)} ({Variable(Option(n.Credential))}) {n.Why}"));
    }
}
