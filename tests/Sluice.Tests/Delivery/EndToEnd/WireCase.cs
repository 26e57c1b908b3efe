using System.Text.Json;
using Sluice.Collector;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>One wire format as the end-to-end tests drive it: the engine's format, the transport's credentials, the collector's APIs.</summary>
public sealed class WireCase
{
    private WireCase(string name, Func<CollectorCredentials, WireFormat> format, Func<CollectorCredentials, HttpAuthentication> authentication,
        CollectorApi[] apis, CollectorApi trackApi, string? messageIdField)
    {
        Name = name;
        Format = format;
        Authentication = authentication;
        Apis = apis;
        TrackApi = trackApi;
        MessageIdField = messageIdField;
    }

    public string Name { get; }

    public Func<CollectorCredentials, WireFormat> Format { get; }

    /// <summary>The credentials the collector accepts right now.</summary>
    public Func<CollectorCredentials, HttpAuthentication> Authentication { get; }

    /// <summary>Every API the format's events go to.</summary>
    public CollectorApi[] Apis { get; }

    /// <summary>The API track events go to.</summary>
    public CollectorApi TrackApi { get; }

    /// <summary>The per-event id the collector de-duplicates by, if the format has one.</summary>
    public string? MessageIdField { get; }

    public static WireCase ThriveStack { get; } = new("thrivestack", _ => ThriveStackFormat.Instance,
        c => HttpAuthentication.ThriveStack(c.TrackToken, c.PageApiKey),
        [CollectorApi.ThriveStackTrack, CollectorApi.ThriveStackPage], CollectorApi.ThriveStackTrack, null);

    public static WireCase Segment { get; } = new("segment", _ => new SegmentFormat(),
        c => HttpAuthentication.Segment(c.SegmentWriteKey),
        [CollectorApi.Segment], CollectorApi.Segment, "messageId");

    public static WireCase PrimeData { get; } = new("primedata", c => new PrimeDataFormat(c.PrimeDataClientId),
        c => HttpAuthentication.PrimeData(c.PrimeDataClientId, c.PrimeDataAccessToken),
        [CollectorApi.PrimeData], CollectorApi.PrimeData, null);

    public static IReadOnlyList<WireCase> All { get; } = [ThriveStack, Segment, PrimeData];

    public static TheoryData<string> Names => [.. All.Select(c => c.Name)];

    public static WireCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>The test's own sequence number, carried in every event's properties.</summary>
    public static int SeqOf(JsonElement e) => e.GetProperty("properties").GetProperty("seq").GetInt32();

    public override string ToString() => Name;
}
