using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Benchmarks;
using Sluice.Serialization;
using Sluice.Delivery.Transports;
using Sluice.Tests.Support;

namespace Sluice.Tests.Performance;

/// <summary>The benchmarks compare the engine with a ceiling: both must write the very same bytes.</summary>
public class StandardEventTests
{
    [Fact]
    public async Task The_engine_writes_exactly_what_the_ceiling_writes_about_290_bytes_per_event()
    {
        var clock = new ManualTimeProvider();
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock }, transport))
        {
            for (long i = 0; i < 50; i++)
                StandardEvent.Track(engine, i);
        }

        var written = transport.Batches.SelectMany(BatchJson.Events).Select(e => e.GetRawText()).ToList();
        Assert.Equal(50, written.Count);
        for (int i = 0; i < written.Count; i++)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
                StandardEvent.WriteJson(w, i, clock.GetUtcNow().UtcTicks);
            Assert.Equal(Encoding.UTF8.GetString(buffer.WrittenSpan), written[i]);
            Assert.InRange(buffer.WrittenCount, 270, 310);
        }
    }

    [Fact]
    public void The_dictionary_and_json_forms_hold_the_same_properties()
    {
        for (long i = 0; i < 8; i++)
        {
            using var fromJson = JsonDocument.Parse(StandardEvent.PropertiesJson(i));
            var map = StandardEvent.PropertiesDictionary(i);
            Assert.Equal(map.Count, fromJson.RootElement.EnumerateObject().Count());
            Assert.Equal(map["plan"], fromJson.RootElement.GetProperty("plan").GetString());
            Assert.Equal(map["seats"], fromJson.RootElement.GetProperty("seats").GetInt64());
            Assert.Equal(map["duration_ms"], fromJson.RootElement.GetProperty("duration_ms").GetDouble());
        }
    }
}
