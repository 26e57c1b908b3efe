namespace Sluice.Delivery;

/// <summary>Events [<see cref="Start"/>, <see cref="Start"/> + <see cref="Count"/>) of a batch still to deliver, and the transient failures they met so far.</summary>
internal readonly record struct PendingRange(int Start, int Count, int Attempts)
{
    public PendingRange LeftHalf => new(Start, Count / 2, 0);

    public PendingRange RightHalf => new(Start + (Count / 2), Count - (Count / 2), 0);
}
