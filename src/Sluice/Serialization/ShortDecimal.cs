namespace Sluice.Serialization;

/// <summary>
/// The fast way to write the doubles analytics events mostly carry (durations, prices, scores: at most
/// 3 decimals, under 10^15), in exactly the shortest round-trip form the runtime writes, at a tenth of
/// the cost. Why it is exact: if <c>m / 10^k</c> (m an integer below 10^15, k ≤ 3) converts back to
/// the value, that decimal has at most 15 significant digits, and two different decimals of at most
/// 15 digits never convert to the same double; so it is the one shortest form, which is what the
/// runtime prints (plain notation, since 0.001 ≤ |value| &lt; 10^15).
/// </summary>
internal static class ShortDecimal
{
    private const double Limit = 1e15;
    private static readonly double[] Scales = [1, 10, 100, 1000];

    /// <summary>Writes <paramref name="value"/> and returns the length, or returns 0 (nothing written) when it is not such a number.</summary>
    public static int TryFormat(double value, Span<byte> destination)
    {
        double magnitude = Math.Abs(value);
        if (!(magnitude < Limit) || (magnitude < 0.001 && value != 0) || double.IsNegative(value) && value == 0)
            return 0;

        for (int k = 0; k < Scales.Length; k++)
        {
            double scaled = magnitude * Scales[k];
            if (scaled >= Limit)
                return 0;
            if (scaled != Math.Floor(scaled) || scaled / Scales[k] != magnitude)
                continue;

            long digits = (long)scaled;
            while (k > 0 && digits % 10 == 0)
            {
                digits /= 10;
                k--;
            }

            return Write(value < 0, digits, k, destination);
        }

        return 0;
    }

    private static int Write(bool negative, long digits, int decimals, Span<byte> d)
    {
        int i = 0;
        if (negative)
            d[i++] = (byte)'-';
        ulong all = (ulong)digits;
        if (decimals == 0)
            return i + DecimalDigits.Write(all, d[i..]);

        // Integer part (0 if the number is below 1), the point, then exactly `decimals` digits; constant divisors.
        var (whole, fraction) = decimals switch
        {
            1 => (all / 10, all % 10),
            2 => (all / 100, all % 100),
            _ => (all / 1000, all % 1000),
        };
        i += DecimalDigits.Write(whole, d[i..]);
        d[i++] = (byte)'.';
        DecimalDigits.WriteFixed(fraction, d.Slice(i, decimals));
        return i + decimals;
    }
}
