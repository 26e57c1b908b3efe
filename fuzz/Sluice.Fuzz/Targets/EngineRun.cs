using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Diagnostics;
using Sluice.Fuzz.Oracles;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// One engine under one fuzz input: options with limits scaled down, a program of Track/Page calls
/// through every API (dictionary, callback, raw JSON, NDJSON) with odd content, flushes, clock
/// advances (linger), an early dispose, a concurrent producer, a transport that sometimes fails;
/// then the oracles over everything the transport received and the counters.
/// </summary>
internal sealed class EngineRun
{
    private const int MaxOperations = 100;
    private const int BurstIds = 1_000_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How far the clock moves each time the program waits for the engine: one retry or probe interval.</summary>
    private static readonly TimeSpan ClockStep = TimeSpan.FromSeconds(1);

    private readonly FuzzData _d;
    private readonly ValueGen _gen;
    private readonly ManualTimeProvider _clock = new();
    private readonly SluiceOptions _options;
    private readonly WireShape _shape;
    private readonly RecordingTransport _transport;
    private readonly FuzzServer _server;
    private readonly ConcurrentQueue<DiagnosticEvent> _diagnostics = new();
    private readonly ConcurrentDictionary<int, Expected> _expected = new();

    // Every outcome the engine reported through OnBatchSettled, by the event's sequence number, in report order.
    private readonly ConcurrentQueue<(long Sequence, EventOutcome Outcome)> _fates = new();

    // Calls' results, tallied by the calling threads (interlocked: the burst producer runs concurrently).
    private long _accepted;
    private long _queueFull;
    private long _shuttingDown;

    // Main thread only, except _shutDown, which the burst producer reads (before each call).
    private int _nextId;
    private int _epoch;
    private volatile bool _shutDown;
    private int _oversizeCandidates;
    private int _huge;
    private Task? _burst;

    // The program's calls run on the main thread or on one of these, one at a time (each waits for the
    // last), so each producer has its own arena while the order of calls stays the program's.
    private readonly PinnedThread[] _threads = [new("fuzz producer 1"), new("fuzz producer 2")];

    // Holds the serializer between two steps of the program (main thread only, except the hold itself).
    private readonly SerializerHold _hold = new();
    private bool _holding;
    private int _holds;
    private int _tooLarge;

    public EngineRun(byte[] input)
    {
        _d = new FuzzData(input);
        _gen = new ValueGen(_d);
        _shape = (WireShape)_d.Int(3);
        WireFormat format = _shape switch
        {
            WireShape.Segment => new SegmentFormat(),
            WireShape.PrimeData => new PrimeDataFormat(ExpectedEvent.ClientId),
            _ => ThriveStackFormat.Instance,
        };
        var mode = _d.OneIn(3) ? ServerMode.Perfect : (ServerMode)_d.Int(7);
        _server = new FuzzServer(mode, proxyLimit: _d.Pick((int[])[150, 400, 1000, 5000]), flakyAttempts: 1 + _d.Int(3), unauthorizedAttempts: 1 + _d.Int(3),
            retryAfter: _d.Pick((TimeSpan?[])[null, TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.FromDays(1)]), throws: _d.OneIn(3));
        _transport = new RecordingTransport(body => _server.Answer(body, Ids(body)));
        bool failures = mode != ServerMode.Perfect;
        _options = new SluiceOptions
        {
            MaxBatchEvents = _d.Pick((int[])[1, 2, 3, 5, 10, 1000]),
            // The real formats' APIs take at most 2,097,152 bytes: the engine refuses more.
            MaxBatchBytes = Math.Min(_d.Pick((int[])[100, 160, 300, 512, 1024, 4096, 65_536, 2_097_152]) + _d.Int(64), 2_097_152),
            QueueCapacity = _d.Pick((int[])[2, 4, 16, 1024]),
            FullMode = _d.Pick((FullMode[])[FullMode.Wait, FullMode.DropNewest, FullMode.DropOldest]),
            // Real time: with retries waiting on the test clock, a long wait would only slow the run down.
            FullModeWaitTimeout = failures ? TimeSpan.FromMilliseconds(_d.Int(3)) : _d.Pick((TimeSpan[])[TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeSpan.FromMilliseconds(5)]),
            MaxConcurrentSends = 1 + _d.Int(3),
            FlushInterval = TimeSpan.FromSeconds(1),
            MaxSendAttempts = 1 + _d.Int(4),
            RetryBudget = TimeSpan.FromDays(1),
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = ClockStep,
            UnauthorizedProbeInterval = ClockStep,
            ShutdownTimeout = TimeSpan.FromHours(1),
            JitterRandom = new Random(_d.Byte()),
            // Small chunks: events cross them often, and a chunk is given up every few calls.
            ArenaChunkEntries = _d.Pick((int[])[4, 16, 64, ArenaChunk.DefaultEntries]),
            WireFormat = format,
            TimeProvider = _clock,
            OnBatchSettled = (in SettledEvents settled) =>
            {
                for (int i = 0; i < settled.Count; i++)
                    _fates.Enqueue((settled.Sequences[i], settled.Outcomes[i]));
            },
            OnDiagnostic = diagnostic =>
            {
                _diagnostics.Enqueue(diagnostic);
                _hold.OnDiagnostic(diagnostic);
            },
        };
    }

    /// <summary>A coarse description of the run, for the driver's corpus.</summary>
    public string Outcome { get; private set; } = "";

