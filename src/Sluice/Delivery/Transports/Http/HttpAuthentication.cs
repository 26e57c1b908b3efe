using System.Net.Http.Headers;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// The credentials an <see cref="HttpTransport"/> adds to each request, chosen per partition (endpoint):
/// ThriveStack, for one, authenticates its two endpoints differently. Use a factory for the built-in
/// APIs (each sends a credential without the spaces or tabs around it), or derive for your own. Implementations are
/// immutable and thread-safe.
/// </summary>
public abstract class HttpAuthentication
{
    /// <summary>No credentials.</summary>
    public static HttpAuthentication None { get; } = new HeaderAuthentication([]);

    /// <summary>
    /// ThriveStack (its Track and Page APIs): <c>Authorization: Bearer &lt;token&gt;</c> on <c>/api/track</c>, <c>x-api-key: &lt;key&gt;</c>
    /// on <c>/api/page</c>. Either may be null if its endpoint is not used (its requests then go without credentials).
    /// </summary>
    /// <param name="trackToken">The bearer token of the Track API.</param>
    /// <param name="pageApiKey">The API key of the Page API.</param>
    public static HttpAuthentication ThriveStack(string? trackToken, string? pageApiKey) =>
        new ThriveStackAuthentication(
            trackToken is null ? null : "Bearer " + Unpadded(CheckedToken(trackToken, nameof(trackToken))),
            pageApiKey is null ? null : Unpadded(HeaderValue(pageApiKey, nameof(pageApiKey))));

    /// <summary>Segment / Customer.io batch API: HTTP Basic with the write key as user name and an empty password.</summary>
    /// <param name="writeKey">The source's write key.</param>
    public static HttpAuthentication Segment(string writeKey) =>
        new HeaderAuthentication([("Authorization", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Unpadded(Checked(writeKey, nameof(writeKey))) + ":")))]);

    /// <summary>PrimeData (its Events Tracking API): <c>X-Client-Id</c> and <c>X-Client-Access-Token</c>.</summary>
    /// <param name="clientId">The data source id (also every event's <c>scope</c>).</param>
    /// <param name="accessToken">The data source's write key.</param>
    public static HttpAuthentication PrimeData(string clientId, string accessToken) =>
        new HeaderAuthentication([("X-Client-Id", Unpadded(HeaderValue(clientId, nameof(clientId)))), ("X-Client-Access-Token", Unpadded(HeaderValue(accessToken, nameof(accessToken))))]);

    /// <summary>Adds the credentials of <paramref name="partition"/>'s endpoint to a request's headers. Called for every request, from several threads.</summary>
    public abstract void Apply(HttpRequestHeaders headers, int partition);

    /// <summary>
    /// A bearer token, without the scheme: a token pasted with its <c>Bearer </c> (as an <c>Authorization</c> header shows
    /// it) would go out as <c>Bearer Bearer …</c> and be refused on every request.
    /// </summary>
    private static string CheckedToken(string value, string name)
    {
        HeaderValue(value, name);
        if (value.TrimStart().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("Pass the token alone, without its 'Bearer ' scheme: the transport adds it.", name);
        return value;
    }

    /// <summary>
    /// A credential sent as a header's value as it is: printable ASCII. <see cref="HttpClient"/> refuses anything else on every
    /// request, which would retry each batch until it expired; refused here, at construction, naming the credential.
    /// </summary>
    private static string HeaderValue(string value, string name)
    {
        Checked(value, name);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] is < ' ' or > '~')
                throw new ArgumentException($"A credential sent as a header must be printable ASCII; it has U+{(int)value[i]:X4} at index {i}.", name);
        }

        return value;
    }

    /// <summary>
    /// A credential without the spaces around it (a padded configuration value): HTTP drops them around a header's value, so
    /// the server never sees them there, and inside one (<c>Bearer  token</c>, a Basic user name) they make it another.
    /// </summary>
    private static string Unpadded(string value) => value.Trim(' ', '\t');

    /// <summary>A credential must be non-empty and fit on one header line.</summary>
    protected static string Checked(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (value.AsSpan().ContainsAny('\r', '\n', '\0'))
            throw new ArgumentException("A credential cannot contain line breaks or NUL characters.", name);
        return value;
    }
}
