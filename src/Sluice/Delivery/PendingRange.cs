namespace Sluice.Delivery;

/// <summary>
/// Events [<see cref="Start"/>, <see cref="Start"/> + <see cref="Count"/>) of a batch still to deliver, the transient
/// failures they met so far, and whether an earlier attempt holding them ended without an answer (so the server
/// may have them: <see cref="SendResult.MayHaveArrived"/>). Halves start over on attempts and keep the doubt.
/// </summary>
internal readonly record struct PendingRange(int Start, int Count, int Attempts, bool MayHaveArrived = false)
{
    public PendingRange LeftHalf => new(Start, Count / 2, 0, MayHaveArrived);

    public PendingRange RightHalf => new(Start + (Count / 2), Count - (Count / 2), 0, MayHaveArrived);
}
