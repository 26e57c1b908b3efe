using System.CommandLine;

namespace Sluice.Cli;

/// <summary>
/// What a mistyped option or command was probably meant to be: the closest name the command knows,
/// by edit distance, if close enough to be a typo (at most a third of its length, at least 1; none for one- or two-letter names).
/// </summary>
internal static class Suggestion
{
    /// <summary>Options that were replaced, and what replaced them.</summary>
    private static readonly Dictionary<string, string> Retired = new(StringComparer.Ordinal)
    {
        ["--timeout"] = "--drain-timeout (the wait after the input ends), --stop-timeout (after Ctrl+C) or --retry-budget (per batch)",
    };

    /// <summary>
    /// "unknown option '--evnets' for 'sluice demo'; did you mean --events?" <paramref name="inputMissing"/>: the command takes
    /// --input and it was not given, so a stray argument is most likely the file.
    /// </summary>
    public static string ForUnknown(string token, Command command, string commandPath, bool inputMissing = false)
    {
        bool isOption = token.StartsWith('-');
        string name = isOption && token.IndexOf('=', StringComparison.Ordinal) is > 0 and int eq ? token[..eq] : token;
        var candidates = isOption
            ? command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        string? best = Retired.GetValueOrDefault(name) ?? Closest(name, candidates);
        string what = isOption ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";

        // 'sluice send events.ndjson': the file where cat and most tools take it.
        if (best is null && !isOption && inputMissing)
            best = $"-i {name}";
        return best is null
            ? $"unknown {what} '{name}' for '{commandPath}'."
            : $"unknown {what} '{name}' for '{commandPath}'; did you mean {best}?";
    }

    public static string? Closest(string typed, IEnumerable<string> names)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in names)
        {
            int distance = Distance(typed, name);
            if (distance < bestDistance)
                (best, bestDistance) = (name, distance);
        }

        int length = typed.TrimStart('-').Length;
        int allowed = length < 3 ? 0 : Math.Max(1, length / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}
