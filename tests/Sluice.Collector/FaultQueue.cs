namespace Sluice.Collector;

/// <summary>
/// Faults of one kind waiting to be applied, oldest first: each applies to the next <c>count</c>
/// requests of its API (or of any API). Written by tests/admin requests, consumed by request threads,
/// all under one lock (requests are few; clarity beats lock-freedom here).
/// </summary>
internal sealed class FaultQueue<T>
{
    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

    public void Add(int count, CollectorApi? api, T value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_lock)
            _entries.Add(new Entry(api, value) { Remaining = count });
    }

    /// <summary>Takes one application of the oldest fault that matches <paramref name="api"/>.</summary>
    public bool TryTake(CollectorApi api, out T value)
    {
        lock (_lock)
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                var entry = _entries[i];
                if (entry.Api is { } only && only != api)
                    continue;
                value = entry.Value;
                if (--entry.Remaining == 0)
                    _entries.RemoveAt(i);
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Applications left, over all APIs.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
                return _entries.Sum(e => e.Remaining);
        }
    }

    public void Clear()
    {
        lock (_lock)
            _entries.Clear();
    }

    private sealed class Entry(CollectorApi? api, T value)
    {
        public CollectorApi? Api { get; } = api;

        public T Value { get; } = value;

        public int Remaining { get; set; }
    }
}
