namespace Sluice.Collector;

/// <summary>
/// The credentials the collector accepts right now. Written by tests and admin requests
/// (<see cref="CollectorFaults.RequireCredential"/>), read by request threads: each value is one
/// volatile reference, so a change applies to the next request.
/// </summary>
public sealed class CollectorCredentials
{
    private volatile string _trackToken;
    private volatile string _pageApiKey;
    private volatile string _segmentWriteKey;
    private volatile string _primeDataAccessToken;

    internal CollectorCredentials(CollectorOptions options)
    {
        _trackToken = options.TrackToken;
        _pageApiKey = options.PageApiKey;
        _segmentWriteKey = options.SegmentWriteKey;
        PrimeDataClientId = options.PrimeDataClientId;
        _primeDataAccessToken = options.PrimeDataAccessToken;
    }

    /// <summary>The bearer token of the Track API.</summary>
    public string TrackToken => _trackToken;

    /// <summary>The <c>x-api-key</c> of the Page API.</summary>
    public string PageApiKey => _pageApiKey;

    /// <summary>The write key of the batch API.</summary>
    public string SegmentWriteKey => _segmentWriteKey;

    /// <summary>PrimeData's client id (fixed: it is also every event's <c>scope</c>).</summary>
    public string PrimeDataClientId { get; }

    /// <summary>PrimeData's access token.</summary>
    public string PrimeDataAccessToken => _primeDataAccessToken;

    /// <summary>The secret of <paramref name="api"/>.</summary>
    public string Of(CollectorApi api) => api switch
    {
        CollectorApi.ThriveStackTrack => _trackToken,
        CollectorApi.ThriveStackPage => _pageApiKey,
        CollectorApi.Segment => _segmentWriteKey,
        _ => _primeDataAccessToken,
    };

    internal void Set(CollectorApi api, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        switch (api)
        {
            case CollectorApi.ThriveStackTrack: _trackToken = value; break;
            case CollectorApi.ThriveStackPage: _pageApiKey = value; break;
            case CollectorApi.Segment: _segmentWriteKey = value; break;
            default: _primeDataAccessToken = value; break;
        }
    }
}
