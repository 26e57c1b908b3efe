namespace Sluice.Delivery;

/// <summary>
/// Knows how many batches, counted from sequence 0 without gaps, have finished (whatever the
/// outcome), so a flush can wait for "everything sealed before me" while senders finish out of order.
/// Touched once per batch, under a lock.
/// </summary>
internal sealed class DeliveryTracker
{
    private readonly Lock _lock = new();
    private readonly HashSet<long> _finishedAhead = [];
    private readonly List<(long Count, TaskCompletionSource Done)> _waiters = [];
    private long _contiguous;

    public void Finish(long sequence)
    {
        lock (_lock)
        {
            if (sequence != _contiguous)
            {
                _finishedAhead.Add(sequence);
                return;
            }

            _contiguous++;
            while (_finishedAhead.Remove(_contiguous))
                _contiguous++;

            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _contiguous)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Completes once batches 0 … <paramref name="count"/>-1 have all finished.</summary>
    public Task WhenFinished(long count)
    {
        lock (_lock)
        {
            if (_contiguous >= count)
                return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }

    /// <summary>At the end of a shutdown: nobody waits for a batch that will never finish.</summary>
    public void ReleaseAll()
    {
        lock (_lock)
        {
            foreach (var (_, done) in _waiters)
                done.TrySetResult();
            _waiters.Clear();
        }
    }
}
