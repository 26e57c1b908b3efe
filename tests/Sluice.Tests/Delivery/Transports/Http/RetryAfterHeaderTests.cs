using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

public class RetryAfterHeaderTests
{
    // RFC 9110's own example date, and "now" two minutes before it.
    private static readonly DateTimeOffset Now = new(1994, 11, 6, 8, 47, 37, TimeSpan.Zero);

    [Theory]
    [InlineData("120", 120)]
    [InlineData("0", 0)]
    [InlineData(" 7\t", 7)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 120)]      // IMF-fixdate
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 120)]     // obsolete RFC 850
    [InlineData("Sun Nov  6 08:49:37 1994", 120)]           // obsolete asctime
    [InlineData("Sun, 06 Nov 1994 08:40:00 GMT", 0)]        // in the past: now
    [InlineData("99999999999999999999999", 86_400)]          // absurdly long: the ceiling
    [InlineData("2147483647", 86_400)]                      // the largest int: still the ceiling
    [InlineData("86401", 86_400)]
    [InlineData("86400", 86_400)]
    [InlineData("86399", 86_399)]
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT", 86_400)]
    public void Valid_values_give_the_wait(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfterHeader.Parse(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("1.5")]
    [InlineData("5s")]
    [InlineData("soon")]
    [InlineData("Sun, 06 Nov 1994 08:49:37")]                // no zone
    [InlineData("Sun, 32 Nov 1994 08:49:37 GMT")]
    [InlineData("2024-10-20T15:51:35Z")]                     // ISO 8601 is not an HTTP-date
    [InlineData("\u0661\u0662")]                             // Arabic-Indic digits are not DIGIT
    [InlineData("7\r\n")]                                   // only spaces and tabs are optional whitespace
    [InlineData("\u00a07")]
    public void Invalid_values_are_ignored(string? value) => Assert.Null(RetryAfterHeader.Parse(value, Now));
}