    private int Envelope => _options.WireFormat.BatchPrefix(0).Length + _options.WireFormat.BatchSuffix(0).Length;

    public void Execute()
    {
        var engine = new SluiceEngine(_options, _transport);
        try
        {
            int operations = 0;
            while (!_d.IsEmpty && operations++ < MaxOperations)
                Step(engine);

            ReleaseSerializer();
            if (_burst is not null && !_burst.Wait(Patience))
                throw new OracleFailure("hang", "the concurrent producer did not finish.");
            if (!_shutDown)
                StillAccepting(engine);
        }
        catch
        {
            // Leave no engine threads behind the failure.
            ReleaseSerializer();
            Drive(engine.ShutdownAsync());
            throw;
        }
        finally
        {
            foreach (var thread in _threads)
                thread.Dispose();
        }

        if (!Drive(engine.ShutdownAsync()))
            throw new OracleFailure("hang", "ShutdownAsync did not complete.");
        Check(engine.GetCounters());
    }

    /// <summary>
    /// Waits for the engine, moving the clock a step whenever it makes no progress (retries and probes
    /// wait on it); false after about 40 s of real time. The shutdown deadline is an hour of clock time:
    /// only a delivery stuck for good reaches it.
    /// </summary>
    private bool Drive(Task task)
    {
        for (int i = 0; i < 20_000; i++)
        {
            if (task.Wait(TimeSpan.FromMilliseconds(2)))
                return true;
            if (_server.Mode != ServerMode.Perfect)
                _clock.Advance(ClockStep);
        }

        return false;
    }

    private void Step(SluiceEngine engine)
    {
        switch (_d.Int(20))
        {
            case 0: case 1: case 2: OnProducer(() => TrackDictionary(engine)); break;
            case 3: OnProducer(() => TrackCallback(engine)); break;
            case 4: OnProducer(() => Raw(engine, page: false)); break;
            case 5: OnProducer(() => PageDictionary(engine)); break;
            case 6: OnProducer(() => Raw(engine, page: true)); break;
            case 7: OnProducer(() => Line(engine)); break;
            case 8: OnProducer(() => InvalidIdentity(engine)); break;
            case 9: Flush(engine); break;
            case 10: Advance(); break;
            case 11: if (_d.OneIn(4)) ShutDown(engine); break;
            case 12: StartBurst(engine); break;
            case 13: OnProducer(() => Huge(engine)); break;
            case 14: case 15: OnProducer(() => Heavy(engine)); break;
            case 16: OnProducer(() => NoEntries(engine)); break;
            case 17: if (_holding) ReleaseSerializer(); else HoldSerializer(engine); break;
            default: OnProducer(() => SmallTrack(engine)); break;
        }
    }

    /// <summary>Makes the step's calls on the main thread or on one of the pinned producer threads.</summary>
    private void OnProducer(Action step)
    {
        int producer = _d.Int(_threads.Length + 1);
        if (producer == 0)
            step();
        else
            _threads[producer - 1].Run(step);
    }

    /// <summary>
    /// Stops the serializer at an event too large for any batch until <see cref="ReleaseSerializer"/>: what
    /// the program does meanwhile stays queued, a small queue fills (calls are refused or evict), and
    /// producers' arenas move on while the serializer still has to read what they queued before.
    /// </summary>
    private void HoldSerializer(SluiceEngine engine)
    {
        // Waiting callers would wait out their timeout on every call.
        if (_holds >= 4 || (_options.FullMode == FullMode.Wait && _options.FullModeWaitTimeout > TimeSpan.FromMilliseconds(5)))
            return;
        _holds++;
        int id = _nextId++;
        string userId = $"u{id}:{SerializerHold.HoldUserId(_options)}";
        var expected = new ExpectedEvent { IsTrack = true, UserId = userId, EventName = "hold", Timestamp = _clock.GetUtcNow() };
        _hold.Arm();
        if (Call(id, (expected, null), () => engine.Track(userId, "hold")) != EnqueueStatus.Accepted)
        {
            _hold.Release();
            return;
        }

        // The serializer may first have to hand over sealed batches to senders that wait on the clock.
        _holding = true;
        for (int i = 0; i < 2_000 && !_hold.WaitHeld(TimeSpan.FromMilliseconds(2)); i++)
        {
            if (_server.Mode != ServerMode.Perfect)
                _clock.Advance(ClockStep);
        }
    }

    /// <summary>Lets a held serializer go on: before anything that waits for it.</summary>
    private void ReleaseSerializer()
    {
        if (!_holding)
            return;
        _hold.Release();
        _holding = false;
    }

