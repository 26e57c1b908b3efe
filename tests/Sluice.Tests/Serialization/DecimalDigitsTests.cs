using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Serialization;

namespace Sluice.Tests.Serialization;

/// <summary>The serializer's integer digits must be the runtime's, at every digit count and sign.</summary>
public class DecimalDigitsTests
{
    [Fact]
    public void Integers_around_every_power_of_ten_are_written_as_the_runtime_writes_them()
    {
        var values = new List<ulong> { 0, ulong.MaxValue, long.MaxValue, (ulong)long.MaxValue + 1 };
        for (ulong p = 1; p <= 10_000_000_000_000_000_000; p *= 10)
        {
            values.AddRange([p - 1, p, p + 1]);
            if (p == 10_000_000_000_000_000_000)
                break;
        }

        foreach (ulong v in values)
        {
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Unsigned(v));
            long signed = unchecked((long)v);
            Assert.Equal(signed.ToString(CultureInfo.InvariantCulture), Signed(signed));
            Assert.Equal((-signed).ToString(CultureInfo.InvariantCulture), Signed(-signed));
        }

        Assert.Equal(long.MinValue.ToString(CultureInfo.InvariantCulture), Signed(long.MinValue));
    }

    [Fact]
    public void Any_integer_is_written_as_the_runtime_writes_it()
    {
        // Any bits, and values shifted down so that every digit count comes up often.
        var values = from bits in ArbMap.Default.GeneratorFor<long>()
                     from shift in Gen.Choose(0, 63)
                     select bits >> shift;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000), Prop.ForAll(Arb.From(values), v =>
        {
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Signed(v));
            Assert.Equal(((ulong)v).ToString(CultureInfo.InvariantCulture), Unsigned((ulong)v));
        }));
    }

    [Fact]
    public void Fixed_width_digits_are_zero_padded_and_keep_the_lowest_digits()
    {
        var destination = new byte[6];
        DecimalDigits.WriteFixed(42, destination);
        Assert.Equal("000042", Encoding.ASCII.GetString(destination));
        DecimalDigits.WriteFixed(1_234_567, destination.AsSpan(0, 5));
        Assert.Equal("345672", Encoding.ASCII.GetString(destination));
    }

    private static string Unsigned(ulong value)
    {
        var destination = new byte[20];
        return Encoding.ASCII.GetString(destination, 0, DecimalDigits.Write(value, destination));
    }

    private static string Signed(long value)
    {
        var destination = new byte[20];
        return Encoding.ASCII.GetString(destination, 0, DecimalDigits.Write(value, destination));
    }
}
