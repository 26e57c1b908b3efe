using System.Buffers.Binary;
using System.IO.Hashing;

namespace Sluice.Spooling;

/// <summary>The fixed header of a batch record (see <see cref="RecordLayout.BatchHeaderLength"/>).</summary>
internal readonly record struct BatchRecordHeader(
    int Partition, int EventCount, int BodyLength, uint PayloadCrc, long BatchId, long AppendedAtMs, uint FormatTag)
{
    /// <summary>The event end offsets and the body.</summary>
    public int PayloadLength => (4 * EventCount) + BodyLength;

    /// <summary>The whole record.</summary>
    public int RecordLength => RecordLayout.BatchHeaderLength + PayloadLength;

    /// <summary>Writes the header, its CRC included, into the first 44 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        RecordLayout.Magic.CopyTo(destination);
        destination[8] = RecordLayout.BatchType;
        destination[9] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[10..], (ushort)Partition);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], EventCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], BodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], PayloadCrc);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], BatchId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], AppendedAtMs);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[40..], FormatTag);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32.HashToUInt32(destination[8..RecordLayout.BatchHeaderLength]));
    }

    /// <summary>Reads a header (44 bytes); false if its magic, CRC or fields are wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out BatchRecordHeader header)
    {
        header = default;
        if (!source.StartsWith(RecordLayout.Magic) || source[8] != RecordLayout.BatchType || source[9] != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32.HashToUInt32(source[8..RecordLayout.BatchHeaderLength]))
            return false;

        int events = BinaryPrimitives.ReadInt32LittleEndian(source[12..]);
        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(source[16..]);
        long id = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        if (events is < 1 or > RecordLayout.MaxEvents || bodyLength is < 1 or > RecordLayout.MaxBodyBytes || id < 0)
            return false;

        header = new BatchRecordHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(source[10..]), events, bodyLength,
            BinaryPrimitives.ReadUInt32LittleEndian(source[20..]), id,
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]), BinaryPrimitives.ReadUInt32LittleEndian(source[40..]));
        return true;
    }
}
