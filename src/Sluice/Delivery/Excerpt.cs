using System.Buffers;
using System.Text.Unicode;

namespace Sluice.Delivery;

/// <summary>
/// Bounded quotes of text for messages (an event, a reply body) that never split a character: a UTF-8
/// sequence cut at the byte limit is left out rather than decoded half, invalid bytes become U+FFFD, a
/// surrogate pair is never cut at the character limit, and "…" marks a cut.
/// </summary>
internal static class Excerpt
{
    /// <summary>The ellipsis that marks a cut.</summary>
    public const string Cut = "…";

    /// <summary>Up to <paramref name="maxBytes"/> bytes of UTF-8 text, decoded.</summary>
    public static string Of(ReadOnlySequence<byte> utf8, int maxBytes)
    {
        int length = (int)Math.Min(utf8.Length, maxBytes);
        byte[] head = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            utf8.Slice(0, length).CopyTo(head);
            return Of(head.AsSpan(0, length), length < utf8.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>Up to <paramref name="maxBytes"/> bytes of UTF-8 text, decoded.</summary>
    public static string Of(ReadOnlySpan<byte> utf8, int maxBytes)
        => utf8.Length > maxBytes ? Of(utf8[..maxBytes], cut: true) : Of(utf8, cut: false);

    /// <summary>The text itself if it has at most <paramref name="maxChars"/> characters, else its head (without half a surrogate pair) and "…".</summary>
    public static string Shorten(string text, int maxChars)
    {
        if (text.Length <= maxChars)
            return text;
        int length = char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
        return string.Concat(text.AsSpan(0, length), Cut);
    }

    private static string Of(ReadOnlySpan<byte> head, bool cut)
    {
        // UTF-16 never needs more characters than the UTF-8 had bytes, replacements included.
        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(head.Length, 1));
        try
        {
            // Not the final block when cut: a sequence the cut split stays unread instead of becoming U+FFFD.
            Utf8.ToUtf16(head, chars, out _, out int written, replaceInvalidSequences: true, isFinalBlock: !cut);
            return cut ? string.Concat(chars.AsSpan(0, written), Cut) : new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
