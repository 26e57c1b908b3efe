using Sluice.Diagnostics;

namespace Sluice.Tests.Support;

/// <summary>
/// Holds an engine's serializer at a known point: the serializer reports an oversize event to
/// <see cref="SluiceOptions.OnDiagnostic"/> on its own thread, so a sink that blocks there holds it,
/// with everything queued after that event unread, until <see cref="Release"/>. Pass
/// <see cref="OnDiagnostic"/> as (or from) the engine's sink; <see cref="Arm"/>, enqueue an event too
/// large for any batch (<see cref="HoldUserId"/>), then <see cref="WaitHeld"/>.
/// </summary>
public sealed class SerializerHold
{
    /// <summary>How long a held serializer waits for its release before going on by itself (a test that failed midway).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private enum State
    {
        Idle,
        Armed,
        Held,
    }

    // Guards _state, which the test's thread (Arm, Release) and the serializer (OnDiagnostic) both change.
    // (A Monitor, not a Lock: the two sides wait for each other's changes.)
    private readonly object _lock = new();
    private State _state;

    /// <summary>A user id that makes an event too large for any batch of <paramref name="options"/>.</summary>
    public static string HoldUserId(SluiceOptions options) => new('h', options.MaxBatchBytes);

    public void OnDiagnostic(DiagnosticEvent diagnostic)
    {
        if (diagnostic.Kind != DiagnosticKind.EventOversize)
            return;
        lock (_lock)
        {
            if (_state != State.Armed)
                return;
            _state = State.Held;
            Monitor.PulseAll(_lock);
            var deadline = DateTime.UtcNow + Patience;
            while (_state == State.Held && deadline - DateTime.UtcNow is { Ticks: > 0 } left)
                Monitor.Wait(_lock, left);
        }
    }

    /// <summary>The serializer stops at the next oversize event it reports.</summary>
    public void Arm()
    {
        lock (_lock)
            _state = State.Armed;
    }

    /// <summary>Whether the serializer stopped within <paramref name="timeout"/>.</summary>
    public bool WaitHeld(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (_state != State.Held && deadline - DateTime.UtcNow is { Ticks: > 0 } left)
                Monitor.Wait(_lock, left);
            return _state == State.Held;
        }
    }

    /// <summary>Lets a held serializer go on, or disarms the hold if it has not stopped yet.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _state = State.Idle;
            Monitor.PulseAll(_lock);
        }
    }
}
