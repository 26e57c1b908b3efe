using System.Threading.Channels;
using Sluice.Buffering;
using Sluice.Producing;

namespace Sluice.Benchmarks;

/// <summary>
/// The buffer scenario's harness: dedicated writer threads (started once) race to write the engine's
/// own record into one channel while a single reader drains it the way the engine's consumer does
/// (drain, then wait asynchronously). Each channel is driven through its own API in its own loop,
/// so the JIT specialises every loop for one channel type: Sluice's ring as the engine uses it
/// (<see cref="RingChannel{T}.TryEnqueue"/>; the reader reads in place and parks on the engine's
/// wake-up backlog; a writer done with its share kicks it, as the engine's flush does, so the last
/// items of a run do not wait for the read delay), the BCL channels through their writers and readers.
/// </summary>
internal abstract class ChannelContention : IDisposable
{
    private readonly Thread[] _threads;
    private readonly int _items;

    // Runs are started and awaited under a monitor, never a spinning wait: on two cores, idle writer
    // threads spinning for the next run would steal the CPU of the run in progress.
    private readonly object _gate = new();
    private int _generation;   // written by Run under _gate; read by writers under _gate
    private int _finished;     // writers done with the current run; under _gate
    private bool _stopping;    // under _gate

    /// <param name="writers">Writer threads.</param>
    /// <param name="items">Items per run, shared among the writers; the channel must hold them all (contention, not a full queue).</param>
    protected ChannelContention(int writers, int items)
    {
        _items = items;
        _threads = new Thread[writers];
        for (int t = 0; t < writers; t++)
        {
            _threads[t] = new Thread(WriterLoop) { IsBackground = true, Name = $"writer-{t}" };
            _threads[t].Start(items / writers);
        }
    }

    public static ChannelContention Ring(int writers, int items)
        => new RingContention(new RingChannel<EventRecord>(items, evictingWriters: false, RingChannel<EventRecord>.WakeBacklogFor(items)), writers, items);

    public static ChannelContention Bounded(int writers, int items) => new BclContention(Channel.CreateBounded<EventRecord>(
        new BoundedChannelOptions(items) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }), writers, items);

    public static ChannelContention Unbounded(int writers, int items)
        => new BclContention(Channel.CreateUnbounded<EventRecord>(new UnboundedChannelOptions { SingleReader = true }), writers, items);

    /// <summary>One run: every writer writes its share, the reader reads them all. Returns a checksum.</summary>
    public long Run()
    {
        var reader = Task.Run(() => ReadAllAsync(_items));
        lock (_gate)
        {
            _finished = 0;
            _generation++;
            Monitor.PulseAll(_gate);
        }

        long read = reader.GetAwaiter().GetResult();
        lock (_gate)
        {
            while (_finished < _threads.Length)
                Monitor.Wait(_gate);
        }

        return read;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var t in _threads)
            t.Join();
    }

    protected abstract void WriteShare(int count, in EventRecord item);

    protected abstract Task<long> ReadAllAsync(long expected);

    private void WriterLoop(object? share)
    {
        int count = (int)share!;
        var item = new EventRecord { Id = "user", Name = "feature_used", MinBytes = 1, PropCount = -1, CtxCount = -1 };
        int seen = 0;
        while (true)
        {
            lock (_gate)
            {
                while (_generation == seen && !_stopping)
                    Monitor.Wait(_gate);
                if (_stopping)
                    return;
                seen = _generation;
            }

            WriteShare(count, item);
            lock (_gate)
            {
                _finished++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private sealed class RingContention(RingChannel<EventRecord> ring, int writers, int items) : ChannelContention(writers, items)
    {
        protected override void WriteShare(int count, in EventRecord item)
        {
            for (int i = 0; i < count; i++)
            {
                if (ring.TryEnqueue(item) != RingStatus.Ok)
                    throw new InvalidOperationException("The capacity holds a whole run: a write cannot fail.");
            }

            ring.Kick();
        }

        protected override async Task<long> ReadAllAsync(long expected)
        {
            long read = 0, check = 0;
            while (read < expected)
            {
                while (true)
                {
                    ref var item = ref ring.PeekHead(out bool available);
                    if (!available)
                        break;
                    check += item.MinBytes;
                    ring.ReleaseHead();
                    read++;
                }

                if (read < expected && !await ring.WaitToReadAsync().ConfigureAwait(false))
                    break;
            }

            return check;
        }
    }

    private sealed class BclContention(Channel<EventRecord> channel, int writers, int items) : ChannelContention(writers, items)
    {
        protected override void WriteShare(int count, in EventRecord item)
        {
            var writer = channel.Writer;
            for (int i = 0; i < count; i++)
            {
                if (!writer.TryWrite(item))
                    throw new InvalidOperationException("The capacity holds a whole run: a write cannot fail.");
            }
        }

        protected override async Task<long> ReadAllAsync(long expected)
        {
            var reader = channel.Reader;
            long read = 0, check = 0;
            while (read < expected)
            {
                while (reader.TryRead(out var item))
                {
                    check += item.MinBytes;
                    read++;
                }

                if (read < expected && !await reader.WaitToReadAsync().ConfigureAwait(false))
                    break;
            }

            return check;
        }
    }
}
