using System.Net.Http.Headers;
using Sluice.Serialization;

namespace Sluice.Delivery.Transports.Http;

/// <summary>ThriveStack's two endpoints, two schemes: a bearer token for track, an API key for page.</summary>
internal sealed class ThriveStackAuthentication(string? bearer, string? apiKey) : HttpAuthentication
{
    public override void Apply(HttpRequestHeaders headers, int partition)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (partition == ThriveStackFormat.PagePartition)
        {
            if (apiKey is not null)
                headers.TryAddWithoutValidation("x-api-key", apiKey);
        }
        else if (bearer is not null)
        {
            headers.TryAddWithoutValidation("Authorization", bearer);
        }
    }
}
