using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// Scenario 5, the baseline: what most SDKs do. The caller builds an event object with property
/// dictionaries; a bounded <see cref="Channel{T}"/> (waiting when full, like the end-to-end run)
/// carries it to one consumer that fills a <see cref="List{T}"/> per batch and serializes each full
/// list with <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, System.Text.Json.Serialization.Metadata.JsonTypeInfo{TValue})"/>
/// and a source-generated context; the bytes go to a transport that returns at once. Same events,
/// same batch sizes as the end-to-end scenario.
/// </summary>
public class BaselineBenchmark
{
    private ConventionalPipeline _pipeline = null!;

    [GlobalSetup(Target = nameof(Standard))]
    public void SetupStandard()
    {
        _pipeline = new ConventionalPipeline(EventShape.Standard);
        SteadyState.WarmUp(nameof(BaselineBenchmark), () => _pipeline.Run(EndToEndBenchmark.StandardEvents));
    }

    [GlobalSetup(Target = nameof(Large))]
    public void SetupLarge()
    {
        _pipeline = new ConventionalPipeline(EventShape.Large);
        SteadyState.WarmUp(nameof(BaselineBenchmark), () => _pipeline.Run(EndToEndBenchmark.LargeEvents));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pipeline.Complete();
        ProcessAllocation.Save();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EndToEndBenchmark.StandardEvents)]
    public void Standard()
    {
        var start = ProcessAllocation.Start();
        _pipeline.Run(EndToEndBenchmark.StandardEvents);
        ProcessAllocation.Stop(start, EndToEndBenchmark.StandardEvents, nameof(BaselineBenchmark) + "." + nameof(Standard));
    }

    [Benchmark(OperationsPerInvoke = EndToEndBenchmark.LargeEvents)]
    public void Large()
    {
        var start = ProcessAllocation.Start();
        _pipeline.Run(EndToEndBenchmark.LargeEvents);
        ProcessAllocation.Stop(start, EndToEndBenchmark.LargeEvents, nameof(BaselineBenchmark) + "." + nameof(Large));
    }
}

/// <summary>The conventional event object.</summary>
public sealed record ConventionalEvent(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("event_name")] string EventName,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp,
    [property: JsonPropertyName("properties")] Dictionary<string, object?> Properties,
    [property: JsonPropertyName("context")] Dictionary<string, object?> Context);

[JsonSerializable(typeof(List<ConventionalEvent>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(double))]
internal sealed partial class ConventionalJsonContext : JsonSerializerContext;

/// <summary>Channel of objects → List per batch → JsonSerializer → a transport that returns at once.</summary>
internal sealed class ConventionalPipeline
{
    private readonly Channel<ConventionalEvent> _channel = Channel.CreateBounded<ConventionalEvent>(
        new BoundedChannelOptions(65_536) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly EventShape _shape;
    private readonly int _maxBatchEvents;
    private readonly Task _consumer;
    private readonly object _lock = new();
    private long _next;
    private long _delivered;
    private long _bytes;

    public ConventionalPipeline(EventShape shape)
    {
        _shape = shape;

        // 240 large events are about 2 MB: the same byte-bounded batches the engine makes.
        _maxBatchEvents = shape == EventShape.Standard ? 1_000 : 240;
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>The caller's side, as most SDKs are used: an event object and property dictionaries per call.</summary>
    public void Track(ConventionalEvent e)
    {
        if (!_channel.Writer.TryWrite(e))
            _channel.Writer.WriteAsync(e).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Tracks <paramref name="count"/> events (a whole number of batches) and waits until all are delivered.</summary>
    public void Run(long count)
    {
        long start = _next;
        _next += count;
        for (long i = start; i < start + count; i++)
        {
            // As a caller of such an SDK writes it: new dictionaries for every call.
            var properties = _shape == EventShape.Standard ? StandardEvent.PropertiesDictionary(i) : LargeEvent.PropertiesDictionary(i);
            Track(new ConventionalEvent(StandardEvent.UserId(i), StandardEvent.Name, DateTime.UtcNow, properties, StandardEvent.ContextDictionary()));
        }

        WaitDelivered(_next);
    }

    private void WaitDelivered(long total)
    {
        lock (_lock)
        {
            while (_delivered < total)
                Monitor.Wait(_lock);
        }
    }

    public void Complete()
    {
        _channel.Writer.TryComplete();
        _consumer.GetAwaiter().GetResult();
    }

    private async Task ConsumeAsync()
    {
        var reader = _channel.Reader;
        var batch = new List<ConventionalEvent>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                batch.Add(e);
                if (batch.Count == _maxBatchEvents)
                {
                    Send(JsonSerializer.SerializeToUtf8Bytes(batch, ConventionalJsonContext.Default.ListConventionalEvent), batch.Count);
                    batch = [];
                }
            }
        }
    }

    private void Send(byte[] body, int events)
    {
        lock (_lock)
        {
            _bytes += body.Length;
            _delivered += events;
            Monitor.PulseAll(_lock);
        }
    }
}
