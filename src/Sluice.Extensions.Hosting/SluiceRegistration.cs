namespace Sluice.Extensions.Hosting;

/// <summary>An engine added to the container, by name: the hosted service starts and stops every one.</summary>
internal sealed record SluiceRegistration(string Name);
