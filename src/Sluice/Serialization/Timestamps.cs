using System.Buffers;
using System.Buffers.Text;
using System.Globalization;

namespace Sluice.Serialization;

/// <summary>
/// UTC ISO 8601 with microseconds and a <c>Z</c>: <c>2024-10-20T15:51:35.059000Z</c>, the shape of the
/// ThriveStack examples. <see cref="System.Text.Json.Utf8JsonWriter"/>'s own date writer drops
/// trailing zeros of the fraction, so the text is made here with the runtime's formatting and written
/// as a string.
/// </summary>
internal static class Timestamps
{
    public const int Length = 27;

    /// <summary>The length of the part that is the same for a whole second, <c>yyyy-MM-ddTHH:mm:ss.</c>.</summary>
    public const int SecondLength = 20;

    // The round-trip format ("O") is the runtime's fast path for dates: yyyy-MM-ddTHH:mm:ss.fffffffZ (28 bytes).
    private const int RoundTripLength = Length + 1;

    private static readonly StandardFormat SixDigits = new('D', 6);

    /// <summary>Writes the timestamp of <paramref name="utcTicks"/> into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    public static void Format(long utcTicks, Span<byte> destination)
    {
        var d = destination[..Length];
        Span<byte> roundTrip = stackalloc byte[RoundTripLength];
        new DateTime(utcTicks, DateTimeKind.Utc).TryFormat(roundTrip, out _, "O", CultureInfo.InvariantCulture);
        // Seven fractional digits to six: the last is tenths of a microsecond (truncated, not rounded).
        roundTrip[..(Length - 1)].CopyTo(d);
        d[Length - 1] = (byte)'Z';
    }

    /// <summary>Writes only what changes within a second, <c>ffffffZ</c>, at its place in <paramref name="destination"/>.</summary>
    public static void FormatMicroseconds(long utcTicks, Span<byte> destination)
    {
        var d = destination[..Length];
        Utf8Formatter.TryFormat((uint)(utcTicks % TimeSpan.TicksPerSecond / 10), d.Slice(SecondLength, 6), out _, SixDigits);
        d[Length - 1] = (byte)'Z';
    }
}
