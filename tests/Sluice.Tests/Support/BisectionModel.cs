namespace Sluice.Tests.Support;

/// <summary>
/// What bisecting a 400-rejected batch costs, worked out independently of the engine: a part is sent; if it
/// holds an invalid event and more than one event, its halves (the left one <c>count / 2</c> events) are
/// bisected in turn. Deterministic, so a test can expect the exact request count.
/// </summary>
public static class BisectionModel
{
    public static int Requests(int count, Func<int, bool> invalid) => Part(0, count, invalid);

    private static int Part(int start, int count, Func<int, bool> invalid)
    {
        bool rejected = Enumerable.Range(start, count).Any(invalid);
        if (!rejected || count == 1)
            return 1;
        int left = count / 2;
        return 1 + Part(start, left, invalid) + Part(start + left, count - left, invalid);
    }

    /// <summary>The requests for <paramref name="total"/> events sealed in order into batches of <paramref name="batchSize"/>.</summary>
    public static int Requests(int total, int batchSize, Func<int, bool> invalid)
    {
        int requests = 0;
        for (int start = 0; start < total; start += batchSize)
            requests += Part(start, Math.Min(batchSize, total - start), invalid);
        return requests;
    }
}
