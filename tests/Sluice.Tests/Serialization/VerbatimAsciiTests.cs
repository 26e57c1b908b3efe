using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Serialization;

namespace Sluice.Tests.Serialization;

/// <summary>
/// The one-pass check-and-narrow must agree with its definition (0x20–0x7E except <c>"</c> and
/// <c>\</c>) at every length and position: the vector paths (8–15 characters as two overlapping
/// halves; 16, 32 or 64 at a time as the hardware allows, with an overlapping last block) and the
/// scalar one.
/// </summary>
public class VerbatimAsciiTests
{
    // Characters that must be escaped, including ones whose low byte alone would look verbatim.
    private static readonly char[] NotVerbatim = ['\0', '\u001F', '"', '\\', '\u007F', '\u0080', 'é', '\u0120', '\u0141', '\uFF22', '\uD83D', '\uFFFF'];

    [Fact]
    public void Every_length_and_position_of_one_escaped_character_is_refused()
    {
        for (int length = 1; length <= 160; length++)
        {
            string plain = Plain(length);
            Assert.True(Narrow(plain, out var bytes), $"length {length}");
            Assert.Equal(Encoding.ASCII.GetBytes(plain), bytes);
            for (int at = 0; at < length; at++)
            {
                foreach (char c in NotVerbatim)
                {
                    var text = plain.ToCharArray();
                    text[at] = c;
                    Assert.False(Narrow(new string(text), out _), $"length {length}, U+{(int)c:X4} at {at}");
                }
            }
        }
    }

    [Fact]
    public void Agrees_with_the_definition_on_any_string()
    {
        var chars = Gen.Frequency(
            (30, Gen.Choose(0x20, 0x7E).Select(c => (char)c)),
            (1, Gen.Choose(0, 0xFFFF).Select(c => (char)c)));
        var strings = Gen.ArrayOf(chars).Select(a => new string(a));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(Arb.From(strings), text =>
        {
            bool verbatim = text.All(c => c is >= ' ' and <= '~' and not '"' and not '\\');
            Assert.Equal(verbatim, Narrow(text, out var bytes));
            if (verbatim)
                Assert.Equal(Encoding.ASCII.GetBytes(text), bytes);
        }));
    }

    [Fact]
    public void The_destination_past_the_text_is_left_alone()
    {
        var destination = Enumerable.Repeat((byte)0xAA, 64).ToArray();
        Assert.True(VerbatimAscii.TryNarrow(Plain(21), destination));
        Assert.All(destination[21..], b => Assert.Equal(0xAA, b));
    }

    private static string Plain(int length)
        => new(Enumerable.Range(0, length).Select(i => (char)(' ' + (i * 7 % 95))).Select(c => c is '"' or '\\' ? 'x' : c).ToArray());

    private static bool Narrow(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        return VerbatimAscii.TryNarrow(text, bytes);
    }
}
