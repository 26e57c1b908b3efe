using Sluice.Diagnostics;

namespace Sluice.Tests.Support;

/// <summary>The accounting rule every test checks: each accepted event is in exactly one terminal state.</summary>
public static class Conservation
{
    public static void AssertBalanced(SluiceCounters c)
    {
        Assert.Equal(0, c.InFlight);
        Assert.Equal(c.Accepted + c.Replayed + c.Resent, c.Evicted + c.Delivered + c.Failed + c.RejectedOversize + c.RejectedByServer + c.Expired + c.OutcomeUnknown + c.LostAtShutdown + c.Spooled); // docs/delivery.md
    }
}
