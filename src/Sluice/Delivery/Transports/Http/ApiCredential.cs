namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// A credential of the built-in APIs. Its name is the configuration key of the hosting package
/// (<c>Credentials:WriteKey</c>); <see cref="BuiltInApi.Credentials"/> gives the command-line option and
/// environment variable of the same credential.
/// </summary>
internal enum ApiCredential
{
    Token,
    ApiKey,
    WriteKey,
    ClientId,
    ClientAccessToken,
}
