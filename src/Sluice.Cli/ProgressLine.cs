namespace Sluice.Cli;

/// <summary>
/// Runs <paramref name="tick"/> a few times a second until disposed: it samples what it needs and
/// returns the progress line to draw, or null to draw none (standard error is not a terminal, or
/// <c>--quiet</c>). Disposing stops it and clears the line.
/// </summary>
internal sealed class ProgressLine : IAsyncDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly ErrorOutput _output;
    private readonly PeriodicTimer _timer = new(Period);
    private readonly Task _loop;

    public ProgressLine(ErrorOutput output, Func<string?> tick)
    {
        _output = output;
        _loop = LoopAsync(tick);
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose(); // ends the loop's wait
        await _loop.ConfigureAwait(false);
        _output.ClearStatus();
    }

    private async Task LoopAsync(Func<string?> tick)
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            if (tick() is { } line)
                _output.Status(line);
        }
    }
}
