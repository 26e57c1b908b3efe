using System.Buffers;
using System.Text.Json;
using Sluice.Serialization;

namespace Sluice.Benchmarks;

/// <summary>
/// The physical limit of the engine's job on this machine: one thread writing the same events
/// with one reused <see cref="Utf8JsonWriter"/> (the engine's writer options) into one reused
/// buffer, as batch-sized JSON arrays. No queue, no snapshot, no batching rules, no delivery.
/// </summary>
internal sealed class Ceiling : IDisposable
{
    private const int MaxBatchEvents = 1_000;
    private const int MaxBatchBytes = 2 * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(MaxBatchBytes + (64 * 1024));
    private readonly Utf8JsonWriter _writer;
    private readonly EventShape _shape;
    private readonly long _baseTicks = DateTime.UtcNow.Ticks;

    public Ceiling(EventShape shape)
    {
        _shape = shape;
        _writer = new Utf8JsonWriter(_buffer, EventWriter.WriterOptions);
    }

    /// <summary>Bytes of JSON written so far (to check the work is real).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes events <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public void Write(long start, long count)
    {
        var w = _writer;
        int inBatch = 0;
        for (long i = start; i < start + count; i++)
        {
            if (inBatch == 0)
                w.WriteStartArray();
            if (_shape == EventShape.Standard)
                StandardEvent.WriteJson(w, i, _baseTicks + i);
            else
                LargeEvent.WriteJson(w, i, _baseTicks + i);
            if (++inBatch == MaxBatchEvents || w.BytesCommitted + w.BytesPending >= MaxBatchBytes - (16 * 1024))
            {
                EndBatch();
                inBatch = 0;
            }
        }

        if (inBatch > 0)
            EndBatch();
    }

    public void Dispose() => _writer.Dispose();

    private void EndBatch()
    {
        _writer.WriteEndArray();
        _writer.Flush();
        BytesWritten += _buffer.WrittenCount;
        _buffer.ResetWrittenCount();
        _writer.Reset();
    }
}
