using System.Buffers;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports;

/// <summary>The file transport against a real directory: one complete file per batch, named so it sorts by sequence.</summary>
public class FileTransportTests
{
    private const string TrackEvent = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059000Z"}""";

    [Fact]
    public async Task A_batch_becomes_one_file_named_by_its_sequence_and_endpoint_holding_the_exact_body()
    {
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent, TrackEvent], ThriveStackFormat.PagePartition, sequence: 42);

        var result = await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        string path = Path.Combine(dir.Path, "00000042-api-page.json");
        Assert.Equal(path, transport.PathFor(batch));
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // the temporary file was renamed, not left beside it
        Assert.Equal(batch.Body.ToArray(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_body_of_many_pooled_blocks_is_written_whole_and_in_order()
    {
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var events = Enumerable.Range(0, 2_000).Select(i => TrackEvent.Replace("u1", $"user-{i:D5}", StringComparison.Ordinal)).ToArray();
        var batch = TestBatches.Seal(TestBatches.Memory(), events, sequence: 3);
        Assert.False(batch.Body.IsSingleSegment, "the test needs a body over several blocks");

        await transport.SendAsync(batch, CancellationToken.None);

        Assert.Equal(batch.Body.ToArray(), await File.ReadAllBytesAsync(transport.PathFor(batch)));
    }

    [Fact]
    public async Task A_write_that_fails_after_the_temporary_file_was_made_leaves_no_temporary_file_behind()
    {
        // The rename fails (a directory stands at the batch's name), as a full disk fails the write once the file is made: the
        // send faults, and the directory holds no partial ".tmp" file, whose batch the engine sends again anyway.
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: 5);
        Directory.CreateDirectory(transport.PathFor(batch));

        await Assert.ThrowsAnyAsync<IOException>(() => transport.SendAsync(batch, CancellationToken.None).AsTask());

        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_batch_is_written_under_a_temporary_name_first_and_a_failed_write_faults_the_send()
    {
        // "A file appears complete or not at all": the body goes to <name>.tmp, renamed when whole.
        // A directory standing at that temporary name makes the write fail, as a full disk would:
        // the failure comes back through the returned task, and no file appears under the batch's name.
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: 9);
        Directory.CreateDirectory(transport.PathFor(batch) + ".tmp");

        var send = transport.SendAsync(batch, CancellationToken.None); // does not throw at the call

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => send.AsTask());
        Assert.True(failure is IOException or UnauthorizedAccessException, failure.ToString()); // a directory cannot be opened for writing
        Assert.False(File.Exists(transport.PathFor(batch)));
    }

    [Fact]
    public async Task A_batch_sent_again_replaces_its_file()
    {
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var first = TestBatches.Seal(TestBatches.Memory(), [TrackEvent, TrackEvent, TrackEvent], sequence: 5);
        var again = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: 5);

        await transport.SendAsync(first, CancellationToken.None);
        var result = await transport.SendAsync(again, CancellationToken.None);

        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal(again.Body.ToArray(), await File.ReadAllBytesAsync(Assert.Single(Directory.GetFiles(dir.Path))));
    }

    [Fact]
    public async Task A_cancelled_send_leaves_no_file_under_the_batchs_name()
    {
        using var dir = new TempDirectory();
        var transport = new FileTransport(dir.Path);
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await transport.SendAsync(batch, new CancellationToken(canceled: true)));

        Assert.False(File.Exists(transport.PathFor(batch)));
    }

    [Fact]
    public async Task A_second_transport_on_the_directory_numbers_its_files_after_the_first_ones_and_overwrites_none()
    {
        // A restarted application (or a second `sluice send -o DIR`) has an engine numbering its batches from 0 again.
        using var dir = new TempDirectory();
        var firstRun = new FileTransport(dir.Path);
        var earlier = Enumerable.Range(0, 3).Select(i => TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: i)).ToArray();
        foreach (var batch in earlier)
            await firstRun.SendAsync(batch, CancellationToken.None);
        File.WriteAllText(Path.Combine(dir.Path, "notes.json"), "{}"); // not a batch file: no number

        var secondRun = new FileTransport(dir.Path);
        var later = TestBatches.Seal(TestBatches.Memory(), [TrackEvent, TrackEvent], sequence: 0);
        await secondRun.SendAsync(later, CancellationToken.None);

        Assert.Equal(Path.Combine(dir.Path, "00000003-api-track.json"), secondRun.PathFor(later));
        var files = Directory.GetFiles(dir.Path, "0*.json").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(4, files.Length);
        for (int i = 0; i < 3; i++)
            Assert.Equal(earlier[i].Body.ToArray(), await File.ReadAllBytesAsync(files[i])); // the first run's files, untouched
        Assert.Equal(later.Body.ToArray(), await File.ReadAllBytesAsync(files[3]));
    }

    [Fact]
    public void The_directory_is_created_with_its_parents_and_named_in_full()
    {
        using var dir = new TempDirectory();
        string nested = Path.Combine(dir.Path, "a", "b");

        var transport = new FileTransport(Path.Combine(dir.Path, "a", ".", "b"));

        Assert.True(Directory.Exists(nested));
        var batch = TestBatches.Seal(TestBatches.Memory(), [TrackEvent], sequence: 123_456_789);
        Assert.Equal(Path.Combine(nested, "123456789-api-track.json"), transport.PathFor(batch));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void A_blank_directory_is_refused_at_once(string directory) =>
        Assert.Equal("directory", Assert.ThrowsAny<ArgumentException>(() => new FileTransport(directory)).ParamName);

    [Fact]
    public void A_missing_batch_is_refused_at_once()
    {
        using var dir = new TempDirectory();
        Assert.Equal("batch", Assert.Throws<ArgumentNullException>(() => new FileTransport(dir.Path).PathFor(null!)).ParamName);
    }
}
