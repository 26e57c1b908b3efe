namespace Sluice.Collector;

/// <summary>Settings of a <see cref="ReferenceCollector"/>: the credentials it expects at start, its limits, and its request log.</summary>
public sealed class CollectorOptions
{
    /// <summary>The bearer token the Track API accepts.</summary>
    /// <value>Default <c>test-track-token</c>.</value>
    public string TrackToken { get; set; } = "test-track-token";

    /// <summary>The <c>x-api-key</c> the Page API accepts.</summary>
    /// <value>Default <c>test-page-key</c>.</value>
    public string PageApiKey { get; set; } = "test-page-key";

    /// <summary>The write key (HTTP Basic user name) the batch API accepts.</summary>
    /// <value>Default <c>test-write-key</c>.</value>
    public string SegmentWriteKey { get; set; } = "test-write-key";

    /// <summary>The <c>X-Client-Id</c> PrimeData accepts; every event's <c>scope</c> must equal it.</summary>
    /// <value>Default <c>test-client-id</c>.</value>
    public string PrimeDataClientId { get; set; } = "test-client-id";

    /// <summary>The <c>X-Client-Access-Token</c> PrimeData accepts.</summary>
    /// <value>Default <c>test-access-token</c>.</value>
    public string PrimeDataAccessToken { get; set; } = "test-access-token";

    /// <summary>Events per request at most; more is answered 400 (the specs' 1,000).</summary>
    /// <value>Default 1,000.</value>
    public int MaxEvents { get; set; } = 1_000;

    /// <summary>Body bytes per request at most, decompressed, envelope included; more is answered 400 (the specs' "2 MB").</summary>
    /// <value>Default 2,097,152.</value>
    public int MaxBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Receives one line per request (hand runs print them); null for silence.</summary>
    /// <value>Default none.</value>
    public Action<string>? Log { get; set; }
}
