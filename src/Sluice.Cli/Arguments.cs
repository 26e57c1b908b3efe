namespace Sluice.Cli;

/// <summary>The command and its <c>--name value</c> options, and <c>--flag</c> switches.</summary>
internal sealed class Arguments
{
    /// <summary>Options that take no value.</summary>
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "gzip" };

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string Command { get; private init; } = "";

    public static Arguments Parse(string[] args)
    {
        if (args.Length == 0)
            throw new ArgumentException("No command given.");
        var parsed = new Arguments { Command = args[0] };
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
                throw new ArgumentException($"Expected an option such as --events, got '{name}'.");
            if (Flags.Contains(name[2..]))
            {
                parsed._values[name[2..]] = "true";
                continue;
            }

            if (i + 1 >= args.Length)
                throw new ArgumentException($"Option {name} needs a value.");
            parsed._values[name[2..]] = args[++i];
        }

        return parsed;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public bool Has(string flag) => _values.ContainsKey(flag);

    public long GetLong(string name, long fallback)
    {
        string? text = Get(name);
        if (text is null)
            return fallback;
        if (!long.TryParse(text.Replace("_", "", StringComparison.Ordinal), out long value) || value < 0)
            throw new ArgumentException($"--{name} must be a non-negative whole number, got '{text}'.");
        return value;
    }
}
