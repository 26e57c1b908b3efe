using System.CommandLine.Parsing;
using System.Globalization;

namespace Sluice.Cli;

/// <summary>Sizes on the command line: <c>1073741824</c> (bytes), <c>512MiB</c>, <c>10GiB</c>, <c>1TiB</c>.</summary>
internal static class ByteSize
{
    public const string HelpName = "SIZE";

    private static readonly (string Unit, long Scale)[] Units = [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40)];

    /// <summary>The option parser: a size of at least <paramref name="min"/> bytes, or a one-line error naming the option.</summary>
    public static Func<ArgumentResult, long> Parser(long min) => result =>
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        string option = (result.Parent as OptionResult)?.Option.Name ?? "the size";
        var (number, scale) = Units.FirstOrDefault(u => text.EndsWith(u.Unit, StringComparison.OrdinalIgnoreCase)) is { Unit: not null } unit
            ? (text[..^unit.Unit.Length], unit.Scale)
            : (text, 1L);
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long amount) || amount > long.MaxValue / scale || amount * scale < min)
        {
            result.AddError($"{option} takes a size of at least {min >> 20} MiB, in bytes or with KiB, MiB, GiB or TiB such as 10GiB (got '{text}').");
            return 0;
        }

        return amount * scale;
    };
}
