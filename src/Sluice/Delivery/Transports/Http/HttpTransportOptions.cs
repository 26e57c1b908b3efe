namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// Settings of an <see cref="HttpTransport"/>, read once when it is created and validated then (every
/// problem reported in one exception).
/// </summary>
public sealed class HttpTransportOptions
{
    /// <summary>Where the API lives; each partition's endpoint path is appended (<c>https://api.app.thrivestack.ai</c> + <c>/api/track</c>).</summary>
    /// <value>Required: an absolute http or https address.</value>
    public Uri? BaseAddress { get; set; }

    /// <summary>The credentials added to each request, per endpoint.</summary>
    /// <value>Default <see cref="HttpAuthentication.None"/>.</value>
    public HttpAuthentication Authentication { get; set; } = HttpAuthentication.None;

    /// <summary>
    /// Compress request bodies (<c>Content-Encoding: gzip</c>), before each request, into the engine's pooled memory: the body
    /// goes with its exact <c>Content-Length</c>, never chunked. Batch limits still count uncompressed bytes. The built-in APIs'
    /// documents do not say they take compressed bodies: an endpoint that does not answers 400 to every request, and every
    /// event ends rejected by the server.
    /// </summary>
    /// <value>Default false.</value>
    public bool Gzip { get; set; }

    /// <summary>How long one request may take, connecting and reading the reply included; past it the attempt is a transient failure.</summary>
    /// <value>Default 30 seconds. Range 1 ms – 10 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for HTTP-date <c>Retry-After</c> values when a reply has no <c>Date</c> header, and for the request timeout.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Headers added to every request, such as a tenant or routing header a proxy needs. They cannot replace
    /// what the transport writes itself (<c>Authorization</c> and the other credentials, <c>Content-*</c>, <c>Transfer-Encoding</c>,
    /// <c>User-Agent</c>); a value is one line of printable ASCII, the only text <see cref="HttpClient"/> sends.
    /// </summary>
    /// <value>Default none.</value>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The product tokens of a library that wraps Sluice, written before Sluice's own in the <c>User-Agent</c>
    /// header: <c>my-sdk/1.2.0</c> makes it <c>my-sdk/1.2.0 Sluice/0.1.0</c>.
    /// </summary>
    /// <value>Default none (<c>Sluice/0.1.0</c> alone).</value>
    public string? UserAgent { get; set; }

    /// <summary>The headers the transport writes itself; <see cref="Headers"/> cannot name them.</summary>
    private static readonly string[] ReservedHeaders = ["Authorization", "x-api-key", "X-Client-Id", "X-Client-Access-Token", "User-Agent", "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Host"];

    internal HttpTransportOptions Validated()
    {
        var errors = Problems();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid HTTP transport options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "- " + e)), "options");
        var copy = (HttpTransportOptions)MemberwiseClone();
        copy.FixedHeaders = [.. Headers.Select(h => (h.Key, h.Value))];
        return copy;
    }

    /// <summary>The <see cref="Headers"/> of a validated copy, fixed when it was made.</summary>
    internal (string Name, string Value)[] FixedHeaders { get; private set; } = [];

    /// <summary>
    /// Why <paramref name="address"/> cannot be the API's base address, in words that follow the name of the setting holding it
    /// ("must …"), or null if it can. The one rule for this transport, the command line's <c>--endpoint</c> and the hosting
    /// package's <c>Endpoint</c>. A user name or password is never echoed.
    /// </summary>
    internal static string? AddressProblem(Uri? address) => address switch
    {
        null => "must be an absolute http or https address (was none)",
        { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") } => $"must be an absolute http or https address (was '{address.OriginalString}')",
        // Each endpoint's path is appended to the address: after a query or fragment it would be part of it, and every request go to one URL.
        { Query.Length: > 0 } or { Fragment.Length: > 0 } => "must not have a query or fragment: each endpoint's path (/api/track, /v1/batch, …) is appended to it",
        // HttpClient does not send a URL's user:password@, and diagnostics repeat the address.
        { UserInfo.Length: > 0 } => "must not hold a user name or password: HttpClient does not send them; give the API's credentials as credentials",
        _ => null,
    };

    /// <summary>Every problem of these settings, one sentence each naming the setting; empty when they are valid. Never quotes a header's value.</summary>
    internal List<string> Problems()
    {
        var errors = new List<string>();
        if (AddressProblem(BaseAddress) is { } address)
            errors.Add($"{nameof(BaseAddress)} {address}.");
        if (Authentication is null)
            errors.Add($"{nameof(Authentication)} is required (use HttpAuthentication.None for none).");
        if (RequestTimeout < TimeSpan.FromMilliseconds(1) || RequestTimeout > TimeSpan.FromMinutes(10))
            errors.Add($"{nameof(RequestTimeout)} must be between 1 ms and 10 minutes (was {RequestTimeout}).");
        if (TimeProvider is null)
            errors.Add($"{nameof(TimeProvider)} is required.");
        foreach (var (name, value) in Headers)
        {
            if (string.IsNullOrWhiteSpace(name) || name.AsSpan().ContainsAnyExcept(HeaderNameCharacters))
                errors.Add($"{nameof(Headers)}: '{name}' is not a valid header name.");
            else if (Array.Exists(ReservedHeaders, r => r.Equals(name, StringComparison.OrdinalIgnoreCase)))
                errors.Add($"{nameof(Headers)}: {name} is written by the transport itself and cannot be set here.");
            else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                errors.Add($"{nameof(Headers)}: {name} describes the body, which the transport writes itself: it cannot be set here."); // HttpClient would drop it
            else if (value is null || value.AsSpan().ContainsAny('\r', '\n', '\0'))
                errors.Add($"{nameof(Headers)}: the value of {name} must be one line of text.");
            else if (value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
                errors.Add($"{nameof(Headers)}: the value of {name} must be printable ASCII; HttpClient refuses anything else on every request."); // each batch would retry until it expired
        }

        using var probe = new HttpRequestMessage();
        if (UserAgent is not null && (string.IsNullOrWhiteSpace(UserAgent) || !probe.Headers.UserAgent.TryParseAdd(UserAgent)))
            errors.Add($"{nameof(UserAgent)} must be product tokens such as my-sdk/1.2.0 (was '{UserAgent}').");
        return errors;
    }

    /// <summary>The characters of an HTTP token (RFC 9110).</summary>
    private static readonly System.Buffers.SearchValues<char> HeaderNameCharacters =
        System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
