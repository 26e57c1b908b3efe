using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests;

/// <summary>The range each option's documentation gives (its <c>&lt;value&gt;</c>): both ends taken, one step past either refused, naming the option.</summary>
public class OptionRangeTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    public static TheoryData<string, object, object, object, object> Ranges() => new()
    {
        // option, refused below, lowest, highest, refused above
        { nameof(SluiceOptions.MaxBatchEvents), 0, 1, 100_000, 100_001 }, // "Range 1–100,000" (a custom format)
        { nameof(SluiceOptions.MaxBatchBytes), 63, 64, 128 * 1024 * 1024, (128 * 1024 * 1024) + 1 }, // "Range 64–128 MiB"
        { nameof(SluiceOptions.FlushInterval), TimeSpan.FromMilliseconds(1) - Tick, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1), TimeSpan.FromDays(1) + Tick },
        { nameof(SluiceOptions.QueueCapacity), 1, 2, 16_777_216, 16_777_217 },
        { nameof(SluiceOptions.FullModeWaitTimeout), -Tick, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) + Tick },
        { nameof(SluiceOptions.MaxConcurrentSends), 0, 1, 64, 65 },
        { nameof(SluiceOptions.ShutdownTimeout), -Tick, TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(1) + Tick },
        { nameof(SluiceOptions.MaxSendAttempts), 0, 1, 1_000, 1_001 },
        { nameof(SluiceOptions.RetryBudget), -Tick, TimeSpan.Zero, TimeSpan.FromDays(1), TimeSpan.FromDays(1) + Tick },
        { nameof(SluiceOptions.RetryBaseDelay), TimeSpan.FromMilliseconds(1) - Tick, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1) + Tick },
        { nameof(SluiceOptions.RetryMaxDelay), TimeSpan.FromMilliseconds(500) - Tick, TimeSpan.FromMilliseconds(500), TimeSpan.FromDays(1), TimeSpan.FromDays(1) + Tick }, // from RetryBaseDelay
        { nameof(SluiceOptions.UnauthorizedProbeInterval), TimeSpan.FromMilliseconds(1) - Tick, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1), TimeSpan.FromDays(1) + Tick },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Each_option_takes_its_documented_range_and_nothing_past_it(string option, object below, object lowest, object highest, object above)
    {
        Assert.Empty(With(option, lowest).Problems());
        Assert.Empty(With(option, highest).Problems());
        foreach (object refused in new[] { below, above })
        {
            string problem = Assert.Single(With(option, refused).Problems());
            Assert.StartsWith($"{option} must be between ", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_problems_are_written_as_the_docs_quote_them_whatever_the_current_culture()
    {
        // "MaxBatchEvents must be at most 1,000 with ThriveStackFormat (was 5000): …" (docs/delivery.md): a German culture wrote
        // 1.000, a French one 1 000, beside the fixed "between 1 and 100,000" of the other sentences.
        using var german = CurrentCulture.Set("de-DE");
        var problems = new SluiceOptions
        {
            MaxBatchEvents = 5_000,
            MaxBatchBytes = 3_000_000,
            Spool = new SpoolOptions { DirectoryPath = "spool", SegmentBytes = 100, MaxBytes = 10_000 },
        }.Problems();
        Assert.Contains(problems, p => p.StartsWith("MaxBatchEvents must be at most 1,000 with ThriveStackFormat (was 5000): its API accepts at most 1,000 events", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("MaxBatchBytes must be at most 2,097,152 with ThriveStackFormat", StringComparison.Ordinal));
        Assert.Contains("Spool.SegmentBytes must be between 4,096 and 1,073,741,824 (was 100).", problems);

        var custom = new SluiceOptions { WireFormat = new WrappedFormat(ThriveStackFormat.Instance), MaxBatchBytes = 10 }.Problems();
        Assert.Contains("MaxBatchBytes must be between 64 and 134,217,728 (was 10).", custom);
        var ex = Assert.Throws<ArgumentException>(() => DefaultContext.Parse("{\"a\":\"" + new string('x', DefaultContext.MaxBytes) + "\"}"));
        Assert.StartsWith("must be at most 65,536 bytes of JSON (was 65,544)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_queue_capacity_is_rounded_up_to_a_power_of_two()
    {
        using var engine = new SluiceEngine(new SluiceOptions { QueueCapacity = 1_000 }, new Sluice.Delivery.Transports.InMemoryTransport());
        Assert.Equal(1_024, engine.Options.QueueCapacity);
    }

    private static SluiceOptions With(string option, object value)
    {
        // A custom format is held to the engine's ranges only, not to a built-in API's 1,000 events and 2 MB.
        // RetryMaxDelay, which must be at least RetryBaseDelay, is set to its highest for RetryBaseDelay's own range.
        var options = new SluiceOptions { WireFormat = new WrappedFormat(ThriveStackFormat.Instance) };
        if (option == nameof(SluiceOptions.RetryBaseDelay))
            options.RetryMaxDelay = TimeSpan.FromDays(1);
        typeof(SluiceOptions).GetProperty(option)!.SetValue(options, value);
        return options;
    }
}
