namespace Sluice.Buffering;

internal enum RingStatus
{
    Ok,
    Full,
    Closed,
}
