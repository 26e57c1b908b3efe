namespace Sluice.Delivery;

/// <summary>
/// One endpoint's (partition's) pause after a 401/403. While paused, batches for it are parked here
/// (up to <c>capacity</c>; beyond, a sender's batch expires rather than the sender waiting for the resume,
/// which would hold up the other endpoints' batches) and one job, the probe, is retried at long intervals.
/// A lock protects the state shared by senders (admit, pause, park) and the probe (resume).
/// </summary>
internal sealed class EndpointPause(int capacity)
{
    private readonly Lock _lock = new();

    // Guarded by _lock. Written by senders and the probe; read by senders and the probe.
    private readonly List<DeliveryJob> _parked = [];
    private TaskCompletionSource? _resumed; // not null exactly while paused

    /// <summary>Whether the endpoint is paused now (for metrics).</summary>
    public bool IsPaused
    {
        get
        {
            lock (_lock)
                return _resumed is not null;
        }
    }

    /// <summary>The jobs parked (for tests).</summary>
    public int Parked
    {
        get
        {
            lock (_lock)
                return _parked.Count;
        }
    }

    /// <summary>A sender with a new job for this endpoint: may it send now?</summary>
    public Admission Admit(DeliveryJob job, out Task resumed)
    {
        lock (_lock)
        {
            resumed = Task.CompletedTask;
            if (_resumed is null)
                return Admission.Open;
            if (_parked.Count < capacity)
            {
                _parked.Add(job);
                return Admission.Parked;
            }

            resumed = _resumed.Task;
            return Admission.Wait;
        }
    }

    /// <summary>
    /// A job was refused its credentials. True if this pauses the endpoint (the caller starts the probe
    /// with this job); false if it was already paused (the job is parked, above the capacity if need be:
    /// it was already in flight).
    /// </summary>
    public bool Pause(DeliveryJob job)
    {
        lock (_lock)
        {
            if (_resumed is null)
            {
                _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return true;
            }

            _parked.Add(job);
            return false;
        }
    }

    /// <summary>
    /// A probe was refused again: parks its job and hands back the oldest parked one to probe with next (the same job if none
    /// is parked). So a batch whose content the endpoint refuses with a 403 (a web application firewall) holds it paused only
    /// until another batch is accepted, after which that batch's 403 is taken for its content (see <c>DeliveryPolicy</c>).
    /// </summary>
    public DeliveryJob NextProbe(DeliveryJob refused)
    {
        lock (_lock)
        {
            if (_parked.Count == 0)
                return refused;
            var next = _parked[0];
            _parked.RemoveAt(0);
            _parked.Add(refused);
            return next;
        }
    }

    /// <summary>A probe was accepted: opens the endpoint and hands over the parked jobs, oldest first.</summary>
    public List<DeliveryJob> Resume()
    {
        TaskCompletionSource? resumed;
        List<DeliveryJob> parked;
        lock (_lock)
        {
            resumed = _resumed;
            _resumed = null;
            parked = [.. _parked];
            _parked.Clear();
        }

        resumed?.TrySetResult();
        return parked;
    }

    /// <summary>At the shutdown deadline: hands over the parked jobs, to be counted as lost.</summary>
    public List<DeliveryJob> TakeParked()
    {
        lock (_lock)
        {
            List<DeliveryJob> parked = [.. _parked];
            _parked.Clear();
            return parked;
        }
    }
}
