using System.Globalization;

namespace Sluice.Tests.Support;

/// <summary>
/// Sets the current culture until disposed, for checking that messages write their numbers culture-invariant: a culture
/// whose digit groups are not commas ("de-DE": 2.097.152) shows a number that followed it. It flows to the tasks and engine
/// threads started meanwhile.
/// </summary>
public sealed class CurrentCulture : IDisposable
{
    private readonly CultureInfo _previous = CultureInfo.CurrentCulture;

    private CurrentCulture(string name) => CultureInfo.CurrentCulture = new CultureInfo(name);

    public static CurrentCulture Set(string name) => new(name);

    public void Dispose() => CultureInfo.CurrentCulture = _previous;
}
