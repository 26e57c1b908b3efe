using System.Buffers.Binary;
using System.IO.Hashing;

namespace Sluice.Spooling;

/// <summary>
/// The spool's on-disk layout (docs/durability.md). Every integer is little-endian. A segment file is
/// a <see cref="SegmentHeader"/> then batch records; its acknowledgement file holds acknowledgement
/// records. Every record starts with <see cref="Magic"/> and a CRC-32 of the rest of its fixed header,
/// so a reader that meets damage can find the next intact record.
/// </summary>
internal static class RecordLayout
{
    /// <summary>The first byte of every record and header. 0xF5 never occurs in UTF-8 text, so a JSON body cannot hold it.</summary>
    public const byte MagicByte = 0xF5;

    /// <summary>Type byte of a batch record.</summary>
    public const byte BatchType = 1;

    /// <summary>Type byte of an acknowledgement record.</summary>
    public const byte AcknowledgementType = 2;

    /// <summary>
    /// A batch record's fixed header: magic (4), header CRC over bytes 8-43 (4), type (1), flags (1),
    /// partition (2), event count N (4), body length B (4), payload CRC over the 4N + B bytes that
    /// follow the header (4), batch id (8), appended at in Unix milliseconds (8), format tag (4).
    /// Then N event end offsets (4 each) and the body.
    /// </summary>
    public const int BatchHeaderLength = 44;

    /// <summary>An acknowledgement: magic (4), CRC over bytes 8-23 (4), type (1), flags (1), reserved (2), event count (4), batch id (8).</summary>
    public const int AcknowledgementLength = 24;

    /// <summary>Bytes every record starts with before its type: magic and CRC.</summary>
    public const int TypeOffset = 8;

    /// <summary>Events per record at most: the engine's largest <c>MaxBatchEvents</c>.</summary>
    public const int MaxEvents = 100_000;

    /// <summary>Body bytes per record at most: the engine's largest <c>MaxBatchBytes</c> (128 MiB).</summary>
    public const int MaxBodyBytes = 128 * 1024 * 1024;

    /// <summary>Magic of a record ("\xF5SLR").</summary>
    public static ReadOnlySpan<byte> Magic => [MagicByte, (byte)'S', (byte)'L', (byte)'R'];

    /// <summary>Magic of a segment header ("\xF5SLS").</summary>
    public static ReadOnlySpan<byte> SegmentMagic => [MagicByte, (byte)'S', (byte)'L', (byte)'S'];

    /// <summary>The length of a batch record with <paramref name="events"/> events and a body of <paramref name="bodyLength"/> bytes.</summary>
    public static long BatchRecordLength(int events, long bodyLength) => BatchHeaderLength + (4L * events) + bodyLength;

    /// <summary>The tag every record carries for the wire format it was written for: CRC-32 of the format's identity.</summary>
    public static uint FormatTag(string formatIdentity) => Crc32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(formatIdentity));

    /// <summary>Writes an acknowledgement of <paramref name="batchId"/> into <paramref name="destination"/> (24 bytes).</summary>
    public static void WriteAcknowledgement(Span<byte> destination, long batchId, int events)
    {
        Magic.CopyTo(destination);
        destination[8] = AcknowledgementType;
        destination[9] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[10..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], events);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], batchId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32.HashToUInt32(destination[8..AcknowledgementLength]));
    }

    /// <summary>Reads an acknowledgement (24 bytes); false if its magic, CRC or fields are wrong.</summary>
    public static bool TryReadAcknowledgement(ReadOnlySpan<byte> source, out long batchId)
    {
        batchId = 0;
        if (!source.StartsWith(Magic) || source[8] != AcknowledgementType || source[9] != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32.HashToUInt32(source[8..AcknowledgementLength])
            || BinaryPrimitives.ReadUInt16LittleEndian(source[10..]) != 0 || BinaryPrimitives.ReadInt32LittleEndian(source[12..]) <= 0)
            return false;
        batchId = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        return batchId >= 0;
    }
}
