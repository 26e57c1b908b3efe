using Microsoft.Win32.SafeHandles;
using Sluice.Delivery;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// docs/durability.md: "Each sealed batch is appended to the spool and made durable (per the sync policy; the
/// default flushes to the device before the batch is handed to a sender) before it is sent." A process kill
/// cannot show this (the page cache survives it; a power cut does not), so the file operations are recorded
/// in order with the sends, and each first send must come after a sync of the segment its batch was written to.
/// </summary>
public sealed class DurableBeforeSentTests : IDisposable
{
    private readonly TempDirectory _directory = new("sluice-durable-before-sent");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Under_the_default_policy_every_batch_is_synced_to_the_device_before_its_first_send()
    {
        var log = await RunAsync(SpoolSync.PerBatch);

        Assert.Equal(8, log.Sends.Count);
        foreach (var (batch, at) in log.Sends)
        {
            int appended = log.Appends[(int)batch];
            Assert.True(log.SegmentSyncs.Any(s => s > appended && s < at), $"batch {batch} was sent (step {at}) with no sync of its segment since it was written (step {appended})");
        }
    }

    [Fact]
    public async Task Without_syncing_a_batch_goes_out_as_soon_as_it_is_written()
    {
        // The control: the check above can fail. SpoolSync.None leaves syncing to the operating system.
        var log = await RunAsync(SpoolSync.None);

        Assert.Equal(8, log.Sends.Count);
        int lastSend = log.Sends.Max(x => x.At);
        Assert.DoesNotContain(log.SegmentSyncs, s => s < lastSend);
    }

    private async Task<FileLog> RunAsync(SpoolSync sync)
    {
        var log = new FileLog();
        var transport = new ScriptedTransport(a =>
        {
            log.Send(a.Batch.Sequence);
            return SendResult.Delivered;
        });
        await using (var engine = new SluiceEngine(new SluiceOptions
        {
            WireFormat = new SegmentFormat(),
            MaxBatchEvents = 10,
            FlushInterval = TimeSpan.FromDays(1),
            TimeProvider = new ManualTimeProvider(), // the interval sync of acknowledgements never runs
            Spool = new SpoolOptions { DirectoryPath = _directory.Path, Sync = sync },
            SpoolFileIO = log,
        }, transport))
        {
            for (int i = 0; i < 80; i++)
                Assert.True(engine.Track("user-1", $"event-{i}").IsAccepted);
            await engine.FlushAsync();
        }

        return log;
    }

    /// <summary>The real file system, with every batch append, segment sync and send numbered in the order they happen.</summary>
    private sealed class FileLog : ISpoolFileIO
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<SafeFileHandle, string> _paths = [];
        private int _step;

        /// <summary>The step of each batch record's write, in append order (batch i of the engine is the i-th).</summary>
        public List<int> Appends { get; } = [];

        public List<int> SegmentSyncs { get; } = [];

        /// <summary>First sends only: the batch's sequence and the step.</summary>
        public List<(long Batch, int At)> Sends { get; } = [];

        public void Send(long batch)
        {
            lock (_lock)
            {
                if (!Sends.Exists(s => s.Batch == batch))
                    Sends.Add((batch, ++_step));
            }
        }

        public SafeFileHandle OpenWrite(string path, bool createNew)
        {
            var handle = SpoolFileIO.Instance.OpenWrite(path, createNew);
            lock (_lock)
                _paths[handle] = path;
            return handle;
        }

        public void Write(SafeFileHandle file, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
        {
            SpoolFileIO.Instance.Write(file, buffers, offset);
            lock (_lock)
                Appends.Add(++_step);
        }

        public void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset) => SpoolFileIO.Instance.Write(file, bytes, offset);

        public void FlushToDisk(SafeFileHandle file)
        {
            SpoolFileIO.Instance.FlushToDisk(file);
            lock (_lock)
            {
                if (_paths.TryGetValue(file, out var path) && path.EndsWith(SpoolDirectory.SegmentExtension, StringComparison.Ordinal))
                    SegmentSyncs.Add(++_step);
            }
        }

        public void SetLength(SafeFileHandle file, long length) => SpoolFileIO.Instance.SetLength(file, length);

        public void Delete(string path) => SpoolFileIO.Instance.Delete(path);
    }
}
