using System.Runtime.CompilerServices;
using Sluice.Buffering;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice;

// The calling-thread side: validate, stamp, snapshot properties into the thread's arena, enqueue.
public sealed partial class SluiceEngine
{
    [ThreadStatic]
    private static ProducerState? t_lastProducer;

    // The engine (its _identity) whose OnDiagnostic or OnBatchSettled callback this thread is running, if any.
    // A wait-mode call made there must not wait for room: the serializer runs those callbacks, and senders
    // run them while the serializer may be waiting for a sender, so the wait would be for this very thread.
    [ThreadStatic]
    private static object? t_inCallbackOf;

    // The engine (its _identity) an IngestAsync on this thread is handing a line to, if any, and that ingest's token: in wait
    // mode its line waits for room as long as it takes, not FullModeWaitTimeout (see IngestLine).
    [ThreadStatic]
    private static object? t_ingestingInto;

    [ThreadStatic]
    private static CancellationToken t_ingestCancellation;

    private readonly WireFormat _format;
    private readonly ArenaPool _arenas;
    private readonly ThreadLocal<ProducerState> _producers;
    private readonly object _identity = new();

    // Drop-oldest callers between claiming a place in the full ring and reporting the fates of the records they evicted.
    private int _evictionsUnderway;

    /// <summary>Tracks a user action. Properties and context are given as dictionaries (copied at the call).</summary>
    /// <param name="userId">The user who acted (<c>user_id</c>); required.</param>
    /// <param name="eventName">The event's name (<c>event_name</c>); required.</param>
    /// <param name="properties">Event details: strings, numbers, booleans, null, dates, nested dictionaries and arrays.</param>
    /// <param name="context">Extra context, same value types.</param>
    /// <param name="timestamp">When it happened; now (from the engine's clock) if omitted. Written in UTC.</param>
    /// <returns>Accepted with the event's sequence number, or why it was refused (queue full, shutting down): runtime conditions are returned, not thrown.</returns>
    /// <exception cref="ArgumentException">A required field is missing (null, empty or whitespace only) or a value is not representable; the message names the field (<c>properties.cart.total</c>). Nothing is enqueued.</exception>
    public EnqueueResult Track(string userId, string eventName, IReadOnlyDictionary<string, object?>? properties = null,
        IReadOnlyDictionary<string, object?>? context = null, DateTimeOffset? timestamp = null)
    {
        var props = new DictionarySource(properties);
        var ctx = new DictionarySource(context);
        return Enqueue(EventKind.Track, userId, null, eventName, timestamp, ref props, ref ctx);
    }

    /// <summary>Tracks a user action, writing properties (and context) through callbacks: allocation-free with static lambdas.</summary>
    /// <param name="userId">The user who acted; required.</param>
    /// <param name="eventName">The event's name; required.</param>
    /// <param name="state">Passed to the callbacks, so they need capture nothing.</param>
    /// <param name="properties">Writes the properties object's members.</param>
    /// <param name="context">Writes the context object's members, if any.</param>
    /// <param name="timestamp">When it happened; now if omitted.</param>
    /// <typeparam name="TState">The type of <paramref name="state"/>.</typeparam>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">A required field is missing, or a callback wrote a value that is not representable or left nesting unbalanced; the message names the field. Nothing is enqueued.</exception>
    /// <exception cref="InvalidOperationException">A callback called Track or Page with properties on this engine.</exception>
    /// <remarks>An exception a callback throws is thrown from here as is, and nothing is enqueued.</remarks>
    public EnqueueResult Track<TState>(string userId, string eventName, TState state, PropertiesCallback<TState>? properties,
        PropertiesCallback<TState>? context = null, DateTimeOffset? timestamp = null)
    {
        var props = new CallbackSource<TState>(properties, state);
        var ctx = new CallbackSource<TState>(context, state);
        return Enqueue(EventKind.Track, userId, null, eventName, timestamp, ref props, ref ctx);
    }

