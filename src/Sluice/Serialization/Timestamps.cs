namespace Sluice.Serialization;

/// <summary>UTC ISO 8601 with microseconds and a <c>Z</c>: <c>2024-10-20T15:51:35.059000Z</c>, the shape of the ThriveStack examples.</summary>
internal static class Timestamps
{
    public const int Length = 27;

    /// <summary>The length of the part that is the same for a whole second, <c>yyyy-MM-ddTHH:mm:ss.</c>.</summary>
    public const int SecondLength = 20;

    public static void Format(long utcTicks, Span<byte> destination)
    {
        var (year, month, day) = new DateTime(utcTicks, DateTimeKind.Utc);
        var d = destination[..Length];
        DecimalDigits.WriteFixed((ulong)year, d[..4]);
        d[4] = (byte)'-';
        DecimalDigits.WritePair(d, 5, month);
        d[7] = (byte)'-';
        DecimalDigits.WritePair(d, 8, day);
        d[10] = (byte)'T';
        long timeOfDay = utcTicks % TimeSpan.TicksPerDay;
        int seconds = (int)(timeOfDay / TimeSpan.TicksPerSecond);
        DecimalDigits.WritePair(d, 11, seconds / 3600);
        d[13] = (byte)':';
        DecimalDigits.WritePair(d, 14, seconds / 60 % 60);
        d[16] = (byte)':';
        DecimalDigits.WritePair(d, 17, seconds % 60);
        d[19] = (byte)'.';
        FormatMicroseconds(utcTicks, d);
    }

    /// <summary>Writes only what changes within a second, <c>ffffffZ</c>, at its place in <paramref name="destination"/>.</summary>
    public static void FormatMicroseconds(long utcTicks, Span<byte> destination)
    {
        var d = destination[..Length];
        DecimalDigits.WriteFixed((ulong)(utcTicks % TimeSpan.TicksPerSecond / 10), d.Slice(SecondLength, 6));
        d[26] = (byte)'Z';
    }
}
