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

    /// <summary>The identity length a header starting with these <see cref="FixedLength"/> bytes declares; -1 if they are no header.</summary>
    public static int IdentityLength(ReadOnlySpan<byte> fixedPart)
    {
        if (!fixedPart.StartsWith(RecordLayout.SegmentMagic) || BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[8..]) != Version)
            return -1;
        int length = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[10..]);
        return length is >= 1 and <= MaxIdentityBytes ? length : -1;
    }

    /// <summary>Reads a whole header; null if its CRC or fields are wrong.</summary>
    public static SegmentHeader? TryRead(ReadOnlySpan<byte> source)
    {
        int identityLength = IdentityLength(source);
        if (identityLength < 0 || source.Length != FixedLength + identityLength
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32.HashToUInt32(source[8..]))
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
}
