namespace Sluice.Delivery.Transports.Http;

/// <summary>A credential a built-in API needs, and what for (a phrase: "it authenticates the batch API", "for track events").</summary>
internal readonly record struct CredentialNeed(ApiCredential Credential, string Why);
