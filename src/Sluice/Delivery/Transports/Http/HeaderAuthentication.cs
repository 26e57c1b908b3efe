using System.Net.Http.Headers;

namespace Sluice.Delivery.Transports.Http;

/// <summary>The same fixed headers on every endpoint (Segment's Basic auth, PrimeData's client headers).</summary>
internal sealed class HeaderAuthentication((string Name, string Value)[] fixedHeaders) : HttpAuthentication
{
    public override void Apply(HttpRequestHeaders headers, int partition)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var (name, value) in fixedHeaders)
            headers.TryAddWithoutValidation(name, value);
    }
}
