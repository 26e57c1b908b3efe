using System.Text.Json;
using Sluice.Delivery.Transports;

namespace Sluice.Fuzz.Oracles;

/// <summary>The rules every batch must keep, whatever went in: strictly valid JSON, within both limits, the count it claims.</summary>
internal static class BatchRules
{
    /// <summary>Checks a ThriveStack body (a JSON array of events) and returns each event's JSON.</summary>
    public static List<byte[]> ArrayEvents(ReceivedBatch batch, int maxBytes, int maxEvents)
        => Events(batch, maxBytes, maxEvents, envelope: null);

    /// <summary>
    /// Checks a body and returns each event's JSON. <paramref name="envelope"/> names the member that
    /// holds the event array (<c>{"batch":[...]}</c>), or null for a bare array.
    /// </summary>
    public static List<byte[]> Events(ReceivedBatch batch, int maxBytes, int maxEvents, string? envelope)
    {
        var body = batch.Body;
        OracleFailure.Check(body.Length <= maxBytes, "batch-bytes", $"batch {batch.Sequence} is {body.Length} bytes, over the limit of {maxBytes}.");
        OracleFailure.Check(batch.EventCount >= 1 && batch.EventCount <= maxEvents, "batch-count", $"batch {batch.Sequence} holds {batch.EventCount} events (limit {maxEvents}).");
        string? problem = JsonText.StrictProblem(body);
        OracleFailure.Check(problem is null, "batch-json", $"batch {batch.Sequence} ({body.Length} bytes) is not valid JSON: {problem}");

        using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4096 });
        var array = doc.RootElement;
        if (envelope is not null)
        {
            OracleFailure.Check(array.ValueKind == JsonValueKind.Object && array.TryGetProperty(envelope, out _), "batch-shape", $"batch {batch.Sequence} has no \"{envelope}\" member.");
            array = array.GetProperty(envelope);
        }

        OracleFailure.Check(array.ValueKind == JsonValueKind.Array, "batch-shape", $"batch {batch.Sequence} holds no event array.");
        var events = new List<byte[]>();
        foreach (var e in array.EnumerateArray())
        {
            OracleFailure.Check(e.ValueKind == JsonValueKind.Object, "batch-shape", $"batch {batch.Sequence} holds a {e.ValueKind} where an event belongs.");
            events.Add(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e).ToArray());
        }

        OracleFailure.Check(events.Count == batch.EventCount, "batch-count", $"batch {batch.Sequence} claims {batch.EventCount} events and holds {events.Count}.");
        return events;
    }
}