    /// <summary>
    /// About a chunk of the arena's property entries, sometimes ending in NaN, which throws after they
    /// were written; or raw JSON larger than a chunk's byte area.
    /// </summary>
    private void Heavy(SluiceEngine engine)
    {
        int id = _nextId++;
        string userId = $"u{id}:";
        int chunk = _options.ArenaChunkEntries;
        if (_d.OneIn(4))
        {
            byte[] raw = BigObject((int)((long)ArenaChunk.DefaultBytes * chunk / ArenaChunk.DefaultEntries) * (1 + _d.Int(2)));
            Call(id, (Event(userId, "heavy", raw), null), () => engine.TrackJson(userId, "heavy", raw));
            return;
        }

        // The array's brackets are two entries more.
        int values = Math.Max(0, _d.Pick((int[])[0, 1, chunk / 2, chunk - 3, chunk - 2, chunk - 1, chunk, chunk + 1, chunk * 3 / 2]));
        bool throws = _d.OneIn(3);
        var properties = new Dictionary<string, object?> { ["v"] = Enumerable.Range(0, values).Select(v => (object?)(long)v).ToList() };
        (ExpectedEvent? Event, string? Invalid) expected = throws ? (null, "a NaN is not a JSON number") : (Event(userId, "heavy", ModelJson.Object(properties)), null);
        Call(id, expected, () => engine.Track(userId, "heavy", (values, throws), static (ref PropertiesWriter w, (int Values, bool Throws) s) =>
        {
            w.WriteStartArray("v");
            for (int i = 0; i < s.Values; i++)
                w.WriteNumberValue(i);
            if (s.Throws)
                w.WriteNumberValue(double.NaN);
            w.WriteEndArray();
        }));
    }

    /// <summary>Properties that write no entry into the arena: an empty dictionary, a callback that writes nothing, raw JSON too large to copy.</summary>
    private void NoEntries(SluiceEngine engine)
    {
        int id = _nextId++;
        string userId = $"u{id}:";
        switch (_d.Int(3))
        {
            case 0:
                Call(id, (Event(userId, "none", "{}"u8.ToArray()), null), () => engine.Track(userId, "none", new Dictionary<string, object?>()));
                break;
            case 1:
                Call(id, (Event(userId, "none", "{}"u8.ToArray()), null), () => engine.Track(userId, "none", 0, static (ref PropertiesWriter _, int _) => { }));
                break;
            default:
                if (++_tooLarge > 3)
                    return; // validated at the call: megabytes each
                byte[] raw = BigObject(_options.MaxBatchBytes);
                Call(id, (Event(userId, "none", raw), null), () => engine.TrackJson(userId, "none", raw));
                break;
        }
    }

    private ExpectedEvent Event(string userId, string name, byte[] properties)
        => new() { IsTrack = true, UserId = userId, EventName = name, Timestamp = _clock.GetUtcNow(), Properties = properties };

    /// <summary><c>{"big":"xx…"}</c> of <paramref name="bytes"/> bytes at least.</summary>
    private static byte[] BigObject(int bytes) => Encoding.UTF8.GetBytes($$"""{"big":"{{new string('x', bytes)}}"}""");

    private void TrackDictionary(SluiceEngine engine)
    {
        int id = _nextId++;
        var properties = _d.OneIn(6) ? null : _gen.Map();
        var context = _d.OneIn(2) ? null : _gen.Map();
        string userId = $"u{id}:{_gen.Text()}", name = "e" + _gen.Text();
        var timestamp = _d.OneIn(3) ? (DateTimeOffset?)null : _clock.GetUtcNow().AddTicks(_d.Int(100_000));
        var expected = Model(() => new ExpectedEvent
        {
            IsTrack = true, UserId = userId, EventName = name, Timestamp = timestamp ?? _clock.GetUtcNow(),
            Properties = properties is null ? null : ModelJson.Object(properties),
            Context = context is null ? null : ModelJson.Object(context),
        });
        Call(id, expected, () => engine.Track(userId, name, properties, context, timestamp));

        // Snapshot: what is sent is what was passed at call time.
        if (properties is not null && _d.OneIn(2))
        {
            properties["added after the call"] = "must not be sent";
            foreach (var key in properties.Keys.Take(1).ToList())
                properties[key] = "changed after the call";
        }
    }

    /// <summary>An event with a megabyte string, through one of the APIs (at most two a run: they are slow to check).</summary>
    private void Huge(SluiceEngine engine)
    {
        if (++_huge > 2)
            return;
        int id = _nextId++;
        string text = _gen.HugeText(), userId = $"u{id}:", name = "huge";
        var properties = new Dictionary<string, object?> { ["big"] = text };
        var expected = Model(() => new ExpectedEvent { IsTrack = true, UserId = userId, EventName = name, Timestamp = _clock.GetUtcNow(), Properties = ModelJson.Object(properties) });
        switch (_d.Int(4))
        {
            case 0: Call(id, expected, () => engine.Track(userId, name, properties)); break;
            case 1: Call(id, expected, () => engine.Track(userId, name, text, static (ref PropertiesWriter w, string s) => w.WriteString("big", s))); break;
            case 2: Call(id, expected, () => engine.TrackJson(userId, name, expected.Event!.Properties)); break;
            default:
                var keyed = new Dictionary<string, object?> { [text] = 1L };
                Call(id, Model(() => new ExpectedEvent { IsTrack = true, UserId = userId, EventName = name, Timestamp = _clock.GetUtcNow(), Properties = ModelJson.Object(keyed) }), () => engine.Track(userId, name, keyed));
                break;
        }
    }

    private void SmallTrack(SluiceEngine engine)
    {
        int id = _nextId++;
        string userId = $"u{id}:", name = "small";
        var properties = new Dictionary<string, object?> { ["n"] = (long)_d.Byte(), ["s"] = new string('s', _d.Int(40)) };
        var expected = Model(() => new ExpectedEvent { IsTrack = true, UserId = userId, EventName = name, Timestamp = _clock.GetUtcNow(), Properties = ModelJson.Object(properties) });
        Call(id, expected, () => engine.Track(userId, name, properties));
    }

