using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Support;

/// <summary>The headers credentials add to a request of a partition, in the order they were added.</summary>
internal static class CredentialHeaders
{
    public static (string Name, string Value)[] Of(HttpAuthentication authentication, int partition)
    {
        using var request = new HttpRequestMessage();
        authentication.Apply(request.Headers, partition);
        return [.. request.Headers.NonValidated.Select(h => (h.Key, string.Join(", ", h.Value)))];
    }
}
