using Sluice.Delivery.Transports;
using Sluice.Diagnostics;

namespace Sluice.Tests.Producing;

/// <summary>
/// Wait mode called from the engine's own callbacks: the serializer runs OnDiagnostic and OnBatchSettled for an
/// oversize event on its own thread, so a Track there that waited for room would wait for itself.
/// </summary>
public class FullModeCallbackTests
{
    public enum Sink
    {
        OnDiagnostic,
        OnBatchSettled,
    }

    [Theory]
    [InlineData(Sink.OnDiagnostic)]
    [InlineData(Sink.OnBatchSettled)]
    public async Task In_wait_mode_a_Track_from_the_engines_own_callback_is_refused_at_once_when_the_queue_is_full(Sink sink)
    {
        var transport = new InMemoryTransport();
        var fromCallback = new TaskCompletionSource<List<EnqueueStatus>>(TaskCreationOptions.RunContinuationsAsynchronously);
        SluiceEngine engine = null!;
        int calls = 0;

        void TrackUntilRefused()
        {
            if (Interlocked.Exchange(ref calls, 1) != 0)
                return;
            // The oversize event's slot is still the serializer's while it reports it: one more event fills a queue of
            // two, and the next finds it full. Waiting for room there could only end at the timeout (a minute).
            var statuses = new List<EnqueueStatus>();
            for (int i = 0; i < 3; i++)
            {
                statuses.Add(engine.Track("u", "from-callback").Status);
                if (statuses[^1] != EnqueueStatus.Accepted)
                    break;
            }

            fromCallback.TrySetResult(statuses);
        }

        var options = new SluiceOptions
        {
            QueueCapacity = 2,
            MaxBatchBytes = 1024,
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromMinutes(1),
        };
        if (sink == Sink.OnDiagnostic)
            options.OnDiagnostic = d => { if (d.Kind == DiagnosticKind.EventOversize) TrackUntilRefused(); };
        else
            options.OnBatchSettled = (in SettledEvents s) => { if (s.Outcomes[0] == EventOutcome.Oversize) TrackUntilRefused(); };
        engine = new SluiceEngine(options, transport);

        Assert.Equal(EnqueueStatus.Accepted, engine.Track(new string('x', 2000), "too-large").Status);
        // Ends as soon as the callback's Track returns; a wait for the serializer (this callback's own thread) would
        // only end at FullModeWaitTimeout, long after this.
        var statuses = await fromCallback.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var result = await engine.ShutdownAsync();

        Assert.Equal([EnqueueStatus.Accepted, EnqueueStatus.QueueFull], statuses);
        Assert.Equal(1, result.Counters.RefusedQueueFull);
        Assert.Equal(1, result.Counters.RejectedOversize);
        Assert.Equal(1, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.InFlight);
    }
}