    private void TrackCallback(SluiceEngine engine)
    {
        int id = _nextId++;
        var members = _gen.CallbackMap();
        var misuse = _d.OneIn(8) ? (Misuse)(1 + _d.Int(4)) : Misuse.None;
        string userId = $"u{id}:{_gen.Text()}", name = "cb" + _gen.Text();
        var expected = Model(() => misuse != Misuse.None
            ? throw new ModelJson.Invalid($"the callback misuses the writer ({misuse})")
            : new ExpectedEvent { IsTrack = true, UserId = userId, EventName = name, Timestamp = _clock.GetUtcNow(), Properties = ModelJson.Object(members) });
        Call(id, expected, () => engine.Track(userId, name, (members, misuse), CallbackWriter.Write));
    }

    private void PageDictionary(SluiceEngine engine)
    {
        int id = _nextId++;
        bool bySession = _d.OneIn(2);
        string idText = $"{(bySession ? 's' : 'p')}{id}:{_gen.Text()}";
        var properties = _d.OneIn(3) ? null : _gen.Map();
        string name = _gen.Text();
        var expected = Model(() => new ExpectedEvent
        {
            UserId = bySession ? null : idText, SessionId = bySession ? idText : null, Timestamp = _clock.GetUtcNow(), Name = NamedPage(name),
            Properties = properties is null ? null : ModelJson.Object(properties),
        });
        Call(id, expected, () => engine.Page(bySession ? "" : idText, bySession ? idText : null, properties, name: name));
    }

    /// <summary>TrackJson/PageJson with generated JSON, sometimes with raw fuzz bytes instead.</summary>
    private void Raw(SluiceEngine engine, bool page)
    {
        int id = _nextId++;
        byte[] properties = RawObject(), context = _d.OneIn(2) ? [] : RawObject();
        string idText = $"{(page ? 's' : 'u')}{id}:{_gen.Text()}";
        var expected = Model(() =>
        {
            foreach (var raw in (byte[][])[properties, context])
            {
                if (raw.Length > 0 && JsonRules.ObjectProblem(raw, JsonRules.MaxLevels) is { } problem)
                    throw new ModelJson.Invalid(problem);
            }

            return new ExpectedEvent
            {
                IsTrack = !page, UserId = page ? null : idText, SessionId = page ? idText : null, EventName = page ? null : "raw", Name = page ? NamedPage(null) : null,
                Timestamp = _clock.GetUtcNow(), Properties = properties.Length > 0 ? properties : null, Context = context.Length > 0 ? context : null,
            };
        });
        Call(id, expected, () => page ? engine.PageJson(null, idText, properties, context) : engine.TrackJson(idText, "raw", properties, context));
    }

    /// <summary>An NDJSON line in the ThriveStack shape through EnqueueJson.</summary>
    private void Line(SluiceEngine engine)
    {
        int id = _nextId++;
        string userId = $"u{id}:{_gen.Text()}", name = "line" + _gen.Text();
        byte[] properties = RawObject();
        var timestamp = _d.Pick(ValueGenDates);
        var line = new MemoryStream();
        using (var w = new Utf8JsonWriter(line))
        {
            w.WriteStartObject();
            w.WriteString("user_id", userId);
            w.WriteString("event_name", name);
            w.WriteString("timestamp", timestamp);
            if (properties.Length > 0)
            {
                w.WritePropertyName("properties");
                w.WriteRawValue(properties, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        var expected = Model(() =>
        {
            if (properties.Length > 0 && JsonRules.ObjectProblem(properties, JsonRules.MaxLevels) is { } problem)
                throw new ModelJson.Invalid(problem);
            return new ExpectedEvent
            {
                IsTrack = true, UserId = JsonText.ReplaceLoneSurrogates(userId.ToCharArray()), EventName = JsonText.ReplaceLoneSurrogates(name.ToCharArray()),
                Timestamp = timestamp, Properties = properties.Length > 0 ? properties : null,
            };
        });
        Call(id, expected, () => engine.EnqueueJson(line.ToArray()));
    }

    private static readonly DateTimeOffset[] ValueGenDates =
        [DateTimeOffset.UnixEpoch, new(2024, 10, 20, 22, 51, 35, 59, TimeSpan.FromHours(7)), new(9999, 12, 31, 1, 0, 0, TimeSpan.FromHours(14)), new(1, 1, 1, 13, 0, 0, TimeSpan.FromHours(-12))];

    /// <summary>Generated properties serialized, or raw fuzz bytes, or a deep nest: whatever an SDK might pass.</summary>
    private byte[] RawObject()
    {
        switch (_d.Int(8))
        {
            case 0:
                return _d.Bytes(64);
            case 1:
                int levels = _d.Pick((int[])[31, 32, 33, 10_000]);
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"k\":", levels)) + "1" + new string('}', levels));
            default:
                try
                {
                    return ModelJson.Object(_gen.Map());
                }
                catch (ModelJson.Invalid)
                {
                    return "{\"fallback\":true}"u8.ToArray();
                }
        }
    }

