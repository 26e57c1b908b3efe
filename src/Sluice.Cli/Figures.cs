using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Sluice.Cli;

/// <summary>
/// The figures of a record (every public <see cref="long"/> property, in declaration order) with a
/// label for people and a name for JSON: the summaries print whatever the engine's counters hold,
/// so a counter added to them appears without a change here.
/// </summary>
internal static class Figures
{
    public static IEnumerable<(string Label, string JsonName, long Value)> Of<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T record)
        where T : struct
    {
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.PropertyType == typeof(long))
                yield return (Words(property.Name, ' '), Words(property.Name, '_'), (long)property.GetValue(record)!);
        }
    }

    /// <summary><c>RejectedByServer</c> → <c>rejected by server</c> (or <c>rejected_by_server</c>).</summary>
    public static string Words(string pascalCase, char separator)
    {
        var words = new StringBuilder(pascalCase.Length + 4);
        foreach (char c in pascalCase)
        {
            if (char.IsUpper(c) && words.Length > 0)
                words.Append(separator);
            words.Append(char.ToLowerInvariant(c));
        }

        return words.ToString();
    }
}
