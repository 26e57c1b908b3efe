namespace Sluice.Cli;

/// <summary>A count's rate per second over the last few seconds, for progress lines. Not thread-safe: one sampler.</summary>
internal sealed class Rate
{
    private readonly Queue<(double Seconds, long Count)> _samples = new();

    /// <summary>Adds a sample and returns the rate over the samples of the last <paramref name="window"/> seconds.</summary>
    public double Add(double seconds, long count, double window = 3)
    {
        _samples.Enqueue((seconds, count));
        while (_samples.Count > 2 && seconds - _samples.Peek().Seconds > window)
            _samples.Dequeue();
        var (oldSeconds, oldCount) = _samples.Peek();
        return seconds > oldSeconds ? (count - oldCount) / (seconds - oldSeconds) : 0;
    }

    /// <summary><c>m:ss</c> or <c>h:mm:ss</c>.</summary>
    public static string Clock(TimeSpan value)
        => value.TotalHours >= 1 ? $"{(int)value.TotalHours}:{value.Minutes:D2}:{value.Seconds:D2}" : $"{value.Minutes}:{value.Seconds:D2}";
}