    private void InvalidIdentity(SluiceEngine engine)
    {
        var invalid = Model(() => throw new ModelJson.Invalid("a bad identity"));
        int id = _nextId++;
        switch (_d.Int(5))
        {
            case 0: Call(id, invalid, () => engine.Track("", "e")); break;
            case 1: Call(id, invalid, () => engine.Track($"u{id}:", "")); break;
            case 2: Call(id, invalid, () => engine.Page($"p{id}:", $"s{id}:")); break;
            case 3: Call(id, invalid, () => engine.Page(null, "")); break;
            default: Call(id, invalid, () => engine.Track($"u{id}:", "e", new Dictionary<string, object?> { ["nan"] = double.NaN })); break;
        }
    }

    private void Flush(SluiceEngine engine)
    {
        ReleaseSerializer();
        if (!Drive(engine.FlushAsync()))
            throw new OracleFailure("hang", "FlushAsync did not complete.");
        _epoch++;
    }

    private void Advance()
    {
        _clock.Advance(_d.Pick((TimeSpan[])[TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)]));
        _epoch++;
    }

    private void ShutDown(SluiceEngine engine)
    {
        ReleaseSerializer();
        if (!Drive(engine.ShutdownAsync()))
            throw new OracleFailure("hang", "ShutdownAsync did not complete.");
        _shutDown = true;
        _epoch++;
    }

    /// <summary>A second producer thread tracking small events while the program goes on (and may shut down).</summary>
    private void StartBurst(SluiceEngine engine)
    {
        if (_burst is not null)
            return;
        int count = 1 + _d.Int(300);
        var timestamp = _clock.GetUtcNow();
        _burst = Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < count; i++)
            {
                int id = BurstIds + i;
                string userId = $"b{id}:";
                var properties = new Dictionary<string, object?> { ["i"] = i };
                var expected = new ExpectedEvent { IsTrack = true, UserId = userId, EventName = "burst", Timestamp = timestamp, Properties = ModelJson.Object(properties) };
                Call(id, (expected, null), () => engine.Track(userId, "burst", properties, timestamp: timestamp), producer: 1, sequence: i);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The engine takes a plain event after everything the program did (waiting out a full queue).</summary>
    private void StillAccepting(SluiceEngine engine)
    {
        int id = _nextId++;
        string userId = $"u{id}:final";
        for (int attempt = 0; attempt < 500; attempt++)
        {
            var expected = new ExpectedEvent { IsTrack = true, UserId = userId, EventName = "final", Timestamp = _clock.GetUtcNow() };
            var result = Call(id, (expected, null), () => engine.Track(userId, "final"));
            if (result == EnqueueStatus.Accepted)
                return;
            OracleFailure.Check(result == EnqueueStatus.QueueFull, "not-accepting", $"the engine answered {result} to a plain event.");
            Thread.Sleep(2);
            if (_server.Mode != ServerMode.Perfect)
                _clock.Advance(ClockStep); // senders may be waiting to retry
        }

        throw new OracleFailure("not-accepting", "the queue stayed full for 500 tries with nobody producing.");
    }

    /// <summary>
    /// A page's name as the format takes it: an empty or whitespace-only one is none, and Segment refuses a page without one
    /// (spec 003: name is Required).
    /// </summary>
    private string? NamedPage(string? name) => !string.IsNullOrWhiteSpace(name) ? name
        : _shape == WireShape.Segment ? throw new ModelJson.Invalid("a Segment page needs a name")
        : null;

    /// <summary>Builds the expected event, or the reason the call must be refused.</summary>
    private static (ExpectedEvent? Event, string? Invalid) Model(Func<ExpectedEvent> build)
    {
        try
        {
            return (build(), null);
        }
        catch (ModelJson.Invalid ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Makes one call and checks its immediate outcome against the model.</summary>
    private EnqueueResult? Call(int id, (ExpectedEvent? Event, string? Invalid) model, Func<EnqueueResult> call, int producer = 0, int sequence = -1)
    {
        // Whether shutdown had completed before the call began: the burst producer's call may race a
        // shutdown on the main thread and rightly be accepted while it runs.
        bool shutDown = _shutDown;
        EnqueueResult result;
        try
        {
            result = call();
        }
        catch (ArgumentException ex)
        {
            OracleFailure.Check(model.Invalid is not null, "wrongly-refused", $"event {id} was refused: {ex.Message}");
            return null;
        }

        // A call refused for shutdown is refused before its properties are read, so bad content may go unnoticed.
        bool unread = result == EnqueueStatus.ShuttingDown;
        OracleFailure.Check(model.Invalid is null || unread, "wrongly-accepted", $"event {id} returned {result} although {model.Invalid}.");
        switch (result.Status)
        {
            case EnqueueStatus.Accepted:
                Interlocked.Increment(ref _accepted);
                var e = model.Event!;
                var json = e.ToJson(_shape);
                int partition = _shape != WireShape.ThriveStack || e.IsTrack ? 0 : 1;
                _expected[id] = new Expected(id, producer, sequence < 0 ? id : sequence, partition, json, Volatile.Read(ref _epoch), result.Sequence);
                if (json.Length + Envelope > _options.MaxBatchBytes)
                    Interlocked.Increment(ref _oversizeCandidates);
                break;
            case EnqueueStatus.QueueFull:
                OracleFailure.Check(_options.FullMode != FullMode.DropOldest, "queue-full", "drop-oldest mode refused an event as QueueFull.");
                Interlocked.Increment(ref _queueFull);
                break;
            case EnqueueStatus.ShuttingDown:
                Interlocked.Increment(ref _shuttingDown);
                break;
            default:
                throw new OracleFailure("result", $"an undocumented result {result}.");
        }

        OracleFailure.Check(!shutDown || result == EnqueueStatus.ShuttingDown, "after-shutdown", $"a call after shutdown returned {result}.");
        return result;
    }

    /// <summary>The oracles over everything sent and the final counters.</summary>
    private void Check(SluiceCounters c)
    {
        // Every body, in the order sends began: valid, within limits, each event exactly as the model says.
        var sent = _transport.Take();
        var answers = new Dictionary<int, List<SendResult?>>();
        var firstSeen = new List<(long Sequence, int Index, Expected Event)>();
        var delivered = new HashSet<int>();
        for (int index = 0; index < sent.Count; index++)
        {
            var (batch, result) = sent[index];
            var events = BatchRules.Events(batch, _options.MaxBatchBytes, _options.MaxBatchEvents, EnvelopeMember(_shape));
            foreach (var json in events)
            {
                int id = IdOf(json);
                OracleFailure.Check(_expected.TryGetValue(id, out var e), "phantom", $"batch {batch.Sequence} holds event {id}, which was never accepted.");
                OracleFailure.Check(e!.Partition == batch.Partition, "partition", $"event {id} went to partition {batch.Partition}, not {e.Partition}.");
                JsonText.AssertEquivalent(e.Json, json, $"event {id} in batch {batch.Sequence}", ExpectedEvent.Unknowable);
                if (result?.Outcome == SendOutcome.Delivered)
                    OracleFailure.Check(delivered.Add(id), "duplicate", $"event {id} was delivered twice.");
                if (!answers.TryGetValue(id, out var list))
                {
                    answers[id] = list = [];
                    firstSeen.Add((batch.Sequence, index, e));
                }

                list.Add(result);
            }
        }

        if (FuzzLog.Verbose)
        {
            FuzzLog.Line($"options: events={_options.MaxBatchEvents} bytes={_options.MaxBatchBytes} queue={_options.QueueCapacity} mode={_options.FullMode} attempts={_options.MaxSendAttempts} format={_shape} server={_server.Mode} proxy={_server.ProxyLimit} flaky={_server.FlakyAttempts}");
            foreach (var e in _expected.Values.OrderBy(e => e.Id))
                FuzzLog.Line($"  expected {e.Id} p{e.Partition} {e.Json.Length}+{Envelope} B answers={string.Join(",", answers.GetValueOrDefault(e.Id)?.Select(a => a?.Outcome.ToString() ?? "throw") ?? [])}: {JsonText.Quote(Encoding.UTF8.GetString(e.Json))}");
            foreach (var diagnostic in _diagnostics)
                FuzzLog.Line($"  diagnostic {diagnostic.Kind}: {diagnostic.Message}");
        }

        // Each event ends in the state its last answer implies, and the counters say so.
        long rejected = 0, failed = 0, expired = 0;
        foreach (var (id, list) in answers)
        {
            switch (list[^1]?.Outcome)
            {
                case SendOutcome.Delivered: break;
                case SendOutcome.Rejected or SendOutcome.TooLarge: rejected++; break;
                case SendOutcome.Failed: failed++; break;
                case SendOutcome.Retry or null: expired++; break;
                default: throw new OracleFailure("abandoned", $"event {id}'s last answer was {list[^1]?.Outcome} and it was never sent again.");
            }
        }

        // With several endpoints, a paused endpoint's batches beyond those it holds expire unsent, so that the other endpoints
        // flow on (docs/delivery.md, 401/403): the one way an event that fits may end without being sent but by eviction.
        var reported = new Dictionary<long, EventOutcome>();
        foreach (var (sequence, outcome) in _fates)
            reported.TryAdd(sequence, outcome); // a fate reported twice is CheckFates' to find
        var expiredUnsent = _expected.Values
            .Where(e => !answers.ContainsKey(e.Id) && reported.GetValueOrDefault(e.Ticket, EventOutcome.Delivered) == EventOutcome.Expired)
            .Select(e => e.Id).ToHashSet();
        OracleFailure.Check(expiredUnsent.Count == 0 || (_server.Mode is ServerMode.Unauthorized or ServerMode.Mixed && _options.WireFormat.PartitionCount > 1
            && _diagnostics.Any(d => d.Kind == DiagnosticKind.EndpointPaused)), "expired-unsent",
            $"{expiredUnsent.Count} event(s) expired without being sent, although no endpoint of several was paused (server {_server.Mode}).");

        string counters = $"counters {c}; tallied accepted={_accepted} queueFull={_queueFull} shuttingDown={_shuttingDown}; sent={answers.Count} delivered={delivered.Count} rejected={rejected} failed={failed} expired={expired}+{expiredUnsent.Count} unsent";
        OracleFailure.Check(c.Accepted == _accepted, "counters", $"Accepted differs from the calls that returned Accepted: {counters}");
        OracleFailure.Check(c.RefusedQueueFull == _queueFull && c.RefusedShutdown == _shuttingDown, "counters", $"refusals differ from the calls refused: {counters}");
        OracleFailure.Check(c.InFlight == 0, "counters", $"events still in flight after shutdown: {counters}");
        OracleFailure.Check(c.LostAtShutdown == 0 && c.OutcomeUnknown == 0, "lost", $"events lost or of unknown outcome although the shutdown deadline never passed: {counters}");
        OracleFailure.Check(c.Delivered == delivered.Count && c.RejectedByServer == rejected && c.Failed == failed && c.Expired == expired + expiredUnsent.Count, "counters",
            $"the terminal counts differ from the answers the server gave: {counters}");
        OracleFailure.Check(c.Accepted - answers.Count == c.RejectedOversize + c.Evicted + expiredUnsent.Count, "conservation", $"accepted events neither sent, oversize, evicted nor expired for a paused endpoint: {counters}");

        OracleFailure.Check(c.RejectedOversize <= _oversizeCandidates, "wrongly-oversize", $"{c.RejectedOversize} oversize rejections, only {_oversizeCandidates} events too large: {counters}");
        foreach (var e in _expected.Values)
        {
            bool fits = e.Json.Length + Envelope <= _options.MaxBatchBytes;
            bool seen = answers.ContainsKey(e.Id);
            OracleFailure.Check(fits || !seen, "oversize-sent", $"event {e.Id} ({e.Json.Length} bytes) was sent although it cannot fit.");
            OracleFailure.Check(!fits || seen || c.Evicted > 0 || expiredUnsent.Contains(e.Id), "lost-event", $"event {e.Id} ({e.Json.Length} bytes) fits a batch but was never sent: {counters}");
            if (seen)
                CheckServerMode(e, answers[e.Id]);

        }

        CheckOrder(firstSeen);
        CheckFates(c, answers, delivered, expiredUnsent);
        if (_server.Mode == ServerMode.Perfect)
            CheckMaximal(sent, c);

        foreach (var diagnostic in _diagnostics)
        {
            OracleFailure.Check(diagnostic.Kind is not (DiagnosticKind.InternalError or DiagnosticKind.EventFailed), "diagnostic",
                $"{diagnostic.Kind}: {diagnostic.Message} {diagnostic.Exception}");
        }

        Outcome = string.Create(CultureInfo.InvariantCulture,
            $"format={_shape} server={_server.Mode} bodies={NdjsonEventFuzzer.Bucket(sent.Count)} events={NdjsonEventFuzzer.Bucket(answers.Count)} oversize={c.RejectedOversize > 0} evicted={c.Evicted > 0} full={_queueFull > 0} rejected={rejected > 0} expired={expired > 0} burst={_burst is not null} down={_shutDown}");
    }

    /// <summary>
    /// Every accepted event's fate reported exactly once, under the sequence number its call returned,
    /// as what the server answered for it implies; the reports add up to the counters.
    /// </summary>
    private void CheckFates(SluiceCounters c, Dictionary<int, List<SendResult?>> answers, HashSet<int> delivered, HashSet<int> expiredUnsent)
    {
        var fates = new Dictionary<long, EventOutcome>();
        foreach (var (sequence, outcome) in _fates)
            OracleFailure.Check(fates.TryAdd(sequence, outcome), "fate-twice", $"sequence {sequence} was reported settled twice ({fates.GetValueOrDefault(sequence)}, then {outcome}).");

        var tickets = new HashSet<long>();
        foreach (var e in _expected.Values)
        {
            OracleFailure.Check(tickets.Add(e.Ticket), "sequence", $"event {e.Id} got sequence {e.Ticket}, which another accepted event also got.");
            OracleFailure.Check(fates.TryGetValue(e.Ticket, out var fate), "fate-missing", $"event {e.Id} (sequence {e.Ticket}) was never reported settled.");
            var last = answers.TryGetValue(e.Id, out var list) ? list[^1]?.Outcome : (SendOutcome?)null;
            bool fits = e.Json.Length + Envelope <= _options.MaxBatchBytes;
            var implied = !answers.ContainsKey(e.Id)
                ? expiredUnsent.Contains(e.Id) ? EventOutcome.Expired // never sent: expired for a paused endpoint (checked above),
                : fits || fate == EventOutcome.Evicted ? EventOutcome.Evicted : EventOutcome.Oversize // evicted, or too large (unless evicted first)
                : last switch
                {
                    SendOutcome.Delivered => EventOutcome.Delivered,
                    SendOutcome.Rejected or SendOutcome.TooLarge => EventOutcome.Rejected,
                    SendOutcome.Failed => EventOutcome.Failed,
                    _ => EventOutcome.Expired,
                };
            OracleFailure.Check(fate == implied, "fate", $"event {e.Id} (sequence {e.Ticket}) was reported {fate}, but the server's answers make it {implied}.");
            OracleFailure.Check(fate != EventOutcome.Delivered || delivered.Contains(e.Id), "fate", $"event {e.Id} was reported delivered but no delivered body held it.");
        }

        OracleFailure.Check(fates.Count == c.Accepted, "fate-count", $"{fates.Count} fates reported for {c.Accepted} accepted events.");
        long Count(EventOutcome outcome) => fates.Values.Count(f => f == outcome);
        OracleFailure.Check(Count(EventOutcome.Delivered) == c.Delivered && Count(EventOutcome.Rejected) == c.RejectedByServer
            && Count(EventOutcome.Failed) == c.Failed && Count(EventOutcome.Expired) == c.Expired && Count(EventOutcome.Evicted) == c.Evicted
            && Count(EventOutcome.Oversize) == c.RejectedOversize, "fate-count", $"the reported fates do not add up to the counters {c}.");
    }

    /// <summary>What one behaviour of the server implies for an event it answered.</summary>
    private void CheckServerMode(Expected e, List<SendResult?> answers)
    {
        var last = answers[^1]?.Outcome;
        string what = $"event {e.Id} ({e.Json.Length} bytes) ended {last?.ToString() ?? "thrown"} after {answers.Count} answer(s) from a {_server.Mode} server";
        switch (_server.Mode)
        {
            case ServerMode.Perfect:
            case ServerMode.Unauthorized:
                OracleFailure.Check(last == SendOutcome.Delivered, "not-delivered", what + ".");
                break;
            case ServerMode.Poison:
                // Bisection goes on until each invalid event is refused alone, however many there are.
                OracleFailure.Check(FuzzServer.IsPoison(e.Id) ? last == SendOutcome.Rejected : last == SendOutcome.Delivered, "bisection", what + ".");
                break;
            case ServerMode.Proxy:
                bool alone = e.Json.Length + Envelope <= _server.ProxyLimit;
                OracleFailure.Check(alone ? last == SendOutcome.Delivered : last == SendOutcome.TooLarge, "split", $"{what}; alone in a body it is {e.Json.Length + Envelope} bytes, the proxy takes {_server.ProxyLimit}.");
                break;
            case ServerMode.Flaky:
                var expected = _server.FlakyAttempts < _options.MaxSendAttempts ? SendOutcome.Delivered : SendOutcome.Retry;
                OracleFailure.Check(last == expected || (last is null && expected == SendOutcome.Retry), "retry", $"{what}; {_server.FlakyAttempts} failures, {_options.MaxSendAttempts} attempts allowed.");
                break;
        }
    }

    /// <summary>Per producer and partition, events first reach the transport in the order they were accepted.</summary>
    private static void CheckOrder(List<(long Sequence, int Index, Expected Event)> firstSeen)
    {
        var last = new Dictionary<(int Producer, int Partition), int>();
        foreach (var (_, _, e) in firstSeen.OrderBy(f => f.Sequence).ThenBy(f => f.Index))
        {
            var key = (e.Producer, e.Partition);
            OracleFailure.Check(!last.TryGetValue(key, out int previous) || previous < e.Sequence, "order", $"event {e.Id} (#{e.Sequence} of producer {e.Producer}) was sent after #{previous}.");
            last[key] = e.Sequence;
        }
    }

    /// <summary>
    /// A batch closed while the next event of its partition would still have fitted was closed too
    /// early. Checked only where nothing else can explain the close: the same epoch (no flush, clock
    /// advance or shutdown in between), one producer, no eviction, no oversize event in between.
    /// </summary>
    private void CheckMaximal(List<(ReceivedBatch Batch, SendResult? Result)> sent, SluiceCounters c)
    {
        if (_burst is not null || c.Evicted > 0)
            return;
        var previous = new Dictionary<int, (int Length, List<Expected> Events)>();
        foreach (var (batch, _) in sent.OrderBy(s => s.Batch.Sequence))
        {
            var events = BatchRules.Events(batch, _options.MaxBatchBytes, _options.MaxBatchEvents, EnvelopeMember(_shape))
                .Select(json => _expected[IdOf(json)]).ToList();
            if (previous.TryGetValue(batch.Partition, out var before) && before.Events.Count < _options.MaxBatchEvents)
            {
                var next = events[0];
                // A flush closes a batch early; nothing else does, not even an oversize event between the two.
                bool sameEpoch = before.Events.All(e => e.Epoch == next.Epoch);
                if (sameEpoch)
                {
                    OracleFailure.Check(before.Length + 1 + next.Json.Length > _options.MaxBatchBytes, "maximal",
                        $"a batch of {before.Events.Count} events and {before.Length} bytes was closed although the next event ({next.Json.Length} bytes) fitted in {_options.MaxBatchBytes}.");
                }
            }

            previous[batch.Partition] = (batch.Body.Length, events);
        }
    }

    /// <summary>The ids of a body's events, for the server; none if it cannot be read (the checks report that later).</summary>
    private List<int> Ids(ReceivedBatch body)
    {
        try
        {
            return [.. BatchRules.Events(body, int.MaxValue, int.MaxValue, EnvelopeMember(_shape)).Select(IdOf)];
        }
        catch (Exception ex) when (ex is OracleFailure or JsonException or FormatException)
        {
            return [];
        }
    }

    private static string? EnvelopeMember(WireShape shape) => shape switch
    {
        WireShape.Segment => "batch",
        WireShape.PrimeData => "events",
        _ => null,
    };

    /// <summary>The numeric id the program put at the start of the user or session id.</summary>
    private static int IdOf(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        string? text = null;
        foreach (var name in (string[])["user_id", "session_id", "userId", "anonymousId", "sessionId"])
        {
            if (doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                text = value.GetString();
        }

        if (text is not { Length: > 1 } || !text.Contains(':', StringComparison.Ordinal))
            throw new OracleFailure("identity", $"an event without the id it was given: {Encoding.UTF8.GetString(json)}");
        return int.Parse(text.AsSpan(1, text.IndexOf(':', StringComparison.Ordinal) - 1), CultureInfo.InvariantCulture);
    }

    /// <param name="Ticket">The engine's sequence number for the event (<see cref="EnqueueResult.Sequence"/>).</param>
    private sealed record Expected(int Id, int Producer, int Sequence, int Partition, byte[] Json, int Epoch, long Ticket);
}
