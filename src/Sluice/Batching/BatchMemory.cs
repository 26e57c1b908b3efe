using Microsoft.IO;

namespace Sluice.Batching;

/// <summary>
/// The pooled memory batch bodies are written into: one <see cref="RecyclableMemoryStreamManager"/> per
/// engine. A body is a <see cref="RecyclableMemoryStream"/> over 64 KB blocks, below the 85,000-byte
/// large-object threshold, so bodies never land on the LOH; the pool keeps what the batches that can
/// be alive at once need (open, queued, in flight) and lets the GC have the rest after a burst.
/// </summary>
internal static class BatchMemory
{
    /// <summary>The size of a pooled block (a power of two).</summary>
    public const int BlockSize = 64 * 1024;

    // Temporary buffers for a single token longer than a block (a string of tens of thousands of
    // characters): 128 KB doubling. Rare, and on the LOH by nature, so few are kept.
    private const int LargeBufferMultiple = 2 * BlockSize;
    private const int LargePoolSizes = 11;
    private const int LargePoolFreeBytes = 4 * LargeBufferMultiple;

    /// <summary>
    /// A manager whose pool keeps, at most, the blocks of every batch that can be alive at once: up to
    /// 3 per sender (one in flight, two queued), those queued while a spool sync runs, and one open per partition.
    /// </summary>
    public static RecyclableMemoryStreamManager CreateManager(SluiceOptions options)
    {
        long blocksPerBatch = Math.Min(1024, (options.MaxBatchBytes / BlockSize) + 2);
        long retained = blocksPerBatch * (options.MaxConcurrentSends + options.SealedQueueCapacity + options.WireFormat.PartitionCount);
        return new RecyclableMemoryStreamManager(new RecyclableMemoryStreamManager.Options
        {
            BlockSize = BlockSize,
            MaximumSmallPoolFreeBytes = retained * BlockSize,
            UseExponentialLargeBuffer = true,
            LargeBufferMultiple = LargeBufferMultiple,
            MaximumBufferSize = LargeBufferMultiple << (LargePoolSizes - 1),
            MaximumLargePoolFreeBytes = LargePoolFreeBytes,

            // Bodies go to transports as sequences of their blocks: a copy into one array would defeat the pool.
            ThrowExceptionOnToArray = true,
        });
    }
}
