using Sluice.Diagnostics;

namespace Sluice.Cli;

internal static class CountersReport
{
    public static void Write(TextWriter output, SluiceCounters c)
    {
        output.WriteLine($"  accepted            {c.Accepted,14:N0}");
        output.WriteLine($"  delivered           {c.Delivered,14:N0}");
        output.WriteLine($"  refused (queue full){c.RefusedQueueFull,14:N0}");
        output.WriteLine($"  refused (shutdown)  {c.RefusedShutdown,14:N0}");
        output.WriteLine($"  evicted             {c.Evicted,14:N0}");
        output.WriteLine($"  rejected (oversize) {c.RejectedOversize,14:N0}");
        output.WriteLine($"  rejected (server)   {c.RejectedByServer,14:N0}");
        output.WriteLine($"  failed              {c.Failed,14:N0}");
        output.WriteLine($"  expired             {c.Expired,14:N0}");
        output.WriteLine($"  lost at shutdown    {c.LostAtShutdown,14:N0}");
        output.WriteLine($"  in flight           {c.InFlight,14:N0}");
        output.WriteLine($"  batches sealed      {c.BatchesSealed,14:N0}");
        output.WriteLine($"  bytes sealed        {c.BytesSealed,14:N0}");
    }
}
