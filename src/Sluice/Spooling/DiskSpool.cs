using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Spooling;

/// <summary>
/// A crash-safe write-ahead log of sealed batches in one directory (format and semantics:
/// docs/durability.md). A batch is appended (<see cref="TryAppend"/>) before it is sent, synced as
/// the <see cref="SpoolSync"/> policy says, and acknowledged (<see cref="Acknowledge"/>) once its
/// events reach a final state; what is not acknowledged is read back after a restart
/// (<see cref="OpenReplay"/>). Disk trouble never throws into the caller: it is returned as a status,
/// counted and reported through the diagnostic callback, and the engine sends from memory meanwhile.
/// <para>Thread-safe. Appends, acknowledgements and the bookkeeping share one lock; syncs wait for the
/// device outside it, so acknowledgements are not held up by an fsync.</para>
/// </summary>
internal sealed partial class DiskSpool : IDisposable
{
    /// <summary>How long the spool stops writing after a failed write or sync before it tries again.</summary>
    public static readonly TimeSpan RetryWritesAfter = TimeSpan.FromSeconds(30);

    private readonly SpoolOptions _options;
    private readonly string _directory;
    private readonly string _formatIdentity;
    private readonly uint _formatTag;
    private readonly int _headerLength;
    private readonly TimeProvider _time;
    private readonly Action<SpoolDiagnostic>? _onDiagnostic;
    private readonly ISpoolFileIO _io;
    private readonly FileStream _lockFile;

    // Guards every field below (and every mutable field of the segments).
    private readonly Lock _gate = new();
    private readonly List<SpoolSegment> _segments = [];           // oldest first; the active one last
    private readonly List<SpoolSegment> _dirtyAcknowledgements = [];
    private readonly List<SpoolDiagnostic> _pendingDiagnostics = []; // reported after the lock is released
    private SpoolSegment[] _recovered = [];                        // segments found on open with live batches: what the replay reads
    private SpoolSegment? _active;                                 // null only while a failure keeps the spool from making one
    private SpoolRecovery _recovery;
    private long _nextId;
    private long _diskBytes;
    private bool _activeDirty;                                     // the active segment was written since its last sync
    private bool _activeSpoiled;                                   // a failed write may have left bytes at its end: start a new one
    private bool _suspended;
    private DateTimeOffset _retryAt;
    private bool _acknowledgementsFailing;                         // reported; not again until one is written
    private bool _disposed;
    private long _appended;
    private long _acknowledged;
    private long _evictedBatches;
    private long _evictedEvents;
    private long _writeFailures;
    private long _acknowledgementFailures;

    // Used only by TryAppend, under _gate: a record's header and event ends, the gather list, the CRC.
    private byte[] _scratch = new byte[RecordLayout.BatchHeaderLength + (4 * 1024)];
    private readonly List<ReadOnlyMemory<byte>> _gather = [];
    private readonly Crc32 _crc = new();

    // One sync at a time, so a sync that finds nothing left to flush knows an earlier one covered it.
    // Taken before _gate, never inside it. _syncHandles is used only under it.
    private readonly Lock _syncGate = new();
    private readonly List<SafeFileHandle> _syncHandles = [];

    // Under _gate: the batches appended since the last sync that covered them (none under SpoolSync.None), and those the sync
    // running now covers. A failed sync gives them up (GiveUpUnsynced): a few dozen bytes a batch, for one SyncInterval at most.
    private List<SpoolTicket> _unsynced = [];
    private List<SpoolTicket> _syncing = [];

    // Written under _gate, read without it to skip taking the lock when nothing is pending.
    private int _pendingCount;

    // The highest batch id a completed sync (or a rotation's) covers: written under _syncGate, read without a lock
    // by senders to skip a sync that an earlier one made unnecessary.
    private long _durableThrough = -1;

    private ITimer? _syncTimer;

    private DiskSpool(SpoolOptions options, string directory, string formatIdentity, TimeProvider time,
        Action<SpoolDiagnostic>? onDiagnostic, ISpoolFileIO io, FileStream lockFile)
    {
        _options = options;
        _directory = directory;
        _formatIdentity = formatIdentity;
        _formatTag = RecordLayout.FormatTag(formatIdentity);
        _headerLength = SegmentHeader.FixedLength + Encoding.UTF8.GetByteCount(formatIdentity);
        _time = time;
        _onDiagnostic = onDiagnostic;
        _io = io;
        _lockFile = lockFile;
    }