    /// <summary>Tracks a user action with pre-serialized UTF-8 JSON properties/context (each one JSON object; empty for none), validated at the call.</summary>
    /// <param name="userId">The user who acted; required.</param>
    /// <param name="eventName">The event's name; required.</param>
    /// <param name="propertiesJson">The properties, one UTF-8 JSON object (<c>{"plan":"pro"}</c>), copied at the call; empty for none.</param>
    /// <param name="contextJson">The context, one UTF-8 JSON object; empty for none.</param>
    /// <param name="timestamp">When it happened; now if omitted.</param>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">A required field is missing, or a JSON argument is not one valid object (invalid JSON or UTF-8, nesting past <see cref="PropertiesWriter.MaxDepth"/>, a number beyond a double's range); the message names it. Nothing is enqueued.</exception>
    public EnqueueResult TrackJson(string userId, string eventName, ReadOnlySpan<byte> propertiesJson,
        ReadOnlySpan<byte> contextJson = default, DateTimeOffset? timestamp = null)
    {
        var props = new RawJsonSource(propertiesJson, "properties");
        var ctx = new RawJsonSource(contextJson, "context");
        return Enqueue(EventKind.Track, userId, null, eventName, timestamp, ref props, ref ctx);
    }

    /// <summary>Records a page view for a user or a session: exactly one of <paramref name="userId"/> and <paramref name="sessionId"/>.</summary>
    /// <param name="userId">The user (<c>user_id</c>), or null.</param>
    /// <param name="sessionId">The session (<c>session_id</c>), or null.</param>
    /// <param name="properties">Page details.</param>
    /// <param name="context">Extra context.</param>
    /// <param name="timestamp">When it happened; now if omitted.</param>
    /// <param name="name">The page's name, for wire formats that carry one.</param>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">Neither or both ids are given (an empty or whitespace-only one counts as absent), the wire format needs a field that is missing (a Segment page's <paramref name="name"/>), or a value is not representable; the message names the field. Nothing is enqueued.</exception>
    public EnqueueResult Page(string? userId, string? sessionId, IReadOnlyDictionary<string, object?>? properties = null,
        IReadOnlyDictionary<string, object?>? context = null, DateTimeOffset? timestamp = null, string? name = null)
    {
        var props = new DictionarySource(properties);
        var ctx = new DictionarySource(context);
        return Enqueue(EventKind.Page, NullIfBlank(userId), NullIfBlank(sessionId), NullIfBlank(name), timestamp, ref props, ref ctx);
    }

    /// <summary>Records a page view, writing properties (and context) through callbacks: allocation-free with static lambdas.</summary>
    /// <param name="userId">The user, or null: exactly one of <paramref name="userId"/> and <paramref name="sessionId"/>.</param>
    /// <param name="sessionId">The session, or null.</param>
    /// <param name="state">Passed to the callbacks, so they need capture nothing.</param>
    /// <param name="properties">Writes the properties object's members.</param>
    /// <param name="context">Writes the context object's members, if any.</param>
    /// <param name="timestamp">When it happened; now if omitted.</param>
    /// <param name="name">The page's name, for wire formats that carry one.</param>
    /// <typeparam name="TState">The type of <paramref name="state"/>.</typeparam>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Page(string?, string?, IReadOnlyDictionary{string, object?}?, IReadOnlyDictionary{string, object?}?, DateTimeOffset?, string?)"/>, or a callback wrote a value that is not representable or left nesting unbalanced.</exception>
    /// <exception cref="InvalidOperationException">A callback called Track or Page with properties on this engine.</exception>
    public EnqueueResult Page<TState>(string? userId, string? sessionId, TState state, PropertiesCallback<TState>? properties,
        PropertiesCallback<TState>? context = null, DateTimeOffset? timestamp = null, string? name = null)
    {
        var props = new CallbackSource<TState>(properties, state);
        var ctx = new CallbackSource<TState>(context, state);
        return Enqueue(EventKind.Page, NullIfBlank(userId), NullIfBlank(sessionId), NullIfBlank(name), timestamp, ref props, ref ctx);
    }

