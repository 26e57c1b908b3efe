using Sluice.Fuzz.Oracles;
using Sluice.Tests.Support;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Target 2: pre-serialized properties/context through <see cref="SluiceEngine.TrackJson"/> and
/// <see cref="SluiceEngine.PageJson"/> (what wrapping SDKs pass). Oracles: accepted exactly when the
/// input is empty (absent) or one JSON object in valid UTF-8 within the nesting limit, otherwise an
/// <see cref="ArgumentException"/> naming the field; what reaches the batch is strictly valid JSON
/// and equals the input by meaning (lone surrogate escapes become U+FFFD); an event too large for a
/// batch is counted as oversize, never sent.
/// </summary>
internal sealed class RawJsonFuzzer : IFuzzer, IDisposable
{
    public const string TargetName = "raw-json";

    private const int MaxBatchBytes = 16 * 1024;

    private readonly ManualTimeProvider _clock = new();
    private readonly RecordingTransport _transport = new();
    private readonly SluiceEngine _engine;
    private int _round;

    public RawJsonFuzzer()
    {
        _engine = new SluiceEngine(new SluiceOptions
        {
            MaxBatchEvents = 1,
            MaxBatchBytes = MaxBatchBytes,
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromMinutes(1),
            TimeProvider = _clock,
        }, _transport);
    }

    public string Name => TargetName;

    public string? LastOutcome { get; private set; }

    public void FuzzTarget(ReadOnlySpan<byte> input)
    {
        string? problem = input.IsEmpty ? null : JsonRules.ObjectProblem(input, JsonRules.MaxLevels);
        var raw = input.IsEmpty ? null : input.ToArray();

        // Take turns: as track properties, as page context, as both.
        int way = _round++ % 3;
        var expected = new ExpectedEvent
        {
            IsTrack = way != 1,
            UserId = way != 1 ? "u" : null,
            SessionId = way == 1 ? "s" : null,
            EventName = way != 1 ? "e" : null,
            Properties = way != 1 ? raw : null,
            Context = way != 0 ? raw : null,
            Timestamp = _clock.GetUtcNow(),
        };

        var before = _engine.GetCounters();
        try
        {
            var result = way switch
            {
                0 => _engine.TrackJson("u", "e", input),
                1 => _engine.PageJson(null, "s", default, input),
                _ => _engine.TrackJson("u", "e", input, input),
            };
            OracleFailure.Check(result == EnqueueStatus.Accepted, "not-accepted", $"returned {result}.");
        }
        catch (ArgumentException ex)
        {
            OracleFailure.Check(problem is not null, "wrongly-refused", $"a valid object was refused: {ex.Message}");
            OracleFailure.Check(ex.ParamName is "properties" or "context", "refusal-field", $"the refusal names {ex.ParamName ?? "no field"}: {ex.Message}");
            LastOutcome = "refused " + NdjsonEventFuzzer.Outcome(ex);
            return;
        }

        OracleFailure.Check(problem is null, "wrongly-accepted", $"accepted although {problem}.");
        if (!_engine.FlushAsync().Wait(TimeSpan.FromSeconds(20)))
            throw new OracleFailure("flush-hang", "FlushAsync did not complete.");
        var after = _engine.GetCounters();
        var sent = _transport.Take();
        OracleFailure.Check(after.InFlight == 0 && after.Failed == before.Failed && after.Accepted == before.Accepted + 1, "counters", $"after a flush: {after}");

        int size = expected.ToJson().Length + 2;
        if (after.RejectedOversize > before.RejectedOversize)
        {
            OracleFailure.Check(sent.Count == 0, "oversize-sent", "an event counted as oversize was also sent.");
            OracleFailure.Check(size > MaxBatchBytes, "wrongly-oversize", $"an event of {size} bytes with the envelope was rejected as oversize (limit {MaxBatchBytes}).");
            LastOutcome = "oversize";
            return;
        }

        OracleFailure.Check(sent.Count == 1, "delivery", $"{sent.Count} batches for one event.");
        var events = BatchRules.ArrayEvents(sent[0].Batch, MaxBatchBytes, 1);
        OracleFailure.Check(sent[0].Batch.Body.Length == size, "size", $"the batch is {sent[0].Batch.Body.Length} bytes, {size} expected: raw JSON must be copied as given.");
        JsonText.AssertEquivalent(expected.ToJson(), events[0], "event");
        LastOutcome = $"sent way={way} size={NdjsonEventFuzzer.Bucket(size)} escapes={NdjsonEventFuzzer.Bucket(input.Count((byte)'\\'))} levels={NdjsonEventFuzzer.Bucket(problem is null && raw is not null ? Levels(raw) : 0)}";
    }

    private static int Levels(byte[] json)
    {
        int deepest = 0;
        var reader = new System.Text.Json.Utf8JsonReader(json);
        while (reader.Read())
            deepest = Math.Max(deepest, reader.CurrentDepth + 1);
        return deepest;
    }

    public void Dispose() => _engine.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(20));
}
