using System.Globalization;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// Parses a <c>Retry-After</c> value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date in any of the three
/// forms a recipient must accept (IMF-fixdate, RFC 850, asctime). Anything else is ignored (null). The
/// result is never negative (a date in the past means now) and never above <see cref="Ceiling"/>. Never throws.
/// </summary>
internal static class RetryAfterHeader
{
    /// <summary>The largest wait a reply can ask for; the delivery policy caps it further (<see cref="SluiceOptions.RetryMaxDelay"/>).</summary>
    public static readonly TimeSpan Ceiling = TimeSpan.FromDays(1);

    private static readonly string[] DateFormats =
    [
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'",   // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",    // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
        "ddd MMM d HH:mm:ss yyyy",           // asctime:     Sun Nov  6 08:49:37 1994
    ];

    /// <param name="value">The header's value as received, or null if there was none.</param>
    /// <param name="now">The time the reply was made (its <c>Date</c> header, else the local clock), for HTTP-dates.</param>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (value is null)
            return null;
        var text = value.AsSpan().Trim(" \t");
        if (text.IsEmpty)
            return null;

        if (IsDigits(text))
        {
            // Delta-seconds; a value too large to represent is simply "very long" (leading zeros don't make it so).
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? Clamp(TimeSpan.FromSeconds(seconds)) : Ceiling;
        }

        if (DateTimeOffset.TryParseExact(text, DateFormats, DateCulture(now), DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
            return Clamp(date - now);

        return null;
    }

    /// <summary>
    /// RFC 850's two-digit years: RFC 9110 §5.6.7 reads one more than 50 years ahead as the past
    /// century, so up to now + 50 is the future (the invariant culture's fixed 2049 would make a
    /// 2056 date 1956 — a retry at once — or refuse it because its weekday no longer matches).
    /// </summary>
    private static CultureInfo DateCulture(DateTimeOffset now)
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.DateTimeFormat.Calendar.TwoDigitYearMax = Math.Min(now.UtcDateTime.Year + 50, 9999);
        return culture;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
                return false;
        }

        return true;
    }

    private static TimeSpan Clamp(TimeSpan wait) => TimeSpan.FromTicks(Math.Clamp(wait.Ticks, 0, Ceiling.Ticks));
}
