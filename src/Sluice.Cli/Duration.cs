using System.CommandLine.Parsing;
using System.Globalization;

namespace Sluice.Cli;

/// <summary>Durations on the command line: <c>90</c> (seconds), <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static class Duration
{
    public const string HelpName = "DURATION";

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        // double.TryParse takes "NaN" and "-Infinity" whatever the style: TimeSpan.FromSeconds would throw on them.
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) || !double.IsFinite(amount)
            || amount * scale > TimeSpan.FromDays(1).TotalSeconds)
            return false;
        value = TimeSpan.FromSeconds(amount * scale);
        return true;
    }

    /// <summary>The option parser: a duration within <paramref name="min"/>–<paramref name="max"/>, or a one-line error naming the option.</summary>
    public static Func<ArgumentResult, TimeSpan?> Parser(TimeSpan min, TimeSpan max) => result =>
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        string option = (result.Parent as OptionResult)?.Option.Name ?? "the duration";
        if (!TryParse(text, out var value) || value < min || value > max)
            result.AddError($"{option} takes a duration from {Format(min)} to {Format(max)} such as 500ms, 10s, 2m or 1h (got '{text}').");
        return value;
    };

    public static string Format(TimeSpan value) => value switch
    {
        _ when value == TimeSpan.Zero => "0s",
        _ when value.TotalSeconds < 1 => $"{value.TotalMilliseconds:0}ms",
        _ when value.TotalMinutes < 1 || value.TotalSeconds % 60 != 0 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s"),
        _ when value.TotalHours < 1 || value.TotalMinutes % 60 != 0 => $"{value.TotalMinutes:0}m",
        _ => $"{value.TotalHours:0}h",
    };
}
