namespace Sluice.Diagnostics;

/// <summary>One thing worth a user's attention, passed to <see cref="SluiceOptions.OnDiagnostic"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A sentence a person can act on.</param>
/// <param name="EventCount">How many events it concerns.</param>
/// <param name="Exception">The underlying exception, if any.</param>
public readonly record struct DiagnosticEvent(DiagnosticKind Kind, string Message, int EventCount = 0, Exception? Exception = null);
