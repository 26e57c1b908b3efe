using Sluice.Delivery.Transports;

namespace Sluice.Tests.Producing;

/// <summary>A line's optional page <c>name</c> is a string or null; anything else is refused with the field named (found by the ndjson-event fuzz target).</summary>
public class EventJsonNameTests
{
    [Fact]
    public async Task A_name_that_is_an_object_is_refused_naming_the_field()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.ThrowsAny<ArgumentException>(() => engine.EnqueueJson("""{"user_id":"m","name":{"":{"":{"":{"":""}}}},"":""}"""u8));
        Assert.Contains("name must be a string", ex.Message, StringComparison.Ordinal);
        Assert.Equal(EnqueueStatus.Accepted, engine.EnqueueJson("""{"user_id":"m","name":null}"""u8));
        Assert.Equal(EnqueueStatus.Accepted, engine.EnqueueJson("""{"user_id":"m","name":"Home"}"""u8));
    }
}
