using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;

namespace Sluice.Cli;

/// <summary>
/// Where <c>sluice send</c> delivers: the wire format (<c>--format</c>) and either the HTTP API at
/// <c>--endpoint</c> with the format's credentials (options, else environment variables) or, without
/// an endpoint, the file transport.
/// </summary>
internal sealed class SendTarget : IDisposable
{
    /// <summary>Each credential option and the environment variable read when the option is absent.</summary>
    public static readonly (string Option, string Variable)[] Credentials =
    [
        ("token", "SLUICE_TOKEN"),
        ("api-key", "SLUICE_API_KEY"),
        ("write-key", "SLUICE_WRITE_KEY"),
        ("client-id", "SLUICE_CLIENT_ID"),
        ("client-access-token", "SLUICE_CLIENT_ACCESS_TOKEN"),
    ];

    private SendTarget(WireFormat format, IBatchTransport transport, string destination)
    {
        Format = format;
        Transport = transport;
        Destination = destination;
    }

    public WireFormat Format { get; }

    public IBatchTransport Transport { get; }

    /// <summary>A URL or a directory, for the summary line.</summary>
    public string Destination { get; }

    public bool IsHttp => Transport is HttpTransport;

    public static SendTarget Create(Arguments args, Func<string, string?> environment)
    {
        string formatName = args.Get("format") ?? "thrivestack";
        string? Credential(string option) => args.Get(option) is { Length: > 0 } value ? value
            : environment(Credentials.Single(c => c.Option == option).Variable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        string Required(string option, string why) => Credential(option)
            ?? throw new ArgumentException($"--format {formatName} needs --{option} (or {Credentials.Single(c => c.Option == option).Variable}): {why}.");

        WireFormat format = formatName switch
        {
            "thrivestack" => ThriveStackFormat.Instance,
            "segment" => new SegmentFormat(),
            "primedata" => new PrimeDataFormat(Required("client-id", "it is every event's scope")),
            _ => throw new ArgumentException($"Unknown --format '{formatName}': thrivestack, segment or primedata."),
        };

        if (args.Get("endpoint") is not { } endpoint)
        {
            if (args.Has("gzip"))
                throw new ArgumentException("--gzip applies to --endpoint only (files hold the exact, uncompressed request body).");
            string outDir = args.Get("out") ?? Path.Combine(Environment.CurrentDirectory, "sluice-out");
            return new SendTarget(format, new FileTransport(outDir), outDir);
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"--endpoint must be an absolute http or https URL, got '{endpoint}'.");

        var authentication = formatName switch
        {
            "thrivestack" => ThriveStack(Credential("token"), Credential("api-key")),
            "segment" => HttpAuthentication.Segment(Required("write-key", "it authenticates the batch API")),
            _ => HttpAuthentication.PrimeData(Required("client-id", "it is the X-Client-Id header"), Required("client-access-token", "it authenticates the tracking API")),
        };
        var transport = new HttpTransport(new HttpTransportOptions { BaseAddress = baseAddress, Authentication = authentication, Gzip = args.Has("gzip") });
        return new SendTarget(format, transport, baseAddress.AbsoluteUri);
    }

    public void Dispose() => (Transport as IDisposable)?.Dispose();

    private static HttpAuthentication ThriveStack(string? token, string? apiKey)
    {
        if (token is null && apiKey is null)
            throw new ArgumentException("--format thrivestack needs --token (SLUICE_TOKEN) for track events and/or --api-key (SLUICE_API_KEY) for page events.");
        return HttpAuthentication.ThriveStack(token, apiKey);
    }
}
