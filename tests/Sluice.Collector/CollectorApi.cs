namespace Sluice.Collector;

/// <summary>The APIs the reference collector serves.</summary>
public enum CollectorApi
{
    /// <summary>ThriveStack Track (spec 001): <c>POST /api/track</c>, JSON array, <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    ThriveStackTrack,

    /// <summary>ThriveStack Page (spec 000): <c>POST /api/page</c>, JSON array, <c>x-api-key: &lt;key&gt;</c>.</summary>
    ThriveStackPage,

    /// <summary>Segment / Customer.io batch (spec 003): <c>POST /v1/batch</c>, <c>{"batch":[...],"sentAt":...}</c>, HTTP Basic with the write key as user name.</summary>
    Segment,

    /// <summary>PrimeData (spec 004): <c>POST /powehi/smile</c>, <c>{"events":[...]}</c>, <c>X-Client-Id</c> + <c>X-Client-Access-Token</c>.</summary>
    PrimeData,
}
