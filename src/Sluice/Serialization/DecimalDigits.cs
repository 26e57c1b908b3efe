using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sluice.Serialization;

/// <summary>
/// Decimal digits written two at a time from a table, for the serializer's integers, short decimals
/// and timestamps: what the runtime's integer formatting does, without its format and culture
/// handling around it (every number in a batch goes through here).
/// </summary>
internal static class DecimalDigits
{
    private static ReadOnlySpan<byte> Pairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    /// <summary>The number of digits of <paramref name="value"/> (1 for 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(ulong value)
    {
        if (value < 10)
            return 1;

        // log10 from log2 (1233/4096 ≈ log10(2)), then one comparison fixes the estimate.
        int estimate = ((BitOperations.Log2(value) + 1) * 1233) >> 12;
        return estimate + 1 - (value < PowersOf10[estimate] ? 1 : 0);
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/> (room for 20 digits); returns the length.</summary>
    public static int Write(ulong value, Span<byte> destination)
    {
        int length = Count(value);
        WriteFixed(value, destination[..length]);
        return length;
    }

    /// <summary>Writes <paramref name="value"/> as a signed integer; returns the length (room for 20 bytes).</summary>
    public static int Write(long value, Span<byte> destination)
    {
        if (value >= 0)
            return Write((ulong)value, destination);
        destination[0] = (byte)'-';
        return 1 + Write((ulong)-value, destination[1..]); // -long.MinValue wraps to 2^63 as ulong: right
    }

    /// <summary>Writes the lowest <c>destination.Length</c> digits of <paramref name="value"/>, zero-padded, filling <paramref name="destination"/>.</summary>
    public static void WriteFixed(ulong value, Span<byte> destination)
    {
        int i = destination.Length;
        while (i >= 2)
        {
            ulong pair = value % 100;
            value /= 100;
            i -= 2;
            destination[i] = Pairs[(int)pair * 2];
            destination[i + 1] = Pairs[((int)pair * 2) + 1];
        }

        if (i == 1)
            destination[0] = (byte)('0' + (value % 10));
    }

    /// <summary>Writes <paramref name="value"/> (0–99) as two digits at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WritePair(Span<byte> destination, int at, int value)
    {
        destination[at] = Pairs[value * 2];
        destination[at + 1] = Pairs[(value * 2) + 1];
    }
}
