using System.Globalization;

namespace Sluice.Collector;

/// <summary>Hand runs: <c>dotnet run --project tests/Sluice.Collector -- --port 8080 [--token T] [--api-key K] [--write-key W] [--client-id I] [--client-access-token A]</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int port = 8080;
        var options = new CollectorOptions { Log = Console.WriteLine };
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--port" when int.TryParse(value, CultureInfo.InvariantCulture, out port): break;
                case "--token": options.TrackToken = value; break;
                case "--api-key": options.PageApiKey = value; break;
                case "--write-key": options.SegmentWriteKey = value; break;
                case "--client-id": options.PrimeDataClientId = value; break;
                case "--client-access-token": options.PrimeDataAccessToken = value; break;
                default:
                    await Console.Error.WriteLineAsync($"Unknown or incomplete option '{args[i]}'. Options: --port N --token T --api-key K --write-key W --client-id I --client-access-token A");
                    return 2;
            }

            i++;
        }

        await using var collector = await ReferenceCollector.StartAsync(port, options);
        Console.WriteLine($"""
            Sluice reference collector on {collector.BaseAddress}
              POST /api/track     Authorization: Bearer {options.TrackToken}
              POST /api/page      x-api-key: {options.PageApiKey}
              POST /v1/batch      Basic auth, user name {options.SegmentWriteKey}
              POST /powehi/smile  X-Client-Id: {options.PrimeDataClientId}, X-Client-Access-Token: {options.PrimeDataAccessToken}
            Admin:
            {AdminEndpoints.Help}
            Ctrl+C to stop.
            """);
        await collector.WaitForShutdownAsync();
        return 0;
    }
}
