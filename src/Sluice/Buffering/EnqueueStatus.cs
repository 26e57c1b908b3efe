namespace Sluice.Buffering;

internal enum EnqueueStatus
{
    Ok,
    Full,
    Closed,
}
