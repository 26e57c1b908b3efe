using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice.Fuzz.Oracles;
using Sluice.Tests.Support;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Target 1: one NDJSON line through <see cref="SluiceEngine.EnqueueJson"/> (what <c>sluice send</c>
/// and wrapping SDKs feed). Oracles: the only exception is an <see cref="ArgumentException"/> with a
/// reason, and only for a line the independent <see cref="EventLine"/> model refuses; an accepted
/// line is sent as exactly the event the model expects (fields, properties, context by meaning) in a
/// strictly valid batch within limits, or, if it cannot fit a batch, counted as oversize; the
/// counters add up after every line.
/// </summary>
internal sealed partial class NdjsonEventFuzzer : IFuzzer, IDisposable
{
    public const string TargetName = "ndjson-event";

    /// <summary>Small, so grown strings reach the oversize path.</summary>
    private const int MaxBatchBytes = 16 * 1024;

    private readonly ManualTimeProvider _clock = new();
    private readonly RecordingTransport _transport = new();
    private readonly SluiceEngine _engine;

    public NdjsonEventFuzzer()
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
        var model = EventLine.Read(input);
        var before = _engine.GetCounters();
        EnqueueResult result;
        try
        {
            result = _engine.EnqueueJson(input);
        }
        catch (ArgumentException ex)
        {
            OracleFailure.Check(ex.Message.Length > 0, "refusal-reason", "refused without a reason.");
            bool timestampRefusal = model.TimestampText is not null && ex.ParamName == "timestamp";
            OracleFailure.Check(model.Refusal is not null || timestampRefusal, "wrongly-refused", $"a valid line was refused: {ex.Message}");
            LastOutcome = "refused " + Outcome(ex);
            return;
        }

        OracleFailure.Check(model.Refusal is null, "wrongly-accepted", $"accepted although {model.Refusal}.");
        OracleFailure.Check(result == EnqueueStatus.Accepted, "not-accepted", $"returned {result}.");
        var expected = model.Event!;
        expected.Timestamp = _clock.GetUtcNow();

        if (!_engine.FlushAsync().Wait(TimeSpan.FromSeconds(20)))
            throw new OracleFailure("flush-hang", "FlushAsync did not complete.");
        var after = _engine.GetCounters();
        var sent = _transport.Take();
        OracleFailure.Check(after.InFlight == 0 && after.Failed == before.Failed && after.LostAtShutdown == 0, "counters", $"after a flush: {after}");
        OracleFailure.Check(after.Accepted == before.Accepted + 1, "counters", $"accepted {after.Accepted - before.Accepted} events for one line.");

        if (after.RejectedOversize > before.RejectedOversize)
        {
            OracleFailure.Check(sent.Count == 0, "oversize-sent", "an event counted as oversize was also sent.");
            int size = expected.ToJson().Length + 2;
            OracleFailure.Check(size > MaxBatchBytes, "wrongly-oversize", $"an event of {size} bytes with the envelope was rejected as oversize (limit {MaxBatchBytes}).");
            LastOutcome = "oversize";
            return;
        }

        OracleFailure.Check(sent.Count == 1, "delivery", $"{sent.Count} batches for one event.");
        var events = BatchRules.ArrayEvents(sent[0].Batch, MaxBatchBytes, 1);
        var written = events[0];
        if (model.TimestampText is { } text)
            expected.Timestamp = CheckTimestamp(text, written);
        JsonText.AssertEquivalent(expected.ToJson(), written, "event");
        LastOutcome = $"sent {(expected.IsTrack ? "track" : "page")} p={expected.Properties is not null} c={expected.Context is not null} t={model.TimestampText is not null} size={Bucket(written.Length)} escapes={Bucket(written.AsSpan().Count((byte)'\\'))}";
    }

    public void Dispose() => _engine.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(20));

    /// <summary>An accepted timestamp had a zone and was converted to UTC without shifting; returns what was written.</summary>
    private static DateTimeOffset CheckTimestamp(string text, byte[] written)
    {
        OracleFailure.Check(ZoneSuffix().IsMatch(text), "timestamp-zone", $"accepted a timestamp without a time zone: {JsonText.Quote(text)}.");
        using var doc = JsonDocument.Parse(written);
        string wire = doc.RootElement.GetProperty("timestamp").GetString()!;
        var actual = DateTimeOffset.ParseExact(wire, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var given))
        {
            var drift = (actual - given).Duration();
            OracleFailure.Check(drift < TimeSpan.FromMilliseconds(1), "timestamp-value", $"{JsonText.Quote(text)} was written as {wire}.");
        }

        return actual;
    }

    /// <summary>0, or 1 + log2: coarse enough that outcomes stay few.</summary>
    internal static int Bucket(int n) => n == 0 ? 0 : 1 + (int)Math.Log2(n);

    /// <summary>The refusal reason without the variable parts (numbers, quoted values), to tell outcomes apart.</summary>
    internal static string Outcome(Exception ex)
    {
        string message = ex.Message;
        foreach (var end in (string[])[" LineNumber:", " (Parameter"])
        {
            int cut = message.IndexOf(end, StringComparison.Ordinal);
            if (cut > 0)
                message = message[..cut];
        }

        message = Variable().Replace(message, "_");
        return message.Length > 100 ? message[..100] : message;
    }

    [GeneratedRegex(@"(Z|z|[+-]\d\d(:?\d\d)?)$")]
    private static partial Regex ZoneSuffix();

    [GeneratedRegex(@"'.*'|\d+|"".*""", RegexOptions.Singleline)]
    private static partial Regex Variable();
}
