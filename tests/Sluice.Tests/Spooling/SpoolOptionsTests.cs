using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

public sealed class SpoolOptionsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new SpoolOptions();
        Assert.Equal(("", 1L << 30, SpoolSync.PerBatch, TimeSpan.FromSeconds(1), 16L << 20),
            (options.DirectoryPath, options.MaxBytes, options.Sync, options.SyncInterval, options.SegmentBytes));
    }

    [Fact]
    public void Every_invalid_setting_is_reported_in_one_exception_naming_each()
    {
        var options = new SpoolOptions
        {
            DirectoryPath = " ",
            Sync = (SpoolSync)7,
            SyncInterval = TimeSpan.Zero,
            SegmentBytes = 100,
        };
        var error = Assert.Throws<ArgumentException>(() => options.Validated());
        Assert.Contains("DirectoryPath is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sync is not a defined value (was 7)", error.Message, StringComparison.Ordinal);
        Assert.Contains("SyncInterval must be between 1 ms and 1 minute", error.Message, StringComparison.Ordinal);
        Assert.Contains("SegmentBytes must be between 4,096 and 1,073,741,824 (was 100)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cap_must_hold_at_least_two_segments()
    {
        var options = new SpoolOptions { DirectoryPath = "x", MaxBytes = 30_000, SegmentBytes = 16_000 };
        var error = Assert.Throws<ArgumentException>(() => options.Validated());
        Assert.Contains("MaxBytes must be at least twice SegmentBytes (16,000) (was 30,000)", error.Message, StringComparison.Ordinal);
        options.MaxBytes = 32_000;
        Assert.Equal(32_000, options.Validated().MaxBytes);
    }

    [Fact]
    public void The_cap_must_hold_a_full_batch_or_such_a_batch_would_be_sent_from_memory_alone()
    {
        // On disk, a batch is a 44-byte record header, 4 bytes per event and its body, in a segment whose header is 28
        // bytes and the format's identity.
        var format = new Sluice.Serialization.SegmentFormat();
        long fullBatch = 44 + (4 * 100) + 20_000 + 28 + System.Text.Encoding.UTF8.GetByteCount(SpoolFormatIdentity.Of(format));
        SluiceOptions With(long maxBytes) => new()
        {
            WireFormat = format, MaxBatchEvents = 100, MaxBatchBytes = 20_000,
            Spool = new SpoolOptions { DirectoryPath = "x", MaxBytes = maxBytes, SegmentBytes = 4096 },
        };

        var error = Assert.Throws<ArgumentException>(() => With(fullBatch - 1).Validated());
        Assert.Contains($"Spool.MaxBytes must hold a full batch on disk: at least {fullBatch:N0} bytes with MaxBatchBytes 20,000 and MaxBatchEvents 100 (was {fullBatch - 1:N0})",
            error.Message, StringComparison.Ordinal);
        Assert.Equal(fullBatch, With(fullBatch).Validated().Spool!.MaxBytes);

        // The defaults (2 MiB batches) with a 1 MiB cap: refused, where every full batch went unspooled.
        var defaults = new SluiceOptions { Spool = new SpoolOptions { DirectoryPath = "x", MaxBytes = 1 << 20, SegmentBytes = 4096 } };
        Assert.Contains("Spool.MaxBytes must hold a full batch on disk", Assert.Throws<ArgumentException>(() => defaults.Validated()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_can_be_collected_with_a_prefix_for_the_engine_options_to_report_with_their_own()
    {
        var errors = new List<string>();
        new SpoolOptions().CollectErrors(errors, "Spool.");
        Assert.Equal(["Spool.DirectoryPath is required."], errors);
    }

    [Fact]
    public async Task A_spool_is_not_opened_with_invalid_options_and_later_changes_have_no_effect()
    {
        using var harness = new SpoolHarness();
        await Assert.ThrowsAsync<ArgumentException>(() => harness.OpenAsync(o => o.SegmentBytes = 1));
        Assert.False(File.Exists(Path.Combine(harness.Directory, "sluice.lock")));

        var options = harness.Options(o => { o.MaxBytes = 64 * 1024; o.SegmentBytes = 4096; });
        using var spool = await DiskSpool.OpenAsync(options, SpoolHarness.Format, harness.Time, null);
        options.MaxBytes = 1;
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
    }
}
