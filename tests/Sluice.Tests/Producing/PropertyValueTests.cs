using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Producing;

/// <summary>docs/producing.md's list of the property values the dictionary API takes, how each is written, and those it refuses.</summary>
public class PropertyValueTests
{
    public static TheoryData<object?, string> Supported() => new()
    {
        { "text", "\"text\"" },
        { true, "true" },
        { sbyte.MinValue, "-128" },
        { ulong.MaxValue, "18446744073709551615" },
        { 1.5, "1.5" },
        { 0.1f, "0.1" }, // a float as a float, not the double 0.10000000149011612
        { 12.50m, "12.50" },
        { new DateTime(2024, 10, 20, 15, 51, 35, 59, DateTimeKind.Unspecified), "\"2024-10-20T15:51:35.059000Z\"" }, // taken as UTC
        { new DateTimeOffset(2024, 10, 20, 17, 51, 35, 59, TimeSpan.FromHours(2)), "\"2024-10-20T15:51:35.059000Z\"" }, // its UTC instant
        { new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"), "\"0f8fad5b-d9cb-469f-a165-70867728950e\"" },
        { 'x', "\"x\"" },
        { DayOfWeek.Monday, "\"Monday\"" }, // an enum by name
        { JsonDocument.Parse("""{"a":[1,2]}""").RootElement, """{"a":[1,2]}""" },
        { new Dictionary<string, object?> { ["n"] = 1 }, """{"n":1}""" },
        { new List<string> { "a", "b" }, """["a","b"]""" }, // any other enumerable as an array
        { new byte[] { 1, 2 }, "[1,2]" }, // numbers, not base64
        { null, "null" },
    };

    [Theory]
    [MemberData(nameof(Supported))]
    public async Task A_supported_value_is_written_as_the_docs_say(object? value, string json)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e", new Dictionary<string, object?> { ["x"] = value }));

        using var body = JsonDocument.Parse(Assert.Single(transport.Batches).Body);
        Assert.Equal(json, body.RootElement[0].GetProperty("properties").GetProperty("x").GetRawText());
    }

    public static TheoryData<object> Unsupported() =>
    [
        (Int128)1, (nint)1, (Half)1, TimeSpan.FromSeconds(1), new DateOnly(2024, 10, 20), new TimeOnly(15, 51), new Uri("https://example.com"),

        // JsonNode is enumerable: a JsonObject went on as an array of pairs ({} was sent as []), one with members was refused naming its first pair.
        new JsonObject(), new JsonObject { ["a"] = 1 }, new JsonArray(1, 2), JsonValue.Create(3),
    ];

    [Theory]
    [MemberData(nameof(Unsupported))]
    public async Task An_unsupported_value_throws_naming_the_property_and_its_type(object value)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            var ex = Assert.Throws<ArgumentException>(() => engine.Track("u", "e", new Dictionary<string, object?> { ["x"] = value }));
            Assert.StartsWith($"properties.x: values of type {value.GetType()} are not supported", ex.Message, StringComparison.Ordinal);
            Assert.Equal(0, engine.GetCounters().Accepted);
        }

        Assert.Empty(transport.Batches);
    }
}
