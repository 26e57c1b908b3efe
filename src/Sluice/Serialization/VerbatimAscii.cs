using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sluice.Serialization;

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

        // Long strings (property values) go as wide as the hardware allows: 64 or 32 characters a step
        // (an 8 KB event's 110-character values took 7 steps of 16; the serializer is the pipeline's
        // slowest stage for such events).
        if (Vector512.IsHardwareAccelerated && length >= 64)
            return TryNarrow512(ref source, ref target, length);
        if (Vector256.IsHardwareAccelerated && length >= 32)
            return TryNarrow256(ref source, ref target, length);

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

    private static bool TryNarrow512(ref ushort source, ref byte target, nuint length)
    {
        nuint last = length - 64;
        for (nuint i = 0; ; i = Math.Min(i + 64, last))
        {
            var lower = Vector512.LoadUnsafe(ref source, i);
            var upper = Vector512.LoadUnsafe(ref source, i + 32);
            if ((Escaped(lower) | Escaped(upper)) != Vector512<ushort>.Zero)
                return false;
            Vector512.Narrow(lower, upper).StoreUnsafe(ref target, i);
            if (i == last)
                return true;
        }
    }

    private static bool TryNarrow256(ref ushort source, ref byte target, nuint length)
    {
        nuint last = length - 32;
        for (nuint i = 0; ; i = Math.Min(i + 32, last))
        {
            var lower = Vector256.LoadUnsafe(ref source, i);
            var upper = Vector256.LoadUnsafe(ref source, i + 16);
            if ((Escaped(lower) | Escaped(upper)) != Vector256<ushort>.Zero)
                return false;
            Vector256.Narrow(lower, upper).StoreUnsafe(ref target, i);
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

    /// <inheritdoc cref="Escaped(Vector128{ushort})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> Escaped(Vector256<ushort> v)
        => Vector256.GreaterThan(v - Vector256.Create((ushort)0x20), Vector256.Create((ushort)(0x7E - 0x20)))
           | Vector256.Equals(v, Vector256.Create((ushort)'"'))
           | Vector256.Equals(v, Vector256.Create((ushort)'\\'));

    /// <inheritdoc cref="Escaped(Vector128{ushort})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Escaped(Vector512<ushort> v)
        => Vector512.GreaterThan(v - Vector512.Create((ushort)0x20), Vector512.Create((ushort)(0x7E - 0x20)))
           | Vector512.Equals(v, Vector512.Create((ushort)'"'))
           | Vector512.Equals(v, Vector512.Create((ushort)'\\'));

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