    /// <summary>Records a page view with pre-serialized UTF-8 JSON properties/context, validated at the call.</summary>
    /// <param name="userId">The user, or null: exactly one of <paramref name="userId"/> and <paramref name="sessionId"/>.</param>
    /// <param name="sessionId">The session, or null.</param>
    /// <param name="propertiesJson">The properties, one UTF-8 JSON object, copied at the call; empty for none.</param>
    /// <param name="contextJson">The context, one UTF-8 JSON object; empty for none.</param>
    /// <param name="timestamp">When it happened; now if omitted.</param>
    /// <param name="name">The page's name, for wire formats that carry one.</param>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Page(string?, string?, IReadOnlyDictionary{string, object?}?, IReadOnlyDictionary{string, object?}?, DateTimeOffset?, string?)"/>, or a JSON argument is not one valid object.</exception>
    public EnqueueResult PageJson(string? userId, string? sessionId, ReadOnlySpan<byte> propertiesJson,
        ReadOnlySpan<byte> contextJson = default, DateTimeOffset? timestamp = null, string? name = null)
    {
        var props = new RawJsonSource(propertiesJson, "properties");
        var ctx = new RawJsonSource(contextJson, "context");
        return Enqueue(EventKind.Page, NullIfBlank(userId), NullIfBlank(sessionId), NullIfBlank(name), timestamp, ref props, ref ctx);
    }

    /// <summary>
    /// Enqueues one event given as a JSON object in the ThriveStack shape (<c>user_id</c>, <c>session_id</c>,
    /// <c>event_name</c>, <c>timestamp</c>, <c>properties</c>, <c>context</c>): a track if it has
    /// <c>event_name</c>, otherwise a page, whose optional <c>name</c> is its name for formats that carry one.
    /// For wrapping SDKs and NDJSON replay.
    /// </summary>
    /// <param name="eventJson">The event, one UTF-8 JSON object, copied at the call. Its <c>timestamp</c>, if any, is an ISO 8601 string with a zone; without one the event gets the engine's clock's now.</param>
    /// <returns>Accepted with the event's sequence number, or why it was refused.</returns>
    /// <exception cref="ArgumentException">The JSON is invalid or misses a required field; the message says which. Nothing is enqueued.</exception>
    public EnqueueResult EnqueueJson(ReadOnlySpan<byte> eventJson) => EnqueueJson(eventJson, ids: null);

    /// <summary><see cref="EnqueueJson(ReadOnlySpan{byte})"/>, finding ids and names in <paramref name="ids"/> if given (NDJSON ingest).</summary>
    internal EnqueueResult EnqueueJson(ReadOnlySpan<byte> eventJson, IdentifierCache? ids)
    {
        var e = EventJson.Parse(eventJson, ids);
        var props = new CheckedJsonSource(e.Properties, e.PropertiesLoneSurrogates);
        var ctx = new CheckedJsonSource(e.Context, e.ContextLoneSurrogates);
        return e.Kind == EventKind.Track
            ? Enqueue(EventKind.Track, e.UserId!, null, e.EventName!, e.Timestamp, ref props, ref ctx)
            : Enqueue(EventKind.Page, NullIfBlank(e.UserId), NullIfBlank(e.SessionId), NullIfBlank(e.Name), e.Timestamp, ref props, ref ctx);
    }

