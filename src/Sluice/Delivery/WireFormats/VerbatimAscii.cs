using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sluice.Delivery.WireFormats;

/// <summary>
/// Checks and narrows a string in one pass: the characters a JSON string carries verbatim with the
/// engine's relaxed escaping (0x20–0x7E except <c>"</c> and <c>\</c>) become their bytes. Ids,
/// names and most property values are such strings, and checking them first, then transcoding,
/// costs two passes and two calls per string.
/// </summary>
internal static class VerbatimAscii
{
    /// <summary>
    /// Writes <paramref name="text"/> as bytes at the start of <paramref name="destination"/> (at least
    /// as long) if every character is verbatim; false otherwise, with the destination partly overwritten.
    /// </summary>
    public static bool TryNarrow(ReadOnlySpan<char> text, Span<byte> destination)
    {
        Debug.Assert(destination.Length >= text.Length, "Room for every character.");
        if (destination.Length < text.Length)
            return false;
        nuint length = (nuint)text.Length;
        if (!Vector128.IsHardwareAccelerated || length < 8)
            return TryNarrowScalar(text, destination);

        ref ushort source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        ref byte target = ref MemoryMarshal.GetReference(destination);
        if (length < 16)
        {
            // Two overlapping 8-character halves cover 8 to 15 characters.
            var head = Vector128.LoadUnsafe(ref source);
            var tail = Vector128.LoadUnsafe(ref source, length - 8);
            if (!AllVerbatim(head, tail))
                return false;
            Unsafe.WriteUnaligned(ref target, Vector128.Narrow(head, head).AsUInt64().ToScalar());
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 8), Vector128.Narrow(tail, tail).AsUInt64().ToScalar());
            return true;
        }

        // 16 characters at a time; the last block overlaps the one before rather than leaving a scalar tail.
        nuint last = length - 16;
        for (nuint i = 0; ; i = Math.Min(i + 16, last))
        {
            var lower = Vector128.LoadUnsafe(ref source, i);
            var upper = Vector128.LoadUnsafe(ref source, i + 8);
            if (!AllVerbatim(lower, upper))
                return false;
            Vector128.Narrow(lower, upper).StoreUnsafe(ref target, i);
            if (i == last)
                return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllVerbatim(Vector128<ushort> a, Vector128<ushort> b)
        => (Escaped(a) | Escaped(b)) == Vector128<ushort>.Zero;

    /// <summary>All ones where a character is not verbatim: below 0x20 or above 0x7E (one unsigned compare), a quote or a backslash.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Escaped(Vector128<ushort> v)
        => Vector128.GreaterThan(v - Vector128.Create((ushort)0x20), Vector128.Create((ushort)(0x7E - 0x20)))
           | Vector128.Equals(v, Vector128.Create((ushort)'"'))
           | Vector128.Equals(v, Vector128.Create((ushort)'\\'));

    private static bool TryNarrowScalar(ReadOnlySpan<char> text, Span<byte> destination)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((uint)(c - 0x20) > 0x7E - 0x20 || c == '"' || c == '\\')
                return false;
            destination[i] = (byte)c;
        }

        return true;
    }
}
