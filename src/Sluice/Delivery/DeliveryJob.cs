using System.Diagnostics;
using Sluice.Batching;

namespace Sluice.Delivery;

/// <summary>
/// The delivery of one sealed batch, possibly in parts: after a 400 or a 413 the batch is split and its
/// parts are delivered one after the other (a stack, so a bisection walks depth first). Owned by one
/// task at a time: the sender that took the batch, or, while its endpoint is paused, the probe.
/// </summary>
internal sealed class DeliveryJob
{
    private PendingRange _top;
    private bool _hasTop;
    private Stack<PendingRange>? _below; // only after a split

    public DeliveryJob(Batch batch)
    {
        Batch = batch;
        _top = new PendingRange(0, batch.EventCount, 0);
        _hasTop = true;
    }

    /// <summary>The sealed batch: its events are what gets settled, its memory what sub-batches are cut from.</summary>
    public Batch Batch { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the first attempt since the job started or its endpoint resumed; 0 before.</summary>
    public long StartedAt { get; set; }

    /// <summary>Events of this batch delivered so far.</summary>
    public int DeliveredEvents { get; set; }

    /// <summary>Events of this batch the server rejected alone (isolated by bisection) so far.</summary>
    public int RejectedAlone { get; set; }

    /// <summary>The answer that paused the endpoint, while this job waits for a probe.</summary>
    public SendResult LastRefusal { get; set; }

    public bool TryPeek(out PendingRange range)
    {
        range = _top;
        return _hasTop;
    }

    /// <summary>Replaces the range on top (its attempt count changed).</summary>
    public void Update(PendingRange range)
    {
        Debug.Assert(_hasTop && range.Start == _top.Start && range.Count == _top.Count, "Only the attempts change.");
        _top = range;
    }

    /// <summary>The range on top is settled.</summary>
    public void Pop()
    {
        Debug.Assert(_hasTop, "Pop a range that is there.");
        _hasTop = _below is { Count: > 0 };
        if (_hasTop)
            _top = _below!.Pop();
    }

    /// <summary>Replaces the range on top by its two halves, the left one first.</summary>
    public void Split()
    {
        Debug.Assert(_hasTop && _top.Count > 1, "Split a range of two events or more.");
        var range = _top;
        _below ??= new Stack<PendingRange>();
        _below.Push(range.RightHalf);
        _top = range.LeftHalf;
    }
}
