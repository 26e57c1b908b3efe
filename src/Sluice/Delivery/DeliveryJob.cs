using System.Diagnostics;
using Sluice.Batching;

namespace Sluice.Delivery;

/// <summary>
/// The delivery of one sealed batch, possibly in parts: after a 400 or a 413 the batch is split and its
/// parts are delivered one after the other (a stack, so a bisection walks depth first). Owned by one
/// task at a time: the sender that took the batch, or, while its endpoint is paused, the probe. A forced
/// shutdown may read what is left (<see cref="Remaining"/>) from another thread while the owner is stuck
/// in a transport that ignores cancellation.
/// </summary>
internal sealed class DeliveryJob
{
    // Guards the ranges and the in-flight flag: written by the owner, read by the owner and, at a forced shutdown, by the thread writing the job off.
    private readonly Lock _lock = new();
    private PendingRange _top;
    private bool _hasTop;
    private Stack<PendingRange>? _below; // only after a split
    private bool _inFlight;

    public DeliveryJob(Batch batch)
    {
        Batch = batch;
        _hasTop = true;
        if (batch.PartsToSend is not { } parts)
        {
            _top = new PendingRange(0, batch.EventCount, 0);
            return;
        }

        // A batch kept in the spool, sent again: the parts whose retries ran out, in order, the first on top.
        _top = new PendingRange(parts[0].Start, parts[0].Count, 0);
        _below = new Stack<PendingRange>(parts.Skip(1).Reverse().Select(static p => new PendingRange(p.Start, p.Count, 0)));
    }

    /// <summary>The sealed batch: its events are what gets settled, its memory what sub-batches are cut from.</summary>
    public Batch Batch { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the first attempt since the job started or its endpoint resumed; null before
    /// (not 0: a clock's timestamps may start at 0, and the budget would then restart at the second attempt). Owner only.</summary>
    public long? StartedAt { get; set; }

    /// <summary>When the batch's endpoint last refused this batch with a 403 (a timestamp); null if it never did. Owner only.</summary>
    public long? ForbiddenAt { get; set; }

    /// <summary>The endpoint refuses this batch's content with 403 (not the credentials): its parts' 403s are bisected too. Owner only.</summary>
    public bool ContentForbidden { get; set; }

    public bool TryPeek(out PendingRange range)
    {
        lock (_lock)
        {
            range = _top;
            return _hasTop;
        }
    }

    /// <summary>Replaces the range on top (its attempts or its doubt changed).</summary>
    public void Update(PendingRange range)
    {
        lock (_lock)
        {
            Debug.Assert(_hasTop && range.Start == _top.Start && range.Count == _top.Count, "Only the attempts change.");
            _top = range;
        }
    }

    /// <summary>The range on top is settled.</summary>
    public void Pop()
    {
        lock (_lock)
        {
            Debug.Assert(_hasTop, "Pop a range that is there.");
            _hasTop = _below is { Count: > 0 };
            if (_hasTop)
                _top = _below!.Pop();
        }
    }

    /// <summary>Replaces the range on top by its two halves, the left one first.</summary>
    public void Split()
    {
        lock (_lock)
        {
            Debug.Assert(_hasTop && _top.Count > 1, "Split a range of two events or more.");
            var range = _top;
            _below ??= new Stack<PendingRange>();
            _below.Push(range.RightHalf);
            _top = range.LeftHalf;
        }
    }

    /// <summary>The range on top is being sent (true) or its attempt has an answer (false). A request cancelled by the
    /// shutdown deadline stays in flight: its events may have reached the server.</summary>
    public void InFlight(bool sending)
    {
        lock (_lock)
            _inFlight = sending;
    }

    /// <summary>The ranges not settled yet, top first, each with whether the server may have its events (in flight now, or an earlier attempt unanswered).</summary>
    public List<(PendingRange Range, bool MayHaveArrived)> Remaining()
    {
        lock (_lock)
        {
            var remaining = new List<(PendingRange, bool)>();
            if (!_hasTop)
                return remaining;
            remaining.Add((_top, _inFlight || _top.MayHaveArrived));
            if (_below is not null)
            {
                foreach (var range in _below)
                    remaining.Add((range, range.MayHaveArrived));
            }

            return remaining;
        }
    }
}
