using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>An engine on a manual clock with a scripted transport, known jitter and collected diagnostics.</summary>
internal sealed class PolicyHarness : IAsyncDisposable
{
    /// <summary>Timers further out than this are the engine's linger and deadline timers, not retry waits.</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromHours(1);

    public PolicyHarness(Func<ScriptedTransport.Attempt, SendResult> rule, Action<SluiceOptions>? configure = null, DateTimeOffset? start = null)
    {
        Clock = new ManualTimeProvider(start);
        Transport = new ScriptedTransport(rule);
        var options = new SluiceOptions
        {
            TimeProvider = Clock,
            MaxBatchEvents = 10,
            FlushInterval = TimeSpan.FromDays(1),
            MaxConcurrentSends = 1,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            RetryMaxDelay = TimeSpan.FromSeconds(10),
            MaxSendAttempts = 100,
            RetryBudget = TimeSpan.FromDays(1),
            UnauthorizedProbeInterval = TimeSpan.FromMinutes(1),
            ShutdownTimeout = TimeSpan.FromHours(1),
            JitterRandom = new FixedRandom(0.5),
            OnDiagnostic = Diagnostics.Enqueue,
        };
        configure?.Invoke(options);
        Engine = new SluiceEngine(options, Transport);
    }

    public ManualTimeProvider Clock { get; }

    public ScriptedTransport Transport { get; }

    public SluiceEngine Engine { get; }

    public ConcurrentQueue<DiagnosticEvent> Diagnostics { get; } = new();

    /// <summary>Retry and probe waits now armed (the engine's own day-long timers left out).</summary>
    public IReadOnlyList<TimeSpan> Waits => Clock.PendingDelays.Where(d => d < Horizon).ToArray();

    public IEnumerable<DiagnosticEvent> Of(DiagnosticKind kind) => Diagnostics.Where(d => d.Kind == kind);

    /// <summary>Tracks <paramref name="count"/> events with user ids <c>{prefix}-{i}</c> (or a marked one when <paramref name="mark"/> says so).</summary>
    public void Track(int count, string prefix = "u", Func<int, bool>? mark = null)
    {
        for (int i = 0; i < count; i++)
        {
            string user = mark?.Invoke(i) == true ? $"poison-{i}" : $"{prefix}-{i}";
            Assert.Equal(EnqueueStatus.Accepted, Engine.Track(user, "feature_used", new Dictionary<string, object?> { ["i"] = i, ["plan"] = "pro" }));
        }
    }

    /// <summary>Waits for a retry or probe wait of exactly <paramref name="expected"/> to be armed, then lets it pass.</summary>
    public async Task PassWait(TimeSpan expected)
    {
        await Eventually.True(() => Waits.Contains(expected), $"a wait of {expected} (armed: {string.Join(", ", Waits)})");
        Assert.Equal([expected], Waits);
        Clock.Advance(expected);
    }

    /// <summary>The user ids of every event in the bodies the transport accepted.</summary>
    public List<string> DeliveredUsers(string field = "user_id") =>
        Transport.Delivered.SelectMany(BatchJson.Events).Select(e => e.GetProperty(field).GetString()!).ToList();

    public async Task<ShutdownResult> ShutdownAsync()
    {
        var result = await Engine.ShutdownAsync();
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, Engine.HeldBatchBodies); // every batch and sub-batch body was released
        foreach (var attempt in Transport.Attempts)
        {
            // Every body sent, whole batch or part, is valid and within the limits.
            var events = BatchJson.Events(attempt.Batch);
            Assert.Equal(attempt.Batch.EventCount, events.Count);
            Assert.InRange(events.Count, 1, Engine.Options.MaxBatchEvents);
            Assert.InRange(attempt.Batch.Body.Length, 1, Engine.Options.MaxBatchBytes);
        }

        return result;
    }

    /// <summary>Shuts down even if a test failed half-way with a wait pending: the deadline is passed by hand.</summary>
    public async ValueTask DisposeAsync()
    {
        var shutdown = Engine.ShutdownAsync();
        for (int i = 0; i < 100 && !shutdown.IsCompleted; i++)
        {
            Clock.Advance(TimeSpan.FromDays(1));
            await Task.WhenAny(shutdown, Task.Delay(10));
        }

        await shutdown;
    }

    public static JsonElement Single(ScriptedTransport.Attempt attempt) => Assert.Single(BatchJson.Events(attempt.Batch));
}
