namespace Sluice.Diagnostics;

/// <summary>Receives the fate of accepted events (see <see cref="SluiceOptions.OnBatchSettled"/>).</summary>
/// <param name="settled">The events and their outcomes; its spans are valid only during the call.</param>
public delegate void BatchSettledCallback(in SettledEvents settled);