    /// <summary>The spool's directory (full path).</summary>
    public string DirectoryPath => _directory;

    /// <summary>What was found on disk when the spool opened.</summary>
    public SpoolRecovery Recovery
    {
        get
        {
            lock (_gate)
                return _recovery;
        }
    }

    /// <summary>A snapshot of what is spooled and what happened since the spool opened.</summary>
    public SpoolCounters Counters
    {
        get
        {
            lock (_gate)
            {
                long batches = 0, events = 0, bytes = 0;
                foreach (var segment in _segments)
                {
                    batches += segment.Live.Count;
                    events += segment.LiveEvents;
                    bytes += segment.LiveBytes;
                }

                return new SpoolCounters(batches, events, bytes, _diskBytes, _segments.Count, _appended, _acknowledged,
                    _evictedBatches, _evictedEvents, _writeFailures, _acknowledgementFailures, _suspended);
            }
        }
    }

    /// <summary>
    /// Opens the spool in <see cref="SpoolOptions.DirectoryPath"/> (creating it if needed): takes the
    /// directory's lock, reads every segment back (torn tails truncated, corrupt records skipped, each
    /// reported), evicts down to the byte cap and starts a new segment.
    /// </summary>
    /// <param name="options">The spool's settings.</param>
    /// <param name="formatIdentity">
    /// What identifies the wire format the bodies are written in (<see cref="SpoolFormatIdentity.Of"/>):
    /// a spool written for another format is refused.
    /// </param>
    /// <param name="timeProvider">The clock for the records' timestamps, the sync interval and the retry after a failure.</param>
    /// <param name="onDiagnostic">Receives what the spool finds and does; called outside the spool's lock.</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    /// <exception cref="ArgumentException">Invalid options (every problem listed) or format identity.</exception>
    /// <exception cref="IOException">Another engine uses the directory, or the directory cannot be used.</exception>
    /// <exception cref="InvalidOperationException">The directory holds a spool written for another wire format.</exception>
    public static ValueTask<DiskSpool> OpenAsync(SpoolOptions options, string formatIdentity, TimeProvider timeProvider,
        Action<SpoolDiagnostic>? onDiagnostic, CancellationToken cancellationToken = default)
        => OpenAsync(options, formatIdentity, timeProvider, onDiagnostic, SpoolFileIO.Instance, cancellationToken);

    /// <summary><see cref="OpenAsync(SpoolOptions, string, TimeProvider, Action{SpoolDiagnostic}?, CancellationToken)"/> with the file operations given.</summary>
    internal static async ValueTask<DiskSpool> OpenAsync(SpoolOptions options, string formatIdentity, TimeProvider timeProvider,
        Action<SpoolDiagnostic>? onDiagnostic, ISpoolFileIO io, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validated = options.Validated();
        ArgumentException.ThrowIfNullOrWhiteSpace(formatIdentity);
        if (Encoding.UTF8.GetByteCount(formatIdentity) > SegmentHeader.MaxIdentityBytes)
            throw new ArgumentException($"A format identity is at most {SegmentHeader.MaxIdentityBytes} UTF-8 bytes.", nameof(formatIdentity));
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(io);

        string directory = Path.GetFullPath(validated.DirectoryPath);
        if (File.Exists(directory))
            throw new IOException(SpoolDirectory.Missing(directory));
        Directory.CreateDirectory(directory);
        var lockFile = SpoolDirectory.Lock(directory);
        var spool = new DiskSpool(validated, directory, formatIdentity, timeProvider, onDiagnostic, io, lockFile);
        try
        {
            await spool.RecoverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            spool.Abandon();
            throw;
        }

        spool.EmitDiagnostics();
        return spool;
    }

