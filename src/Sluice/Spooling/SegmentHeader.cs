using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Sluice.Spooling;

/// <summary>
/// The start of a segment file: magic "\xF5SLS" (4), CRC-32 of bytes 8 to the end of the header (4),
/// layout version (2), identity length L (2), first batch id (8), created at in Unix milliseconds (8),
/// then the wire format's identity (L bytes of UTF-8).
/// </summary>
internal sealed record SegmentHeader(long FirstId, long CreatedAtMs, string FormatIdentity)
{
    /// <summary>The layout version this code writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>The header without the identity.</summary>
    public const int FixedLength = 28;

    /// <summary>The longest format identity, in UTF-8 bytes.</summary>
    public const int MaxIdentityBytes = 1024;

    /// <summary>The header's length in bytes.</summary>
    public int Length => FixedLength + Encoding.UTF8.GetByteCount(FormatIdentity);

    /// <summary>The header's bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        RecordLayout.SegmentMagic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), (ushort)(bytes.Length - FixedLength));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), FirstId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(20), CreatedAtMs);
        Encoding.UTF8.GetBytes(FormatIdentity, bytes.AsSpan(FixedLength));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Crc32.HashToUInt32(bytes.AsSpan(8)));
        return bytes;
    }

    /// <summary>
    /// The identity length a header starting with these <see cref="FixedLength"/> bytes declares; -1 if they are no header.
    /// Any layout version: every version keeps the magic, the CRC of bytes 8 to the end, the version and L in bytes 0–11,
    /// and a header of 28 + L bytes, so that a version it does not know is recognised (<see cref="OtherVersion"/>).
    /// </summary>
    public static int IdentityLength(ReadOnlySpan<byte> fixedPart)
    {
        if (!fixedPart.StartsWith(RecordLayout.SegmentMagic))
            return -1;
        int length = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[10..]);
        return length is >= 1 and <= MaxIdentityBytes ? length : -1;
    }

    /// <summary>
    /// The layout version of an intact header written by another version of this code (a later one), whose records this
    /// code cannot read; null if <paramref name="source"/> is no intact header or one of <see cref="Version"/>.
    /// </summary>
    public static ushort? OtherVersion(ReadOnlySpan<byte> source)
    {
        if (!IsIntact(source))
            return null;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(source[8..]);
        return version == Version ? null : version;
    }

    /// <summary>Reads a whole header; null if its CRC or fields are wrong, or it is of another layout version.</summary>
    public static SegmentHeader? TryRead(ReadOnlySpan<byte> source)
    {
        if (!IsIntact(source) || BinaryPrimitives.ReadUInt16LittleEndian(source[8..]) != Version)
            return null;
        long firstId = BinaryPrimitives.ReadInt64LittleEndian(source[12..]);
        if (firstId < 0)
            return null;
        string identity;
        try
        {
            identity = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(source[FixedLength..]);
        }
        catch (DecoderFallbackException)
        {
            return null; // the CRC matched bytes that are not UTF-8: not a header this code wrote
        }

        return new SegmentHeader(firstId, BinaryPrimitives.ReadInt64LittleEndian(source[20..]), identity);
    }

    // The framing every layout version shares: the magic, L, the length it implies and the CRC.
    private static bool IsIntact(ReadOnlySpan<byte> source)
    {
        int identityLength = IdentityLength(source);
        return identityLength > 0 && source.Length == FixedLength + identityLength
            && BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) == Crc32.HashToUInt32(source[8..]);
    }
}
