namespace Sluice.Extensions.Hosting;

/// <summary>
/// The credentials of the built-in APIs (configuration section <c>Credentials</c>): each format uses its own.
/// The same names as the command line's options (<c>--token</c>, <c>--write-key</c>, …); from the environment, as any
/// configuration key: <c>Sluice__Credentials__Token</c>, <c>Sluice__Credentials__WriteKey</c>, … (the command line's
/// <c>SLUICE_TOKEN</c> variables are not read). Never logged, never in a validation message.
/// </summary>
public sealed class SluiceCredentials
{
    /// <summary>ThriveStack: the bearer token of the track API.</summary>
    public string? Token { get; set; }

    /// <summary>ThriveStack: the <c>x-api-key</c> of the page API.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Segment-style batch API: the write key.</summary>
    public string? WriteKey { get; set; }

    /// <summary>PrimeData: the client id (also every event's <c>scope</c>).</summary>
    public string? ClientId { get; set; }

    /// <summary>PrimeData: the client access token.</summary>
    public string? ClientAccessToken { get; set; }

    /// <summary>Which credentials are set, never their values.</summary>
    public override string ToString()
    {
        string[] set = [.. new[] { (nameof(Token), Token), (nameof(ApiKey), ApiKey), (nameof(WriteKey), WriteKey), (nameof(ClientId), ClientId), (nameof(ClientAccessToken), ClientAccessToken) }
            .Where(c => !string.IsNullOrEmpty(c.Item2)).Select(c => c.Item1)];
        return set.Length == 0 ? "no credentials" : "credentials set: " + string.Join(", ", set);
    }
}
