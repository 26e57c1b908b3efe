namespace Sluice.Serialization;

/// <summary>
/// One partition's timestamp text (see <see cref="Timestamps"/>), remade in full only when the second
/// changes: events arrive in time order, so most share their second with the one before and only the
/// microseconds are formatted. Used only by the serializer thread.
/// </summary>
internal sealed class TimestampText
{
    private readonly byte[] _text = new byte[Timestamps.Length];
    private long _second = -1;

    /// <summary>The text of <paramref name="utcTicks"/>; valid until the next call.</summary>
    public ReadOnlySpan<byte> Of(long utcTicks)
    {
        // Stryker disable once Arithmetic : the second is only a key for reusing the date part; a key that changes more often formats it again, to the same text
        long second = utcTicks / TimeSpan.TicksPerSecond;
        if (second == _second)
        {
            Timestamps.FormatMicroseconds(utcTicks, _text);
        }
        else
        {
            Timestamps.Format(utcTicks, _text);
            _second = second;
        }

        return _text;
    }
}
