using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The buffer a reply is read into goes back to the shared pool, whatever the answer.</summary>
public class ReplyBufferTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task Every_reply_buffer_rented_by_a_send_is_returned_to_the_pool()
    {
        await using var collector = await Sluice.Collector.ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 503, message: "busy");
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = HttpAuthentication.ThriveStack(collector.Credentials.TrackToken, null),
        });
        using var pool = new PoolListener();

        var results = await PoolListener.WatchAsync(async () =>
        {
            var failed = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);
            var delivered = await transport.SendAsync(TestBatches.Seal(TestBatches.Memory(), [TrackEvent]), CancellationToken.None);
            return (failed, delivered);
        });

        Assert.Equal(SendOutcome.Retry, results.failed.Outcome);
        Assert.Equal(SendOutcome.Delivered, results.delivered.Outcome);
        Assert.Equal(2, pool.Rented(16 * 1024).Count);
        Assert.Equal(pool.Rented(16 * 1024).Order(), pool.Returned(16 * 1024).Order());
    }

    /// <summary>
    /// The shared array pool's rents and returns made by the code this test awaits, told apart from other tests' (which run at
    /// the same time) by an async-local flag: the pool's events are raised on the thread that rents or returns, in its flow.
    /// </summary>
    private sealed class PoolListener : EventListener
    {
        private static readonly AsyncLocal<bool> Watching = new();
        private readonly ConcurrentQueue<(bool Rent, int Id, int Size)> _events = new();

        public static async Task<T> WatchAsync<T>(Func<Task<T>> body)
        {
            Watching.Value = true;
            try
            {
                return await body();
            }
            finally
            {
                Watching.Value = false;
            }
        }

        public List<int> Rented(int size) => [.. _events.Where(e => e.Rent && e.Size == size).Select(e => e.Id)];

        public List<int> Returned(int size) => [.. _events.Where(e => !e.Rent && e.Size == size).Select(e => e.Id)];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
                EnableEvents(eventSource, EventLevel.Verbose);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (!Watching.Value || eventData.Payload is not { Count: >= 2 } payload)
                return;
            if (eventData.EventName is "BufferRented" or "BufferReturned")
                _events.Enqueue((eventData.EventName == "BufferRented", (int)payload[0]!, (int)payload[1]!));
        }
    }
}
