using Sluice.Delivery;
using Sluice.Delivery.Transports;
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
    public static readonly string[] Formats = ["thrivestack", "segment", "primedata"];

    /// <summary>Each credential option, the environment variable read when the option is absent, and what it is.</summary>
    public static readonly (string Option, string Variable, string Description)[] Credentials =
    [
        ("token", "SLUICE_TOKEN", "thrivestack: the bearer token of the track API."),
        ("api-key", "SLUICE_API_KEY", "thrivestack: the x-api-key of the page API."),
        ("write-key", "SLUICE_WRITE_KEY", "segment: the write key."),
        ("client-id", "SLUICE_CLIENT_ID", "primedata: the client id (also the events' scope, for files too)."),
        ("client-access-token", "SLUICE_CLIENT_ACCESS_TOKEN", "primedata: the client access token."),
    ];

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

    /// <exception cref="CliException">A usage error (2) or an output directory that cannot be written (73).</exception>
    public static SendTarget Create(SendSettings settings, Func<string, string?> environment)
    {
        string formatName = settings.Format;
        string? Credential(string option) => settings.Credentials.GetValueOrDefault(option) is { Length: > 0 } value ? value
            : environment(Variable(option)) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        string Required(string option, string why) => Credential(option)
            ?? throw new CliException(ExitCodes.Usage, $"--format {formatName} needs --{option} (or {Variable(option)}): {why}.");

        WireFormat format = formatName switch
        {
            "thrivestack" => ThriveStackFormat.Instance,
            "segment" => new SegmentFormat(),
            _ => new PrimeDataFormat(Required("client-id", "it is every event's scope")),
        };

        if (settings.Endpoint is not { } endpoint)
        {
            if (settings.Gzip)
                throw new CliException(ExitCodes.Usage, "--gzip applies to --endpoint only (files hold the exact, uncompressed request body).");
            string outDir = Path.GetFullPath(settings.Out ?? Path.Combine(Environment.CurrentDirectory, "sluice-out"));
            return new SendTarget(format, new FileTransport(WritableDirectory(outDir)), outDir);
        }

        if (settings.Out is not null)
            throw new CliException(ExitCodes.Usage, "--out applies to file output only: with --endpoint the batches go to the API.");
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            throw new CliException(ExitCodes.Usage, $"--endpoint must be an absolute http or https URL, got '{endpoint}'.");

        var authentication = formatName switch
        {
            "thrivestack" => ThriveStack(Credential("token"), Credential("api-key")),
            "segment" => HttpAuthentication.Segment(Required("write-key", "it authenticates the batch API")),
            _ => HttpAuthentication.PrimeData(Required("client-id", "it is the X-Client-Id header"), Required("client-access-token", "it authenticates the tracking API")),
        };
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

    private static string Variable(string option) => Credentials.Single(c => c.Option == option).Variable;

    private static HttpAuthentication ThriveStack(string? token, string? apiKey)
    {
        if (token is null && apiKey is null)
            throw new CliException(ExitCodes.Usage, "--format thrivestack needs --token (SLUICE_TOKEN) for track events and/or --api-key (SLUICE_API_KEY) for page events.");
        return HttpAuthentication.ThriveStack(token, apiKey);
    }
}
