using Sluice.Serialization;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// The three built-in APIs by name: the wire format of each and the credentials it needs. One mapping
/// for every front end: the command line (<c>--format</c>, <c>--token</c>, <c>SLUICE_TOKEN</c>) and the
/// hosting package's configuration (<c>Format</c>, <c>Credentials:Token</c>) name the same things.
/// </summary>
internal static class BuiltInApi
{
    /// <summary>The format names, lower case (names compare case-insensitively).</summary>
    public static readonly string[] Formats = ["thrivestack", "segment", "primedata"];

    /// <summary>Each credential, its command-line option and environment variable, and what it is.</summary>
    public static readonly (ApiCredential Credential, string Option, string Variable, string Description)[] Credentials =
    [
        (ApiCredential.Token, "token", "SLUICE_TOKEN", "thrivestack: the bearer token of the track API."),
        (ApiCredential.ApiKey, "api-key", "SLUICE_API_KEY", "thrivestack: the x-api-key of the page API."),
        (ApiCredential.WriteKey, "write-key", "SLUICE_WRITE_KEY", "segment: the write key."),
        (ApiCredential.ClientId, "client-id", "SLUICE_CLIENT_ID", "primedata: the client id (also the events' scope, for files too)."),
        (ApiCredential.ClientAccessToken, "client-access-token", "SLUICE_CLIENT_ACCESS_TOKEN", "primedata: the client access token."),
    ];

    /// <summary>Whether <paramref name="name"/> is a built-in format (any case).</summary>
    public static bool IsFormat(string? name) => name is not null && Array.Exists(Formats, f => f.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What <paramref name="format"/> lacks among the given credentials, each entry a set of alternatives (any one
    /// of them would do); empty when <see cref="Format"/> and <see cref="Authentication"/> will succeed.
    /// </summary>
    /// <param name="format">A built-in format name.</param>
    /// <param name="http">Whether the batches go to the API (else only what the events themselves need is required).</param>
    /// <param name="credential">The value of each credential, or null.</param>
    public static List<CredentialNeed[]> Missing(string format, bool http, Func<ApiCredential, string?> credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var missing = new List<CredentialNeed[]>();
        void Need(params CredentialNeed[] anyOf)
        {
            if (!Array.Exists(anyOf, n => !string.IsNullOrWhiteSpace(credential(n.Credential))))
                missing.Add(anyOf);
        }

        switch (Canonical(format))
        {
            case "thrivestack" when http:
                Need(new(ApiCredential.Token, "for track events"), new(ApiCredential.ApiKey, "for page events"));
                break;
            case "segment" when http:
                Need(new CredentialNeed(ApiCredential.WriteKey, "it authenticates the batch API"));
                break;
            case "primedata":
                Need(new CredentialNeed(ApiCredential.ClientId, http ? "it is the X-Client-Id header and every event's scope" : "it is every event's scope"));
                if (http)
                    Need(new CredentialNeed(ApiCredential.ClientAccessToken, "it authenticates the tracking API"));
                break;
        }

        return missing;
    }

    /// <summary>The wire format of <paramref name="format"/>; check <see cref="Missing"/> first.</summary>
    public static WireFormat Format(string format, Func<ApiCredential, string?> credential) => Canonical(format) switch
    {
        "thrivestack" => ThriveStackFormat.Instance,
        "segment" => new SegmentFormat(),
        _ => new PrimeDataFormat(Value(credential, ApiCredential.ClientId)!),
    };

    /// <summary>The credentials of <paramref name="format"/>'s API; check <see cref="Missing"/> (with http) first.</summary>
    public static HttpAuthentication Authentication(string format, Func<ApiCredential, string?> credential) => Canonical(format) switch
    {
        "thrivestack" => HttpAuthentication.ThriveStack(Value(credential, ApiCredential.Token), Value(credential, ApiCredential.ApiKey)),
        "segment" => HttpAuthentication.Segment(Value(credential, ApiCredential.WriteKey)!),
        _ => HttpAuthentication.PrimeData(Value(credential, ApiCredential.ClientId)!, Value(credential, ApiCredential.ClientAccessToken)!),
    };

    /// <summary>
    /// Which credential given for <paramref name="format"/>'s API cannot be sent, and why (a pasted <c>Bearer </c>, a line break,
    /// a character a header cannot hold: the reason never quotes the value); null when <see cref="Authentication"/> will succeed.
    /// Check <see cref="Missing"/> (with http) first. For the front ends, which name the credential by their own option or setting.
    /// </summary>
    public static (ApiCredential Credential, string Reason)? Refused(string format, Func<ApiCredential, string?> credential)
    {
        try
        {
            Authentication(format, credential);
            return null;
        }
        catch (ArgumentException ex) when (ByParameter(ex.ParamName) is { } which)
        {
            return (which, ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }
    }

    // The parameters of HttpAuthentication's factories, as Authentication passes the credentials to them.
    private static ApiCredential? ByParameter(string? parameter) => parameter switch
    {
        "trackToken" => ApiCredential.Token,
        "pageApiKey" => ApiCredential.ApiKey,
        "writeKey" => ApiCredential.WriteKey,
        "clientId" => ApiCredential.ClientId,
        "accessToken" => ApiCredential.ClientAccessToken,
        _ => null,
    };

    private static string Canonical(string format) => Array.Find(Formats, f => f.Equals(format, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown format '{format}': use one of {string.Join(", ", Formats)}.", nameof(format));

    private static string? Value(Func<ApiCredential, string?> credential, ApiCredential which)
        => credential(which) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
