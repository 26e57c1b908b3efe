namespace Sluice.Tests.Support;

/// <summary>Waits for a condition other threads make true, without sleeping a fixed time; fails after a generous bound.</summary>
public static class Eventually
{
    public static Task True(Func<bool> condition, string what, int timeoutMs = 10_000)
        => True(() => Task.FromResult(condition()), what, timeoutMs);

    /// <summary>The same, for a condition read asynchronously (a file's state, say).</summary>
    public static async Task True(Func<Task<bool>> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"Timed out waiting for: {what}");
            await Task.Yield();
            await Task.Delay(1);
        }
    }
}
