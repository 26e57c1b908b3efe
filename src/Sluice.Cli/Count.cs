using System.CommandLine.Parsing;
using System.Globalization;

namespace Sluice.Cli;

/// <summary>Whole numbers on the command line (<c>--skip-lines</c>, <c>--events</c>), and in what it prints.</summary>
internal static class Count
{
    /// <summary>A count and its noun, agreeing: <c>1 event</c>, <c>2 events</c>, <c>1,000 batches</c>.</summary>
    public static string Of(long count, string one, string many) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? one : many)}");

    /// <summary>
    /// The option parser: a whole number of at least <paramref name="min"/>, or a one-line error naming the option. The library's own
    /// conversion error would reach the option's validators as an exception (a stack trace for a typo), so the number is parsed here.
    /// </summary>
    public static Func<ArgumentResult, long> Parser(long min, string unit) => result =>
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        string option = (result.Parent as OptionResult)?.Option.Name ?? "the number";
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            result.AddError($"{option} takes a whole number of {unit}, {min} or more (got '{text}').");
        else if (value < min)
            result.AddError($"{option} must be {min} or more.");
        return value;
    };
}
