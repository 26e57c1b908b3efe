using System.Buffers;
using System.Text;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// The NDJSON splitter, fed as a pipe feeds it: pieces arrive one after another, and what was not
/// consumed is given again with the next piece after it.
/// </summary>
public class NdjsonLinesTests
{
    [Fact]
    public void Every_way_of_cutting_the_input_in_three_gives_the_same_lines()
    {
        // LF and CRLF ends, an empty line, two- three- and four-byte characters, a BOM, no final newline.
        byte[] input = [0xEF, 0xBB, 0xBF, .. "{\"a\":\"é\"}\r\n\n{\"b\":\"€\"}\n{\"c\":\"😀\"}"u8];
        string[] expected = ["{\"a\":\"é\"}", "", "{\"b\":\"€\"}", "{\"c\":\"😀\"}"];
        for (int i = 0; i <= input.Length; i++)
        {
            for (int j = i; j <= input.Length; j++)
            {
                var (lines, oversize) = Split(Segments.Cut(input, i, j), maxLineBytes: 64);
                Assert.True(expected.SequenceEqual(lines), $"cut at {i} and {j}: [{string.Join("|", lines)}]");
                Assert.Empty(oversize);
            }
        }
    }

    [Fact]
    public void A_line_over_the_limit_is_reported_with_its_length_and_the_next_line_is_whole()
    {
        // Limit 8: "12345678" fits exactly, also before a CR; nine bytes do not.
        byte[] input = "12345678\n12345678\r\n123456789\nok\n123456789"u8.ToArray();
        for (int cut = 0; cut <= input.Length; cut++)
        {
            var (lines, oversize) = Split(Segments.Cut(input, cut), maxLineBytes: 8);
            Assert.Equal(["12345678", "12345678", "ok"], lines);
            Assert.Equal([(3L, 9L), (5L, 9L)], oversize);
        }
    }

    [Fact]
    public void A_line_over_the_limit_ending_in_CRLF_is_reported_with_its_length_without_the_CR_however_it_arrives()
    {
        // Passed over as it arrives (a first piece already too long) or found whole: the same length either way.
        byte[] input = "123456789012\r\nok\r\n"u8.ToArray();
        for (int cut = 0; cut <= input.Length; cut++)
        {
            var (lines, oversize) = Split(Segments.Cut(input, cut), maxLineBytes: 8);
            Assert.Equal(["ok"], lines);
            Assert.True(oversize.SequenceEqual([(1L, 12L)]), $"cut at {cut}: {string.Join(", ", oversize)}");
        }
    }

    [Fact]
    public void A_long_line_arriving_in_small_pieces_is_passed_over_as_it_arrives()
    {
        byte[] input = [.. "first\n"u8, .. Enumerable.Repeat((byte)'x', 10_000), .. "\nlast\n"u8];
        var pieces = input.Chunk(7).ToArray();
        var (lines, oversize) = Split(pieces, maxLineBytes: 100, out long mostHeld);
        Assert.Equal(["first", "last"], lines);
        Assert.Equal([(2L, 10_000L)], oversize);
        Assert.True(mostHeld <= 100 + 1 + 7, $"held {mostHeld} bytes of one line at once");
    }

    [Fact]
    public void Lines_longer_than_a_first_scratch_buffer_arriving_in_pieces_are_given_whole()
    {
        // A line split across pieces is copied into the splitter's scratch buffer: it must grow to the longest line
        // (5,000 bytes, then 9,000 after a short one), not stop at its first size.
        string[] expected = [new('a', 5_000), "short", new('b', 9_000), "end"];
        byte[] input = Encoding.ASCII.GetBytes(string.Join("\n", expected));
        var (lines, oversize) = Split(input.Chunk(1_000).ToArray(), maxLineBytes: 10_000);
        Assert.Equal(expected, lines);
        Assert.Empty(oversize);
    }

    [Fact]
    public void Line_numbers_count_every_line_whatever_became_of_it()
    {
        var (lines, oversize) = Split([Encoding.UTF8.GetBytes("a\n\nlong line here\n\r\nb")], maxLineBytes: 4);
        Assert.Equal(["a", "", "", "b"], lines);
        Assert.Equal([(3L, 14L)], oversize);
    }

    [Fact]
    public void An_input_ending_with_a_newline_has_no_empty_last_line()
        => Assert.Equal(["a"], Split(["a\n"u8.ToArray()], 8).Lines);

    private static (List<string> Lines, List<(long Line, long Length)> Oversize) Split(byte[][] pieces, int maxLineBytes)
        => Split(pieces, maxLineBytes, out _);

    /// <summary>Feeds the pieces one at a time, keeping what was not consumed, as a pipe reader does.</summary>
    private static (List<string> Lines, List<(long Line, long Length)> Oversize) Split(byte[][] pieces, int maxLineBytes, out long mostHeld)
    {
        using var splitter = new NdjsonLines(maxLineBytes);
        var lines = new List<string>();
        var oversize = new List<(long, long)>();
        var held = new List<byte[]>();
        mostHeld = 0;
        for (int p = 0; p < pieces.Length; p++)
        {
            held.Add(pieces[p]);
            var buffer = Segments.Of([.. held]);
            mostHeld = Math.Max(mostHeld, buffer.Length);
            var reader = new SequenceReader<byte>(buffer);
            bool final = p == pieces.Length - 1;
            NdjsonRead found;
            while ((found = splitter.Next(ref reader, final, out var line, out long length)) != NdjsonRead.NeedMore)
            {
                if (found == NdjsonRead.Line)
                    lines.Add(Encoding.UTF8.GetString(line));
                else
                    oversize.Add((splitter.LineNumber, length));
            }

            held = [buffer.Slice(reader.Position).ToArray()];
        }

        return (lines, oversize);
    }
}