    /// <summary>
    /// Writes a sealed batch as one record, in one gather write straight from its pooled memory. Under
    /// <see cref="SpoolSync.PerBatch"/> it is durable after the next <see cref="SyncAppends"/>. At the
    /// byte cap the oldest segments are evicted first. Never throws for disk trouble: anything but
    /// <see cref="SpoolAppendStatus.Appended"/> means the batch is not spooled and goes from memory.
    /// </summary>
    /// <param name="partition">The wire format's partition (0–65,535).</param>
    /// <param name="body">The body, as sealed.</param>
    /// <param name="eventEnds">Each event's end offset in the body, increasing (1–100,000 events).</param>
    /// <param name="ticket">Where the batch is: acknowledge it with this.</param>
    /// <param name="evict">
    /// False: at the byte cap nothing is evicted and the batch is not written (<see cref="SpoolAppendStatus.NoRoom"/>),
    /// decided under the same lock as the write, so an acknowledgement written meanwhile cannot make the append evict after all.
    /// </param>
    /// <exception cref="ArgumentException">A batch the engine could not have sealed (the parameter named).</exception>
    public SpoolAppendStatus TryAppend(int partition, in ReadOnlySequence<byte> body, ReadOnlySpan<int> eventEnds, out SpoolTicket ticket, bool evict = true)
    {
        CheckBatch(partition, body, eventEnds);
        ticket = default;
        int events = eventEnds.Length;
        int bodyLength = (int)body.Length;
        long recordLength = RecordLayout.BatchRecordLength(events, bodyLength);
        try
        {
            lock (_gate)
            {
                if (_disposed)
                    return SpoolAppendStatus.Closed;
                if (_suspended && _time.GetUtcNow() < _retryAt)
                    return SpoolAppendStatus.Suspended;
                if (recordLength + _headerLength > _options.MaxBytes)
                    return SpoolAppendStatus.TooLarge;
                if (!evict && !FitsWithoutEvicting(recordLength))
                    return SpoolAppendStatus.NoRoom;

                long offset;
                try
                {
                    if (_active is null || _activeSpoiled || (_active.Records > 0 && _active.Length + recordLength > _options.SegmentBytes))
                        Rotate();
                    MakeRoom(recordLength);
                    offset = _active!.Length;
                    WriteRecord(_active, partition, body, eventEnds, bodyLength, offset);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return Fail(e, "writing a batch");
                }

                long id = _nextId++;
                _active.Live.Add(id);
                _active.Records++;
                _active.Length += recordLength;
                _active.LiveEvents += events;
                _active.LiveBytes += recordLength;
                _diskBytes += recordLength;
                _activeDirty = true;
                _appended++;
                if (_suspended)
                    Resume();
                ticket = new SpoolTicket(id, _active.FirstId, offset, (int)recordLength, events);
                if (_options.Sync != SpoolSync.None)
                    _unsynced.Add(ticket);
                return SpoolAppendStatus.Appended;
            }
        }
        finally
        {
            EmitDiagnostics();
        }
    }

