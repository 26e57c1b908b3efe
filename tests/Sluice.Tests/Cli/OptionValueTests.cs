using Sluice.Cli;

namespace Sluice.Tests.Cli;

/// <summary>The pieces of option parsing the library does not do: durations and typo suggestions.</summary>
public class OptionValueTests
{
    [Theory]
    [InlineData("90", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0", 0)]
    public void Durations_are_seconds_or_carry_their_unit(string text, long milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1s")]
    [InlineData("10 s")]
    [InlineData("25h")]
    [InlineData("1d")]
    [InlineData("NaN")]        // double.TryParse takes the NaN and infinity symbols whatever the number style
    [InlineData("nanms")]
    [InlineData("-Infinity")]
    [InlineData("-infinitys")]
    public void Anything_else_is_not_a_duration(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(300, "300ms")]
    [InlineData(10_000, "10s")]
    [InlineData(90_000, "90s")]
    [InlineData(120_000, "2m")]
    [InlineData(7_200_000, "2h")]
    public void Durations_print_as_they_are_typed(long milliseconds, string text)
        => Assert.Equal(text, Duration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("--evnets", "--events")]   // two letters swapped
    [InlineData("--event", "--events")]    // one missing
    [InlineData("--skiplines", "--skip-lines")]
    [InlineData("--verbose", null)]        // nothing close
    [InlineData("-x", null)]               // a one-letter name is close to every other one
    public void A_typo_is_matched_to_the_closest_known_name(string typed, string? expected)
        => Assert.Equal(expected, Suggestion.Closest(typed, ["--events", "--skip-lines", "--out", "-n", "-o"]));
}
