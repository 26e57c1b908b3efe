using System.Threading.Tasks.Sources;

namespace Sluice.Buffering;

/// <summary>
/// The one reusable wake-up of the single reader: parking costs no allocation, and waking is a
/// single interlocked exchange that only the first waker wins. The reader resumes on the thread
/// pool, never inline on a producer; the signal queues itself as the work item, so a wake-up
/// allocates nothing either (a continuation queued by the runtime would cost an object per wake-up).
/// </summary>
internal sealed class ReaderSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    // Mutable struct! Don't make this readonly. Completed from Execute, on a pool thread: the continuation runs there.
    private ManualResetValueTaskSourceCore<bool> _core;

    /// <summary>The reader is not parked.</summary>
    public const int Running = 0;

    /// <summary>The reader is parked idle: any write should wake it.</summary>
    public const int Idle = 1;

    /// <summary>The reader is parked on a backlog: a write should wake it only once enough items wait.</summary>
    public const int OnBacklog = 2;

    // How the reader is parked (Running, Idle, OnBacklog). Set by the reader, cleared by whoever wins
    // the exchange (a waker, or the reader cancelling its own park).
    private int _parked;

    /// <summary>How the reader is parked: <see cref="Running"/>, <see cref="Idle"/> or <see cref="OnBacklog"/>.</summary>
    public int Mode => Volatile.Read(ref _parked);

    /// <summary>Whether the reader is parked (for tests).</summary>
    public bool IsParked => Mode != Running;

    /// <summary>Reader: arms the signal. Full fence, so a later readiness check cannot be reordered before it.</summary>
    public void Arm(bool onBacklog)
    {
        _core.Reset();
        Interlocked.Exchange(ref _parked, onBacklog ? OnBacklog : Idle);
    }

    /// <summary>Reader: cancels its own park. False if a waker got there first (its result is on the way).</summary>
    public bool TryDisarm() => Interlocked.Exchange(ref _parked, Running) != Running;

    public ValueTask<bool> Park() => new(this, _core.Version);

    /// <summary>Anyone: wakes the reader if it is parked. Callers must have published their state with a full fence.</summary>
    public void WakeIfParked()
    {
        if (Volatile.Read(ref _parked) != Running && Interlocked.Exchange(ref _parked, Running) != Running)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>
    /// A pool thread with nothing else to do (a timer's callback): wakes the reader if it is parked,
    /// running it on this thread rather than handing it to another.
    /// </summary>
    public void WakeHere()
    {
        if (Volatile.Read(ref _parked) != Running && Interlocked.Exchange(ref _parked, Running) != Running)
            _core.SetResult(true);
    }

    /// <summary>On a pool thread: completes the park, running the reader's continuation here.</summary>
    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    public bool GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
