using Sluice.Diagnostics;

namespace Sluice.Tests.Support;

/// <summary>
/// Holds an engine's serializer at a known point: the serializer reports an oversize event to
/// <see cref="SluiceOptions.OnDiagnostic"/> on its own thread, so a sink that blocks there holds it
/// (with the oversize record read and everything queued after it unread) until <see cref="Release"/>.
/// Pass <see cref="OnDiagnostic"/> as the engine's sink.
/// </summary>
public sealed class SerializerHold
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _held = new(0);
    private readonly SemaphoreSlim _released = new(0);
    private int _armed;

    public void OnDiagnostic(DiagnosticEvent diagnostic)
    {
        if (diagnostic.Kind == DiagnosticKind.EventOversize && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _held.Release();
            _released.Wait(Patience);
        }
    }

    /// <summary>Enqueues an event too large for any batch and returns once the serializer is held on it.</summary>
    public async Task HoldAsync(SluiceEngine engine)
    {
        Volatile.Write(ref _armed, 1);
        Assert.Equal(EnqueueStatus.Accepted, engine.Track(new string('h', engine.Options.MaxBatchBytes), "hold"));
        Assert.True(await _held.WaitAsync(Patience), "The serializer did not reach the hold event.");
    }

    /// <summary>Lets the serializer go on.</summary>
    public void Release() => _released.Release();
}
