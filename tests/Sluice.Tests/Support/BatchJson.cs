using System.Text.Json;
using System.Text.Unicode;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Support;

/// <summary>Reads batch bodies back: ThriveStack arrays, or the events array of an envelope.</summary>
public static class BatchJson
{
    /// <summary>Parses a body (throws if it is not valid JSON) and returns its events.</summary>
    public static List<JsonElement> Events(ReceivedBatch batch)
    {
        using var doc = JsonDocument.Parse(batch.Body);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>
    /// Fails unless the body is what a strict receiver accepts: valid UTF-8, and every string and
    /// name decodable to UTF-16 (no lone surrogate escapes, which System.Text.Json refuses to read).
    /// </summary>
    public static void AssertStrict(ReceivedBatch batch)
    {
        Assert.True(Utf8.IsValid(batch.Body), "The body is not valid UTF-8.");
        var reader = new Utf8JsonReader(batch.Body);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                _ = reader.GetString();
        }
    }

    /// <summary>Parses an envelope body (<c>{"batch":[...]}</c>, <c>{"events":[...]}</c>) and returns the events of its <paramref name="arrayProperty"/>.</summary>
    public static List<JsonElement> Events(ReceivedBatch batch, string arrayProperty)
    {
        using var doc = JsonDocument.Parse(batch.Body);
        var array = doc.RootElement.GetProperty(arrayProperty);
        Assert.Equal(JsonValueKind.Array, array.ValueKind);
        return array.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