    /// <summary>
    /// Records that the batch's events reached a final state: it will not be read back. The
    /// acknowledgement is written at once (it survives the process being killed) and synced with the
    /// next <see cref="Sync"/>; a segment whose last live batch is acknowledged is deleted instead.
    /// A batch already acknowledged, or evicted, is ignored. Never throws for disk trouble.
    /// </summary>
    public void Acknowledge(in SpoolTicket ticket)
    {
        try
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                var segment = Find(ticket.SegmentId);
                if (segment is null)
                    return;
                if (segment.Live.Remove(ticket.BatchId))
                {
                    segment.LiveEvents -= ticket.EventCount;
                    segment.LiveBytes -= ticket.Length;
                    _acknowledged++;
                }
                else if (segment.GivenUp?.Remove(ticket.BatchId) != true)
                {
                    return; // acknowledged already, or evicted
                }

                // A batch given up after a failed sync is acknowledged too (settled from memory: a restart must not send it
                // again), and keeps its segment until then, as the engine may read it back.
                if (segment.Done && segment != _active)
                {
                    // Deleting the segment is its last acknowledgement.
                    RemoveSegment(segment, ticket);
                    return;
                }

                WriteAcknowledgement(segment, ticket);
            }
        }
        finally
        {
            EmitDiagnostics();
        }
    }

    /// <summary>Whether the batch is still on disk and not acknowledged (false once evicted).</summary>
    public bool Contains(in SpoolTicket ticket)
    {
        lock (_gate)
            return Find(ticket.SegmentId) is { } segment && segment.Live.Contains(ticket.BatchId);
    }

    // Under _gate. A new segment's header is counted: the record may need one.
    private bool FitsWithoutEvicting(long recordLength) => _diskBytes + _headerLength + recordLength <= _options.MaxBytes;

    /// <summary>
    /// Reads back the body of a batch this spool holds (appended, not acknowledged nor evicted; or given up after a failed sync), as it was appended, into
    /// <paramref name="destination"/>: for a batch the engine kept on disk only while its senders had no room. False if the
    /// spool no longer holds it or it cannot be read (reported); <paramref name="destination"/> may then hold part of it.
    /// With <paramref name="eventEnds"/> (null, or at least <see cref="SpoolTicket.EventCount"/> long), the batch's event end offsets too.
    /// </summary>
    public async ValueTask<bool> TryReadBodyAsync(SpoolTicket ticket, IBufferWriter<byte> destination, int[]? eventEnds = null, CancellationToken cancellationToken = default)
    {
        SpoolSegment? segment;
        lock (_gate)
        {
            segment = _disposed ? null : Find(ticket.SegmentId);
            // A batch a failed sync gave up is read too: the engine may hold it nowhere else (waiting on disk only), and its
            // record is checked as it is read.
            if (segment is null || segment.Removed || !(segment.Live.Contains(ticket.BatchId) || segment.GivenUp?.Contains(ticket.BatchId) == true))
                return false;
        }

        try
        {
            var reader = FrameReader.OpenAt(segment.SegmentPath, ticket.Offset);
            await using (reader.ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) == FrameKind.Batch && reader.Batch.BatchId == ticket.BatchId)
                {
                    if (eventEnds is not null)
                        reader.CopyEventEndsTo(eventEnds);
                    reader.CopyBodyTo(destination);
                    return true;
                }
            }

            ReportReadFailure(segment, new IOException($"The record of batch {ticket.BatchId} at offset {ticket.Offset} is damaged."));
            return false;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            Vanished(segment, e); // unless this spool evicted or deleted it meanwhile
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Access denied too (the directory's permissions changed): never thrown into the engine, whose batch would
            // then be settled by no one.
            ReportReadFailure(segment, e);
            return false;
        }
    }

    /// <summary>
    /// Makes every batch appended so far durable (one fsync for all of them): what the engine calls
    /// before it hands the batches to senders under <see cref="SpoolSync.PerBatch"/>. Acknowledgements
    /// wait for <see cref="Sync"/>. False if the sync failed (reported; writing is suspended, and the batches
    /// written since the last sync are given up: <see cref="Contains"/> is false for them).
    /// Does nothing under <see cref="SpoolSync.None"/>.
    /// </summary>
    public bool SyncAppends() => SyncCore(acknowledgements: false);

    /// <summary>
    /// Makes the batch <paramref name="batchId"/> durable, with every batch appended before it: at once if a sync
    /// already covered it, else with one sync for everything appended so far (which the senders of the batches
    /// appended meanwhile then share). What a sender calls before a batch's first send under <see cref="SpoolSync.PerBatch"/>.
    /// False if the sync failed (as <see cref="SyncAppends"/>). True says only that nothing is left to sync for it: whether the
    /// spool still holds it (a failed sync gave it up) is <see cref="Contains"/>.
    /// </summary>
    public bool SyncAppendsThrough(long batchId)
    {
        if (_options.Sync == SpoolSync.None || Volatile.Read(ref _durableThrough) >= batchId)
            return true;
        return SyncCore(acknowledgements: false, through: batchId);
    }

    /// <summary>
    /// Makes everything written so far durable, batches and acknowledgements: for a flush and at
    /// shutdown, and every <see cref="SpoolOptions.SyncInterval"/>. False if a sync failed.
    /// Syncs nothing under <see cref="SpoolSync.None"/>. Under every policy, a segment with batches not yet acknowledged whose
    /// file was deleted by something else is found here (so within a <see cref="SpoolOptions.SyncInterval"/>): its batches are
    /// counted lost (<see cref="Vanished"/>).
    /// </summary>
    public bool Sync()
    {
        bool synced = SyncCore(acknowledgements: true);
        FindVanished();
        return synced;
    }

    /// <summary>The batches spooled before this spool opened and not acknowledged, oldest first.</summary>
    public SpoolReplay OpenReplay()
    {
        lock (_gate)
            return new SpoolReplay(this, _recovered);
    }

    /// <summary>Syncs (unless the policy is <see cref="SpoolSync.None"/>), closes the files and releases the directory.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
        }

        _syncTimer?.Dispose();
        Sync();
        Close();
        EmitDiagnostics();
    }

    /// <summary>Closes every file and releases the directory without syncing or writing anything more, as a killed process would.</summary>
    internal void Abandon()
    {
        _syncTimer?.Dispose();
        Close();
    }

    // Outside _gate: one stat per segment that holds live batches (a few dozen at most under the default cap), once every
    // SyncInterval, whatever the policy. Writes to a deleted file still succeed, and a file truncated under the spool (an
    // operator emptying it for room, a log rotation's copytruncate) takes the next write past its end, so nothing else would
    // tell. A file that cannot be looked at (access denied) may still be there: only one known to be missing or short counts.
    private void FindVanished()
    {
        (SpoolSegment Segment, long Length)[] live;
        lock (_gate)
        {
            if (_disposed)
                return;
            live = [.. _segments.Where(static s => s.Live.Count > 0).Select(static s => (s, s.Length))];
        }

        foreach (var (segment, written) in live)
        {
            try
            {
                // Written before Length grows, under the lock: the file is never shorter than what the spool has written to it.
                long length = new FileInfo(segment.SegmentPath).Length;
                if (length < written)
                {
                    Vanished(segment, new IOException(string.Create(CultureInfo.InvariantCulture, $"{length:N0} of its {written:N0} bytes are left")),
                        "truncated");
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                Vanished(segment, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Cannot tell: it may be there.
            }
        }
    }

    /// <summary>Whether the replay should hand out <paramref name="batchId"/> of <paramref name="segment"/>.</summary>
    internal bool IsLive(SpoolSegment segment, long batchId)
    {
        lock (_gate)
            return !_disposed && !segment.Removed && segment.Live.Contains(batchId);
    }

    /// <summary>Whether the replay should read <paramref name="segment"/> at all.</summary>
    internal bool IsReadable(SpoolSegment segment)
    {
        lock (_gate)
            return !_disposed && !segment.Removed && segment.Live.Count > 0;
    }

    /// <summary>Reports a segment the replay could not read.</summary>
    internal void ReportReadFailure(SpoolSegment segment, Exception exception)
    {
        lock (_gate)
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.FileFailed,
                $"Reading the spool segment '{segment.SegmentPath}' back failed ({exception.Message}); its batches not yet read stay on disk for the next start.",
                Exception: exception));
        EmitDiagnostics();
    }

    private void Close()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var segment in _segments)
                segment.CloseFiles();
        }

        _lockFile.Dispose();
    }

    private static void CheckBatch(int partition, in ReadOnlySequence<byte> body, ReadOnlySpan<int> eventEnds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partition, ushort.MaxValue);
        if (eventEnds.IsEmpty || eventEnds.Length > RecordLayout.MaxEvents)
            throw new ArgumentException($"A batch holds 1 to {RecordLayout.MaxEvents:N0} events (was {eventEnds.Length:N0}).", nameof(eventEnds));
        if (body.IsEmpty || body.Length > RecordLayout.MaxBodyBytes)
            throw new ArgumentException($"A batch body holds 1 to {RecordLayout.MaxBodyBytes:N0} bytes (was {body.Length:N0}).", nameof(body));
        int previous = 0;
        foreach (int end in eventEnds)
        {
            if (end <= previous || end > body.Length)
                throw new ArgumentException($"Event end offsets must increase and stay within the body's {body.Length:N0} bytes (found {end} after {previous}).", nameof(eventEnds));
            previous = end;
        }
    }

    // Under _gate.
    private void WriteRecord(SpoolSegment segment, int partition, in ReadOnlySequence<byte> body, ReadOnlySpan<int> eventEnds, int bodyLength, long offset)
    {
        int headLength = RecordLayout.BatchHeaderLength + (4 * eventEnds.Length);
        if (_scratch.Length < headLength)
            _scratch = new byte[Math.Max(headLength, _scratch.Length * 2)];
        var ends = _scratch.AsSpan(RecordLayout.BatchHeaderLength, headLength - RecordLayout.BatchHeaderLength);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(eventEnds).CopyTo(ends);
        }
        else
        {
            for (int i = 0; i < eventEnds.Length; i++)
                BinaryPrimitives.WriteInt32LittleEndian(ends[(4 * i)..], eventEnds[i]);
        }

        // The CRC and the write both go over the body's own segments: no copy of it is made.
        _crc.Reset();
        _crc.Append(ends);
        foreach (var memory in body)
            _crc.Append(memory.Span);
        new BatchRecordHeader(partition, eventEnds.Length, bodyLength, _crc.GetCurrentHashAsUInt32(), _nextId,
            _time.GetUtcNow().ToUnixTimeMilliseconds(), _formatTag).Write(_scratch);

        _gather.Add(_scratch.AsMemory(0, headLength));
        foreach (var memory in body)
        {
            if (!memory.IsEmpty)
                _gather.Add(memory);
        }

        try
        {
            _io.Write(segment.Writer!, _gather, offset);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leave no part of the record behind; if even that fails, the next record goes to a new segment.
            try
            {
                _io.SetLength(segment.Writer!, offset);
            }
            catch (Exception inner) when (inner is IOException or UnauthorizedAccessException)
            {
                _activeSpoiled = true;
            }

            throw;
        }
        finally
        {
            _gather.Clear(); // keep no reference to the caller's buffers
        }
    }

    // Under _gate.
    private void WriteAcknowledgement(SpoolSegment segment, in SpoolTicket ticket)
    {
        Span<byte> record = stackalloc byte[RecordLayout.AcknowledgementLength];
        RecordLayout.WriteAcknowledgement(record, ticket.BatchId, ticket.EventCount);
        try
        {
            segment.AcknowledgementsWriter ??= _io.OpenWrite(segment.AcknowledgementsPath, createNew: false);
            _io.Write(segment.AcknowledgementsWriter, record, segment.AcknowledgementsLength);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _acknowledgementFailures++;
            if (!_acknowledgementsFailing)
            {
                _acknowledgementsFailing = true;
                Report(new SpoolDiagnostic(SpoolDiagnosticKind.AcknowledgementFailed,
                    $"An acknowledgement could not be written to '{segment.AcknowledgementsPath}' ({e.Message}): the batch will be sent again after a restart. Further failures are counted, not reported, until one succeeds.",
                    Batches: 1, Events: ticket.EventCount, Exception: e));
            }

            return;
        }

        _acknowledgementsFailing = false;
        segment.AcknowledgementsLength += RecordLayout.AcknowledgementLength;
        _diskBytes += RecordLayout.AcknowledgementLength;
        if (!segment.AcknowledgementsDirty)
        {
            segment.AcknowledgementsDirty = true;
            _dirtyAcknowledgements.Add(segment);
        }
    }

    // Under _gate.
    private SpoolAppendStatus Fail(Exception e, string what)
    {
        bool full = IOErrors.IsDiskFull(e);
        _writeFailures++;
        _retryAt = _time.GetUtcNow() + RetryWritesAfter;

        // Once per suspension: a disk that stays full fails every retry, and an operator's log would fill with the same warning.
        // The failures are counted (WriteFailures) and the state is readable meanwhile (Counters.Suspended, the health check).
        if (!_suspended)
        {
            _suspended = true;
            string cause = full ? "the disk is full" : e.Message;
            Report(new SpoolDiagnostic(SpoolDiagnosticKind.WritesSuspended,
                $"The spool in '{_directory}' failed {what} ({cause}): batches are sent from memory only, not spooled, until a write succeeds; "
                + string.Create(CultureInfo.InvariantCulture, $"a write is tried again every {RetryWritesAfter.TotalSeconds:N0} s. This is reported once, and so is the first write that succeeds."),
                Exception: e));
        }

        return full ? SpoolAppendStatus.DiskFull : SpoolAppendStatus.WriteFailed;
    }

    // Under _gate.
    private void Resume()
    {
        _suspended = false;
        Report(new SpoolDiagnostic(SpoolDiagnosticKind.WritesResumed, $"The spool in '{_directory}' is written again: batches are spooled before they are sent."));
    }

    // Under _gate.
    private SpoolSegment? Find(long segmentId)
    {
        int low = 0, high = _segments.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            long id = _segments[middle].FirstId;
            if (id == segmentId)
                return _segments[middle];
            if (id < segmentId)
                low = middle + 1;
            else
                high = middle - 1;
        }

        return null;
    }

    // Under _gate.
    private void Report(SpoolDiagnostic diagnostic)
    {
        _pendingDiagnostics.Add(diagnostic);
        Volatile.Write(ref _pendingCount, _pendingDiagnostics.Count);
    }

    // Outside _gate: the callback is the engine's, and may be slow.
    private void EmitDiagnostics()
    {
        if (Volatile.Read(ref _pendingCount) == 0 || _onDiagnostic is null)
            return;
        SpoolDiagnostic[] pending;
        lock (_gate)
        {
            pending = [.. _pendingDiagnostics];
            _pendingDiagnostics.Clear();
            Volatile.Write(ref _pendingCount, 0);
        }

        foreach (var diagnostic in pending)
        {
            try
            {
                _onDiagnostic(diagnostic);
            }
            catch (Exception ex)
            {
                // The diagnostics callback is the last place errors go; report its own failure to tracing.
                Trace.TraceError($"Sluice: the spool's diagnostic callback threw: {ex}");
            }
        }
    }
}
