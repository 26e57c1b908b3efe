using System.Collections.Concurrent;

namespace Sluice.Tests.Support;

/// <summary>
/// A dedicated thread that runs what it is given, one call at a time, while the caller waits: a
/// producer whose thread-static state (the engine's property arena) is its own, driven step by step
/// so that an interleaving between producers is forced rather than hoped for.
/// </summary>
public sealed class PinnedThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;

    public PinnedThread(string name)
    {
        _thread = new Thread(() =>
        {
            foreach (var action in _work.GetConsumingEnumerable())
                action();
        })
        {
            IsBackground = true,
            Name = name,
        };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="call"/> on this thread and returns its result; an exception it throws is rethrown here.</summary>
    public T Run<T>(Func<T> call)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(call());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="call"/> on this thread; an exception it throws is rethrown here.</summary>
    public void Run(Action call) => Run(() =>
    {
        call();
        return true;
    });

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        _work.Dispose();
    }
}
