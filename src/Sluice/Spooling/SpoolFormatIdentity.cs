using System.Globalization;
using System.IO.Hashing;
using Sluice.Serialization;

namespace Sluice.Spooling;

/// <summary>
/// What identifies a wire format to the spool: a replayed body is sent as written, split by event
/// with the format's envelope and stamped by its suffix, so it must go back out through the same
/// format, with the same endpoints and envelope, and the same setting that each event carries for its request
/// (<see cref="WireFormat.SpoolBinding"/>: PrimeData's client id, as scope). Two instances of one format with the same settings have the same identity.
/// </summary>
internal static class SpoolFormatIdentity
{
    /// <summary>E.g. <c>Sluice.Serialization.ThriveStackFormat /api/track /api/page envelope ce67806a</c>.</summary>
    public static string Of(WireFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var envelope = new Crc32();
        var paths = new List<string>(format.PartitionCount);
        for (int p = 0; p < format.PartitionCount; p++)
        {
            paths.Add(format.EndpointPath(p));
            envelope.Append(format.BatchPrefix(p));
            envelope.Append([0]);
            envelope.Append(format.BatchSuffix(p));
            envelope.Append([0]);
        }

        string hash = envelope.GetCurrentHashAsUInt32().ToString("x8", CultureInfo.InvariantCulture);
        string endpoints = string.Join(' ', paths);
        if (System.Text.Encoding.UTF8.GetByteCount(endpoints) > SegmentHeader.MaxIdentityBytes / 2)
            endpoints = $"{paths.Count} endpoints {Crc32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(endpoints)).ToString("x8", CultureInfo.InvariantCulture)}";
        // A setting every event carries that its request must match (WireFormat.SpoolBinding): its CRC, as it may be long.
        string binding = format.SpoolBinding is { } setting
            ? " scope " + Crc32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(setting)).ToString("x8", CultureInfo.InvariantCulture)
            : "";
        return $"{format.GetType().FullName} {endpoints} envelope {hash}{binding}";
    }
}
