using System.Text.Json;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Support;

/// <summary>Reads ThriveStack batch bodies back.</summary>
public static class BatchJson
{
    /// <summary>Parses a body (throws if it is not valid JSON) and returns its events.</summary>
    public static List<JsonElement> Events(ReceivedBatch batch)
    {
        using var doc = JsonDocument.Parse(batch.Body);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
