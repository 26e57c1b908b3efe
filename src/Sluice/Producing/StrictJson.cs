using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sluice.Producing;

/// <summary>
/// A single-pass check of RFC 8259 grammar for JSON given as bytes, with a nesting limit: what the
/// pre-serialized API pays on every call. <c>Utf8JsonReader</c> checks the same but stops at every
/// token for its caller, and took 2.3 times as long on the standard event's two objects; this loop
/// stops only to say why a text is refused. UTF-8 validity is not checked here: the caller runs
/// <c>Utf8.IsValid</c> over the whole text first, so bytes above 0x7F are content inside strings and
/// refused anywhere else.
/// </summary>
internal static class StrictJson
{
    /// <summary>
    /// The outcome of <see cref="Check"/>: why the text was refused and at which byte, or, for a valid
    /// text, whether it escapes any UTF-16 surrogate (<c>\uD800</c>–<c>\uDFFF</c>), which may be unpaired.
    /// </summary>
    public readonly record struct Problem(string? Reason, int At, bool TooDeep, bool SurrogateEscapes = false)
    {
        public bool IsNone => Reason is null;
    }

    /// <summary>
    /// Whether <paramref name="json"/> is exactly one JSON value, surrounded by nothing but whitespace,
    /// whose containers nest at most <paramref name="maxLevels"/> levels (the value itself counts one if
    /// it is a container).
    /// </summary>
    public static Problem Check(ReadOnlySpan<byte> json, int maxLevels)
    {
        // One bit per open container: set for an array. Deeper limits than 64 are not needed.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLevels, 64);
        ulong arrays = 0;
        int depth = 0;
        bool surrogates = false;
        int i = 0;

    Value:
        i = SkipWhitespace(json, i);
        if (i == json.Length)
            return new("the text ends where a value was expected", i, false);
        switch (json[i])
        {
            case (byte)'{' or (byte)'[':
                if (depth == maxLevels)
                    return new("too deep", i, true);
                bool opensArray = json[i] == (byte)'[';
                arrays = opensArray ? arrays | (1UL << depth) : arrays & ~(1UL << depth);
                depth++;
                i = SkipWhitespace(json, i + 1);
                if (i < json.Length && json[i] == (opensArray ? (byte)']' : (byte)'}'))
                {
                    i++;
                    depth--;
                    goto AfterValue;
                }

                if (opensArray)
                    goto Value;
                goto Member;
            case (byte)'"':
                i = SkipString(json, i, ref surrogates, out string? stringProblem);
                if (stringProblem is not null)
                    return new(stringProblem, i, false);
                goto AfterValue;
            case (byte)'t':
                i = SkipLiteral(json, i, "true"u8);
                break;
            case (byte)'f':
                i = SkipLiteral(json, i, "false"u8);
                break;
            case (byte)'n':
                i = SkipLiteral(json, i, "null"u8);
                break;
            default:
                i = SkipNumber(json, i);
                break;
        }

        if (i < 0)
            return new("not a JSON value", ~i, false);

    AfterValue:
        i = SkipWhitespace(json, i);
        if (depth == 0)
            return i == json.Length ? new(null, i, false, surrogates) : new("more follows the value", i, false);
        if (i == json.Length)
            return new("the text ends inside an object or array", i, false);

        bool inArray = (arrays & (1UL << (depth - 1))) != 0;
        byte next = json[i];
        if (next == (byte)',')
        {
            i++;
            if (inArray)
                goto Value;
            i = SkipWhitespace(json, i);
            goto Member;
        }

        if (next == (inArray ? (byte)']' : (byte)'}'))
        {
            i++;
            depth--;
            goto AfterValue;
        }

        return new(inArray ? "expected ',' or ']'" : "expected ',' or '}'", i, false);

    Member:
        // At a member's name (whitespace already skipped): a string, then a colon, then the value.
        if (i == json.Length || json[i] != (byte)'"')
            return new("expected a property name in double quotes", i, false);
        i = SkipString(json, i, ref surrogates, out string? nameProblem);
        if (nameProblem is not null)
            return new(nameProblem, i, false);
        i = SkipWhitespace(json, i);
        if (i == json.Length || json[i] != (byte)':')
            return new("expected ':' after a property name", i, false);
        i++;
        goto Value;
    }

