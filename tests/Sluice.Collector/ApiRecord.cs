using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// What one API received: every request (<see cref="Requests"/>) and the events of the accepted ones.
/// Where the API has a message id (the batch API's <c>messageId</c>), an event whose id was already
/// accepted is not kept again but counted in <see cref="Duplicates"/>: at-least-once redelivery is
/// visible without spoiling exactly-once checks. A request is recorded before its answer is sent.
/// Thread-safe: request threads write under the lock,
/// tests read snapshots.
/// </summary>
public sealed class ApiRecord
{
    private readonly Lock _lock = new();
    private readonly string? _messageIdField;
    private readonly List<RequestRecord> _requests = [];
    private readonly List<JsonElement> _events = [];
    private readonly HashSet<string> _messageIds = new(StringComparer.Ordinal);
    private int _duplicates;
    private int _maxEvents;
    private long _maxBytes;

    internal ApiRecord(CollectorApi api, string? messageIdField)
    {
        Api = api;
        _messageIdField = messageIdField;
    }

    /// <summary>The API recorded.</summary>
    public CollectorApi Api { get; }

    /// <summary>Every request so far, accepted or not, in arrival order.</summary>
    public IReadOnlyList<RequestRecord> Requests
    {
        get
        {
            lock (_lock)
                return _requests.ToArray();
        }
    }

    /// <summary>Requests received so far, accepted or not.</summary>
    public int RequestCount
    {
        get
        {
            lock (_lock)
                return _requests.Count;
        }
    }

    /// <summary>Requests answered 2xx with their events kept.</summary>
    public int AcceptedRequests => Requests.Count(r => r.Status is >= 200 and < 300 && r.Events > 0);

    /// <summary>The accepted events (each a JSON object, valid for the life of the process), in arrival order, duplicates left out.</summary>
    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_lock)
                return _events.ToArray();
        }
    }

    /// <summary>How many accepted events there are (duplicates left out).</summary>
    public int EventCount
    {
        get
        {
            lock (_lock)
                return _events.Count;
        }
    }

    /// <summary>Accepted events whose message id had already been accepted (redeliveries).</summary>
    public int Duplicates
    {
        get
        {
            lock (_lock)
                return _duplicates;
        }
    }

    /// <summary>The most events seen in one parsed request, accepted or not.</summary>
    public int MaxEventsPerRequest
    {
        get
        {
            lock (_lock)
                return _maxEvents;
        }
    }

    /// <summary>The largest decompressed body seen in one request, accepted or not.</summary>
    public long MaxBytesPerRequest
    {
        get
        {
            lock (_lock)
                return _maxBytes;
        }
    }

    /// <summary>How many requests were answered <paramref name="status"/> (0: dropped).</summary>
    public int CountStatus(int status) => Requests.Count(r => r.Status == status);

    /// <summary>Forgets everything recorded so far.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _requests.Clear();
            _events.Clear();
            _messageIds.Clear();
            _duplicates = 0;
            _maxEvents = 0;
            _maxBytes = 0;
        }
    }

    internal void Add(RequestRecord request, IReadOnlyList<JsonElement>? accepted)
    {
        lock (_lock)
        {
            _requests.Add(request);
            _maxEvents = Math.Max(_maxEvents, request.Events);
            _maxBytes = Math.Max(_maxBytes, request.Bytes);
            if (accepted is null)
                return;
            foreach (var e in accepted)
            {
                if (_messageIdField is not null && !_messageIds.Add(e.GetProperty(_messageIdField).GetString()!))
                    _duplicates++;
                else
                    _events.Add(e);
            }
        }
    }
}
