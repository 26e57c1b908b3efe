using System.Buffers;
using System.Text;
using Sluice.Delivery;

namespace Sluice.Tests.Delivery;

/// <summary>Quotes in messages never split a character, whatever the cut.</summary>
public class ExcerptTests
{
    [Theory]
    [InlineData("héllo wörld", 100, "héllo wörld")]
    [InlineData("abcdef", 6, "abcdef")]
    [InlineData("abcdef", 5, "abcde…")]
    [InlineData("aé", 2, "a…")]          // é is 2 bytes: cut after its first
    [InlineData("a€b", 3, "a…")]         // € is 3 bytes
    [InlineData("a€b", 4, "a€…")]
    [InlineData("😀x", 3, "…")]          // a 4-byte sequence cut anywhere is left out
    [InlineData("😀x", 4, "😀…")]
    public void A_cut_never_falls_inside_a_character(string text, int maxBytes, string expected)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        Assert.Equal(expected, Excerpt.Of(utf8, maxBytes));
        Assert.Equal(expected, Excerpt.Of(new ReadOnlySequence<byte>(utf8), maxBytes));
    }

    [Fact]
    public void Every_cut_of_a_mixed_text_decodes_to_a_prefix_of_it()
    {
        const string text = "a é € 😀 z ﷽ 𝄞 end";
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        for (int max = 0; max <= utf8.Length + 1; max++)
        {
            string excerpt = Excerpt.Of(utf8, max);
            string head = excerpt.EndsWith(Excerpt.Cut, StringComparison.Ordinal) ? excerpt[..^1] : excerpt;
            Assert.StartsWith(head, text, StringComparison.Ordinal);
            Assert.Equal(max < utf8.Length, excerpt.EndsWith(Excerpt.Cut, StringComparison.Ordinal));
            Assert.True(Encoding.UTF8.GetByteCount(head) <= max, $"{max}: {excerpt}");
            Assert.True(Encoding.UTF8.GetByteCount(head) > max - 4, $"{max}: at most one character is left out");
        }
    }

    [Fact]
    public void Invalid_bytes_become_replacement_characters_but_a_sequence_split_by_the_cut_is_left_out()
    {
        byte[] utf8 = [(byte)'a', 0xFF, (byte)'b', 0xE2, 0x82];
        Assert.Equal("a\uFFFDb\uFFFD", Excerpt.Of(utf8, 10));   // complete text: an unfinished sequence is invalid
        Assert.Equal("a\uFFFDb…", Excerpt.Of([.. utf8, 0xAC, (byte)'c'], 5)); // cut text: it was split, not invalid
    }

    [Fact]
    public void A_multi_segment_event_is_quoted_across_its_segments()
    {
        var first = new Segment(Encoding.UTF8.GetBytes("{\"name\":\"é"));
        var last = first.Append(Encoding.UTF8.GetBytes("€\"}"));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.Equal("{\"name\":\"é€\"}", Excerpt.Of(sequence, 200));
        Assert.Equal("{\"name\":\"é…", Excerpt.Of(sequence, 12));
    }

    [Theory]
    [InlineData("abc", 3, "abc")]
    [InlineData("abcd", 3, "abc…")]
    [InlineData("ab😀", 3, "ab…")] // the pair would be cut: both halves go
    [InlineData("a😀b", 3, "a😀…")]
    public void Shortening_never_cuts_a_surrogate_pair(string text, int maxChars, string expected) => Assert.Equal(expected, Excerpt.Shorten(text, maxChars));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