    /// <summary>Whether the first byte after any whitespace opens an object.</summary>
    public static bool StartsWithObject(ReadOnlySpan<byte> json)
    {
        int i = SkipWhitespace(json, 0);
        return i < json.Length && json[i] == (byte)'{';
    }

    // Compact JSON has no whitespace: one compare decides, and the loop is kept out of the hot path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
        => (uint)i < (uint)json.Length && json[i] > (byte)' ' ? i : SkipWhitespaceLoop(json, i);

    private static int SkipWhitespaceLoop(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            i++;
        return i;
    }

    /// <summary>
    /// From the opening quote to just past the closing one; on a problem, where it is. Sets
    /// <paramref name="surrogates"/> at an escaped surrogate, so that only such texts are searched for
    /// unpaired ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipString(ReadOnlySpan<byte> json, int i, ref bool surrogates, out string? problem)
    {
        i++;
        while (true)
        {
            int run = ContentLength(json[i..]);
            if (run < 0)
            {
                problem = "a string is not closed";
                return json.Length;
            }

            i += run;
            byte b = json[i];
            if (b == (byte)'"')
            {
                problem = null;
                return i + 1;
            }

            if (b != (byte)'\\')
            {
                problem = "a control character in a string must be escaped";
                return i;
            }

            if (i + 1 == json.Length)
            {
                problem = "a string is not closed";
                return json.Length;
            }

            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u' when i + 6 <= json.Length && IsHex4(json.Slice(i + 2, 4)):
                    // D800-DFFF: the hex digits are checked, and 8-9, A-F, a-f all sort at or after '8'.
                    surrogates |= (json[i + 2] | 0x20) == (byte)'d' && json[i + 3] >= (byte)'8';
                    i += 6;
                    break;
                default:
                    problem = "an invalid escape in a string";
                    return i;
            }
        }
    }

    /// <summary>
    /// How many bytes of plain string content start <paramref name="text"/>: up to the closing quote, an
    /// escape, or a control character (RFC 8259 requires those escaped); -1 if none comes. Strings in
    /// properties are mostly short, so 16 bytes are tested at a time with three compares, where
    /// <c>IndexOfAny</c> costs more to set up than the string takes to scan.
    /// </summary>
    private static int ContentLength(ReadOnlySpan<byte> text)
    {
        ref byte start = ref MemoryMarshal.GetReference(text);
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            var space = Vector128.Create((byte)0x20);
            for (; i <= text.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var stops = Vector128.Equals(v, quote) | Vector128.Equals(v, backslash) | Vector128.LessThan(v, space);
                if (stops != Vector128<byte>.Zero)
                    return i + BitOperations.TrailingZeroCount(stops.ExtractMostSignificantBits());
            }
        }

        for (; i < text.Length; i++)
        {
            byte b = text[i];
            if (b is (byte)'"' or (byte)'\\' or < 0x20)
                return i;
        }

        return -1;
    }

    private static bool IsHex4(ReadOnlySpan<byte> digits)
    {
        foreach (byte d in digits)
        {
            if (!char.IsAsciiHexDigit((char)d))
                return false;
        }

        return true;
    }

    /// <summary>Past the literal, or the complement of where it differs.</summary>
    private static int SkipLiteral(ReadOnlySpan<byte> json, int i, ReadOnlySpan<byte> literal)
        => json[i..].StartsWith(literal) ? i + literal.Length : ~i;

    /// <summary>Past the number (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>), or the complement of where it breaks.</summary>
    private static int SkipNumber(ReadOnlySpan<byte> json, int i)
    {
        int start = i;
        if (json[i] == (byte)'-')
            i++;
        if (i < json.Length && json[i] == (byte)'0')
            i++;
        else if (!IsDigitAt(json, i))
            return ~start;
        else
            i = SkipDigits(json, i);

        if (i < json.Length && json[i] == (byte)'.')
        {
            if (!IsDigitAt(json, i + 1))
                return ~i;
            i = SkipDigits(json, i + 1);
        }

        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            int exponent = i;
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
                i++;
            if (!IsDigitAt(json, i))
                return ~exponent;
            i = SkipDigits(json, i);
        }

        return i;
    }

    private static bool IsDigitAt(ReadOnlySpan<byte> json, int i) => i < json.Length && char.IsAsciiDigit((char)json[i]);

    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        while (IsDigitAt(json, i))
            i++;
        return i;
    }
}
