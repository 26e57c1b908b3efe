using System.Text;
using System.Text.Json;

namespace Sluice.Collector;

/// <summary>The members an API's event may have; checks an event has only those, each once, without allocating.</summary>
internal sealed class KnownFields(params string[] names)
{
    private readonly byte[][] _names = [.. names.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The first unknown or repeated member, as an error message; null if there is none.</summary>
    public string? Check(JsonElement e)
    {
        Span<int> seen = stackalloc int[_names.Length];
        foreach (var member in e.EnumerateObject())
        {
            int index = IndexOf(member);
            if (index < 0)
                return $"unknown field '{member.Name}'";
            if (++seen[index] > 1)
                return $"field '{member.Name}' appears twice";
        }

        return null;
    }

    private int IndexOf(JsonProperty member)
    {
        for (int i = 0; i < _names.Length; i++)
        {
            if (member.NameEquals(_names[i]))
                return i;
        }

        return -1;
    }
}
