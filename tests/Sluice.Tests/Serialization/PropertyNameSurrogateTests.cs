using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>A key with a lone surrogate, repeated (so the name cache would encode it), is written as U+FFFD, not dropped (found by the engine fuzz target).</summary>
public class PropertyNameSurrogateTests
{
    [Fact]
    public async Task A_repeated_key_with_a_lone_surrogate_is_written_with_U_FFFD()
    {
        var transport = new InMemoryTransport();
        string key = "k\uD800";
        var engine = new SluiceEngine(new SluiceOptions(), transport);
        for (int i = 0; i < 5; i++)
            engine.Track("u", "e", new Dictionary<string, object?> { [key] = i });
        var result = await engine.ShutdownAsync();

        Assert.Equal(5, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.Failed);
        var events = BatchJson.Events(Assert.Single(transport.Batches));
        Assert.All(events, e => Assert.True(e.GetProperty("properties").TryGetProperty("k\uFFFD", out _)));
    }
}
