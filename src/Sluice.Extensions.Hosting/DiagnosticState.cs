using System.Collections;
using Sluice.Diagnostics;

namespace Sluice.Extensions.Hosting;

/// <summary>The structured state of a logged diagnostic: <c>Engine</c>, <c>Kind</c>, <c>EventCount</c> and the message.</summary>
internal readonly struct DiagnosticState(string engine, DiagnosticEvent diagnostic) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 5;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Engine", engine),
        1 => new("Kind", diagnostic.Kind),
        2 => new("EventCount", diagnostic.EventCount),
        3 => new("Message", diagnostic.Message),
        4 => new("{OriginalFormat}", "Sluice engine {Engine}: {Message}"),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Sluice engine {engine}: {diagnostic.Message}";
}
