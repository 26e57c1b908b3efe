using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>One engine per directory: a lock file held open with FileShare.None.</summary>
public sealed class SpoolLockTests : IDisposable
{
    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_second_spool_on_a_directory_in_use_gets_an_error_naming_the_directory()
    {
        using var first = await _harness.OpenAsync();

        var error = await Assert.ThrowsAsync<IOException>(() => _harness.OpenAsync());
        Assert.Contains(_harness.Directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("in use by another Sluice engine", error.Message, StringComparison.Ordinal);

        // The first one is unaffected.
        SpoolHarness.Append(first, SpoolBatch.Json(0, "1"));
        Assert.Equal(1, first.Counters.LiveBatches);
    }

    [Fact]
    public async Task Deleting_the_lock_file_under_a_spool_in_use_does_not_let_a_second_one_open_the_directory()
    {
        using var first = await _harness.OpenAsync();
        SpoolHarness.Append(first, SpoolBatch.Json(0, "1"));
        File.Delete(Path.Combine(_harness.Directory, "sluice.lock")); // an operator who took it for a stale lock

        var error = await Assert.ThrowsAsync<IOException>(() => _harness.OpenAsync());
        Assert.Contains("in use by another Sluice engine", error.Message, StringComparison.Ordinal);
        Assert.Contains("sluice.lock was missing or new", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => _harness.OpenAsync()); // nor does the lock file the refused one left
        Assert.True(SpoolDirectory.IsLocked(_harness.Directory)); // what `sluice spool status` asks

        // The first one is unaffected; once it is gone, the directory opens again, with what it spooled.
        SpoolHarness.Append(first, SpoolBatch.Json(0, "2"));
        first.Dispose();
        Assert.False(SpoolDirectory.IsLocked(_harness.Directory));
        using var second = await _harness.OpenAsync();
        Assert.Equal(2, second.Recovery.Batches);
    }

    [Fact]
    public async Task The_directory_is_free_again_once_the_spool_is_disposed_or_its_process_dies()
    {
        var first = await _harness.OpenAsync();
        first.Dispose();
        var second = await _harness.OpenAsync();
        second.Abandon(); // as a killed process: its files close without a sync, and the lock goes with them
        using var third = await _harness.OpenAsync();
        Assert.True(File.Exists(Path.Combine(_harness.Directory, "sluice.lock")));
    }

    [Fact]
    public async Task A_directory_path_that_names_a_file_is_refused_saying_so()
    {
        string file = Path.Combine(_harness.Directory, "spool");
        File.WriteAllText(file, "mine");

        var error = await Assert.ThrowsAsync<IOException>(() => _harness.OpenAsync(o => o.DirectoryPath = file));
        Assert.Contains($"'{file}' is a file, not a directory", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_directory_that_does_not_exist_is_created()
    {
        string nested = Path.Combine(_harness.Directory, "a", "b");
        using var spool = await _harness.OpenAsync(o => o.DirectoryPath = nested);
        Assert.True(File.Exists(Path.Combine(nested, "sluice.lock")));
        Assert.Equal(Path.GetFullPath(nested), spool.DirectoryPath);
    }
}
