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

    /// <summary>Compress request bodies (<c>Content-Encoding: gzip</c>). Batch limits still count uncompressed bytes.</summary>
    /// <value>Default false.</value>
    public bool Gzip { get; set; }

    /// <summary>How long one request may take, connecting and reading the reply included; past it the attempt is a transient failure.</summary>
    /// <value>Default 30 seconds. Range 1 ms – 10 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for HTTP-date <c>Retry-After</c> values when a reply has no <c>Date</c> header, and for the request timeout.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal HttpTransportOptions Validated()
    {
        var errors = new List<string>();
        if (BaseAddress is not { IsAbsoluteUri: true } || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
            errors.Add($"{nameof(BaseAddress)} must be an absolute http or https address (was {BaseAddress?.OriginalString ?? "null"}).");
        if (Authentication is null)
            errors.Add($"{nameof(Authentication)} is required (use HttpAuthentication.None for none).");
        if (RequestTimeout < TimeSpan.FromMilliseconds(1) || RequestTimeout > TimeSpan.FromMinutes(10))
            errors.Add($"{nameof(RequestTimeout)} must be between 1 ms and 10 minutes (was {RequestTimeout}).");
        if (TimeProvider is null)
            errors.Add($"{nameof(TimeProvider)} is required.");
        if (errors.Count > 0)
            throw new ArgumentException("Invalid HTTP transport options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "- " + e)), "options");
        return (HttpTransportOptions)MemberwiseClone();
    }
}