    private EnqueueResult Enqueue<TProps, TContext>(EventKind kind, string? userId, string? sessionId, string? name,
        DateTimeOffset? timestamp, ref TProps properties, ref TContext context)
        where TProps : IPropertySource, allows ref struct
        where TContext : IPropertySource, allows ref struct
    {
        ValidateIdentity(kind, userId, sessionId, name);
        _format.Validate(kind, userId, sessionId, name);

        if (_ring.IsClosed)
            return Refuse(EnqueueStatus.ShuttingDown);

        EventRecord record = default;
        record.Kind = kind;
        record.IdIsSession = string.IsNullOrEmpty(userId); // validated: a page without a user has a session
        record.Id = record.IdIsSession ? sessionId : userId;
        record.Name = name;
        record.TimestampTicks = (timestamp ?? _time.GetUtcNow()).UtcTicks;
        // A page's name is optional on the wire (ThriveStack has none): only what every format writes counts.
        long minBytes = (record.Id?.Length ?? 0) + (kind == EventKind.Track ? name!.Length : 0);
        record.PropCount = -1;
        record.CtxCount = -1;

        if (!properties.IsPresent && !context.IsPresent)
        {
            record.MinBytes = (int)minBytes;
            return Publish(ref record, state: null);
        }

        var state = GetProducerState();
        if (state.Busy)
            ThrowHelper.InvalidOperation("Track/Page cannot be called from inside a properties callback of the same engine.");
        state.Busy = true;
        try
        {
            state.BeginEvent();
            int propCount = -1, ctxOffset = 0, ctxCount = -1;
            if (properties.IsPresent)
            {
                var writer = new PropertiesWriter(state, "properties");
                properties.Write(ref writer);
                writer.Complete();
                propCount = state.Pos - state.EventStart;
                minBytes += writer.MinBytes;
            }

            if (context.IsPresent)
            {
                ctxOffset = state.Pos - state.EventStart;
                var writer = new PropertiesWriter(state, "context");
                context.Write(ref writer);
                writer.Complete();
                ctxCount = state.Pos - state.EventStart - ctxOffset;
                if (_format.WritesContext)
                    minBytes += writer.MinBytes; // a context the format drops must not make the event oversize
            }

            // Offsets are relative to the event's start: the event may have moved to a new chunk while it grew.
            // The context's entries follow the properties' (ctxOffset is the properties' entry count, or 0).
            record.Chunk = state.EventChunk;
            EventRecord.StampChunkGeneration(ref record);
            record.PropStart = state.EventStart;
            record.PropCount = propCount;
            record.CtxCount = ctxCount;
            record.MinBytes = (int)Math.Min(minBytes, int.MaxValue);
            return Publish(ref record, state);
        }
        catch
        {
            // A bad value or the caller's callback threw: what the event wrote is not published.
            state.AbandonThrownEvent();
            throw;
        }
        finally
        {
            state.Busy = false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private EnqueueResult Publish(ref EventRecord record, ProducerState? state)
    {
        var status = _ring.TryEnqueue(record, out long ticket);
        if (status == RingStatus.Full && _options.FullMode != FullMode.DropNewest)
            status = WhenFull(ref record, out ticket);

        if (status == RingStatus.Ok)
        {
            state?.CommitEvent(record.Chunk);
            return new EnqueueResult(EnqueueStatus.Accepted, ticket); // the ring's ticket is the event's sequence number
        }

        if (status == RingStatus.Closed)
            state?.Drop();
        else
            state?.AbandonEvent();

        return Refuse(status == RingStatus.Closed ? EnqueueStatus.ShuttingDown : EnqueueStatus.QueueFull);
    }

    /// <summary>The queue was full: evicts the oldest (drop-oldest) or waits for room (wait), as the full mode says.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private RingStatus WhenFull(ref EventRecord record, out long ticket)
    {
        if (_options.FullMode == FullMode.DropOldest)
            return EvictOldestAndEnqueue(ref record, out ticket);

        if (ReferenceEquals(t_inCallbackOf, _identity))
        {
            // From this engine's own callback: refused at once (see t_inCallbackOf).
            ticket = -1;
            return RingStatus.Full;
        }

        if (ReferenceEquals(t_ingestingInto, _identity))
            return EnqueueIngestedLine(ref record, out ticket);

        // On the ring's clock, the system's whatever the engine's (see the constructor).
        return _ring.EnqueueOrWait(record, _options.FullModeWaitTimeout, out ticket);
    }

    /// <summary>
    /// A line of an ingest in wait mode, which found the queue full: it waits for room until it is accepted, the engine shuts
    /// down or the ingest is cancelled. The ingest waits for room before its lines (without blocking), but another producer
    /// may take that room first; refusing the line then would break the ingest's promise to hold the reading back instead.
    /// </summary>
    private RingStatus EnqueueIngestedLine(ref EventRecord record, out long ticket)
    {
        RingStatus status;
        do
        {
            status = _ring.EnqueueOrWait(record, IngestWaitSlice, out ticket);
        }
        while (status == RingStatus.Full && !t_ingestCancellation.IsCancellationRequested);

        return status;
    }

    // How often a line waiting for room looks at its ingest's cancellation.
    private static readonly TimeSpan IngestWaitSlice = TimeSpan.FromMilliseconds(100);

    /// <summary>Marks this thread as running one of this engine's callbacks (OnDiagnostic, OnBatchSettled) until <see cref="LeaveCallback"/>; returns the mark it replaces.</summary>
    private object? EnterCallback()
    {
        var outer = t_inCallbackOf;
        t_inCallbackOf = _identity;
        return outer;
    }

    private static void LeaveCallback(object? outer) => t_inCallbackOf = outer;

    /// <summary><paramref name="callback"/>, run marked as this engine's callback (see <see cref="t_inCallbackOf"/>).</summary>
    private BatchSettledCallback? Marked(BatchSettledCallback? callback) => callback is null ? null : (in SettledEvents settled) =>
    {
        var outer = EnterCallback();
        try
        {
            callback(in settled);
        }
        finally
        {
            LeaveCallback(outer);
        }
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private RingStatus EvictOldestAndEnqueue(ref EventRecord record, out long ticket)
    {
        // The new event's ticket is claimed first: a queue closed by a shutdown meanwhile refuses it with nothing evicted.
        // The evicted records are dropped unread; the chunks they pointed into are recycled later, with the next chunk their
        // producer retires (recycling here could race with the serializer). Counted as under way from before the first
        // leaves the ring until its fate is reported: the ring may be drained meanwhile, and the shutdown waits for it
        // (see ShutdownCoreAsync). Fates are reported once the new event is published, so that the reader never waits
        // for a callback.
        Interlocked.Increment(ref _evictionsUnderway);
        try
        {
            var status = _ring.ClaimOverOldest(out ticket);
            if (status != RingStatus.Ok)
                return status;

            long first = -1;
            List<long>? more = null; // more than one eviction: only when other callers claimed meanwhile
            while (_ring.TryEvictFor(ticket, out long evicted))
            {
                Interlocked.Increment(ref _counters.Evicted);
                if (!_fates.Listening)
                    continue;
                if (first < 0)
                    first = evicted;
                else
                    (more ??= []).Add(evicted);
            }

            _ring.PublishClaimed(ticket, in record);
            if (first >= 0)
                _fates.Evicted(first);
            if (more is not null)
            {
                foreach (long evicted in more)
                    _fates.Evicted(evicted);
            }

            return RingStatus.Ok;
        }
        finally
        {
            Interlocked.Decrement(ref _evictionsUnderway);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private EnqueueResult Refuse(EnqueueStatus reason)
    {
        if (reason == EnqueueStatus.QueueFull)
            Interlocked.Increment(ref _counters.RefusedQueueFull);
        else
            Interlocked.Increment(ref _counters.RefusedShutdown);
        return new EnqueueResult(reason, -1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ProducerState GetProducerState()
    {
        var state = t_lastProducer;
        return state is not null && ReferenceEquals(state.Owner, _identity) ? state : GetProducerStateSlow();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ProducerState GetProducerStateSlow()
    {
        var state = _producers.Value!;
        t_lastProducer = state;
        return state;
    }

    /// <summary>
    /// A page's empty or whitespace-only id or name counts as absent: the wire format sees exactly one of the two ids, and a
    /// name only if it names something (a blank one is no name to a Segment page, nor a PrimeData target).
    /// </summary>
    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static void ValidateIdentity(EventKind kind, string? userId, string? sessionId, string? name)
    {
        if (kind == EventKind.Track)
        {
            // Whitespace alone identifies no one and names nothing (most often an unset value padded by a template).
            if (string.IsNullOrWhiteSpace(userId))
                ThrowHelper.Argument(Required("user_id", userId), nameof(userId));
            if (string.IsNullOrWhiteSpace(name))
                ThrowHelper.Argument(Required("event_name", name), "eventName");
            return;
        }

        // Blank ids were made null by the page calls (NullIfBlank).
        bool hasUser = userId is not null, hasSession = sessionId is not null;
        if (hasUser == hasSession)
        {
            ThrowHelper.Argument(hasUser
                ? "A page event takes user_id or session_id, not both."
                : "A page event needs user_id or session_id (an empty or whitespace-only one counts as absent).", hasUser ? nameof(sessionId) : nameof(userId));
        }
    }

    private static string Required(string field, string? given) =>
        string.IsNullOrEmpty(given) ? $"{field} is required for a track event." : $"{field} is required for a track event: it was whitespace only.";
}
