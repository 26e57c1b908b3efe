using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// A model of the spool against the real one, on the real file system: random sequences of append,
/// make durable, acknowledge, crash (a power cut that loses a random part of what was not synced, a
/// file cut at a random byte, or a byte flipped) and reopen. After every reopen: every batch that was
/// durable and not acknowledged is read back, as written, unless the damage hit that very record; no
/// batch whose acknowledgement was durable comes back unless the damage hit that acknowledgement (one
/// acknowledged but not yet durable may: at-least-once); order is kept; nothing comes back that was
/// never written or that was lost before; and the counters add up: what is read back is what the
/// recovery counted, the damage counted is at least what this crash did and at most that plus what
/// earlier damage left in the files, and the live counters follow every append and acknowledgement.
/// </summary>
public sealed class SpoolModelProperties
{
    /// <summary>Set to 1 for a long run (2,000 sequences instead of 100).</summary>
    public const string LongRunVariable = "SLUICE_SPOOL_PROPERTY_LONG";

    public enum CrashKind
    {
        PowerCut,
        CutFile,
        FlipByte,
    }

    [Fact]
    public void The_spool_keeps_every_durable_batch_and_forgets_every_durable_acknowledgement_through_crashes_and_damage()
    {
        var property = Prop.ForAll(Arb.From(Scenarios), scenario => Model.Run(scenario));
        if (Environment.GetEnvironmentVariable(LongRunVariable) == "1")
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000), property);
        else
            property.QuickCheckThrowOnFailure();
    }

    private static Gen<Scenario> Scenarios =>
        from count in Gen.Choose(1, 45)
        from ops in Gen.ArrayOf(Operations, count)
        select new Scenario(ops);

    private static Gen<Op> Operations => Gen.Frequency(
        (10, from partition in Gen.Choose(0, 2)
             from events in Gen.Choose(1, 6)
             from length in Gen.Choose(1, 700)
             from seed in Gen.Choose(0, int.MaxValue)
             select (Op)new Append(partition, events, length, seed)),
        (3, Gen.Elements<Op>(new MakeDurable(false), new MakeDurable(true))),
        (5, Gen.Choose(0, 1_000).Select(pick => (Op)new Acknowledge(pick))),
        (3, from kind in Gen.Elements(CrashKind.PowerCut, CrashKind.PowerCut, CrashKind.CutFile, CrashKind.FlipByte, CrashKind.FlipByte)
            from file in Gen.Choose(0, 1_000)
            from offset in Gen.Choose(0, int.MaxValue)
            select (Op)new Crash(kind, file, offset)),
        (1, Gen.Constant<Op>(new Reopen())));

    public abstract record Op;

    public sealed record Append(int Partition, int Events, int BodyLength, int Seed) : Op;

    /// <summary>Everything: <see cref="DiskSpool.Sync"/>; otherwise <see cref="DiskSpool.SyncAppends"/>.</summary>
    public sealed record MakeDurable(bool Everything) : Op;

    public sealed record Acknowledge(int Pick) : Op;

    public sealed record Crash(CrashKind Kind, int FilePick, int OffsetPick) : Op;

    public sealed record Reopen : Op;

    public sealed record Scenario(Op[] Ops)
    {
        public override string ToString() => string.Join("; ", Ops.Select(o => o.ToString()));
    }

    private enum AckState
    {
        None,
        Written,
        Durable,
    }

    /// <summary>What the model knows of one batch.</summary>
    private sealed class Entry(SpoolBatch batch, SpoolTicket ticket, int instance)
    {
        public SpoolBatch Batch { get; } = batch;
        public SpoolTicket Ticket { get; set; } = ticket;
        public int AppendedIn { get; } = instance;
        public bool RecordDurable { get; set; }
        public bool RecordDamaged { get; set; }
        public AckState Ack { get; set; }
        public int AckedIn { get; set; }
        public bool AckDamaged { get; set; }

        /// <summary>In the spool and not acknowledged, as far as this process knows.</summary>
        public bool Live { get; set; } = true;

        /// <summary>Not acknowledged and not read back after a crash: lost for good (it must never come back).</summary>
        public bool Gone { get; set; }

        public override string ToString() => $"batch {Ticket.BatchId} (segment {Ticket.SegmentId}, offset {Ticket.Offset}, {Ticket.Length} bytes)";
    }

    private sealed class Model : IDisposable
    {
        private readonly SpoolHarness _harness = new();
        private readonly FailingFileIO _io = new() { SkipDeviceSync = true }; // the crashes below are simulated: no need to wait for the disk
        private readonly Dictionary<(long Segment, long Id), Entry> _entries = [];
        private readonly Dictionary<string, long> _durable = [];     // file name → bytes known to be on the device
        private readonly HashSet<long> _acknowledgedSegments = [];
        private readonly Dictionary<(string File, long Offset), byte> _flipped = []; // every flip so far, to never undo one  // segments whose acknowledgement files this process wrote
        private readonly int _headerLength = SegmentHeader.FixedLength + System.Text.Encoding.UTF8.GetByteCount(SpoolHarness.Format);
        private DiskSpool? _spool;
        private int _instance;
        private long _instanceFirstSegment;
        private int _corruptLeft;   // corrupt regions the last open found: they stay in their files
        private long _highestOnDisk = -1; // the highest id read back by the last open or appended since

        public static bool Run(Scenario scenario)
        {
            using var model = new Model();
            model.Open(atLeast: 0, atMost: 0, clean: true);
            foreach (var op in scenario.Ops)
                model.Apply(op);
            return true;
        }

        public void Dispose()
        {
            _spool?.Dispose();
            _harness.Dispose();
        }

        private DiskSpool Spool => _spool!;

        private void Apply(Op op)
        {
            switch (op)
            {
                case Append append:
                    var batch = SpoolBatch.Random(new Random(append.Seed), append.Partition, append.Events, append.BodyLength);
                    Assert.Equal(SpoolAppendStatus.Appended, Spool.TryAppend(batch.Partition, batch.Sequence(chunk: 97), batch.Ends, out var ticket));
                    // Ids increase past every batch known to be on disk; one lost in a crash may be handed out again.
                    Assert.True(ticket.BatchId > _highestOnDisk, $"id {ticket.BatchId} after {_highestOnDisk}");
                    _highestOnDisk = ticket.BatchId;
                    _entries.Add((ticket.SegmentId, ticket.BatchId), new Entry(batch, ticket, _instance));
                    break;
                case MakeDurable durable:
                    Assert.True(durable.Everything ? Spool.Sync() : Spool.SyncAppends());
                    Synced(durable.Everything);
                    break;
                case Acknowledge acknowledge:
                    var live = _entries.Values.Where(e => e.Live).OrderBy(e => e.Ticket.BatchId).ToArray();
                    if (live.Length == 0)
                        break;
                    var entry = live[acknowledge.Pick % live.Length];
                    Spool.Acknowledge(entry.Ticket);
                    entry.Live = false;
                    entry.Ack = AckState.Written;
                    entry.AckedIn = _instance;
                    _acknowledgedSegments.Add(entry.Ticket.SegmentId);
                    break;
                case Crash crash:
                    Spool.Abandon();
                    _spool = null;
                    var (atLeast, atMost) = Damage(crash);
                    Open(atLeast, atMost, clean: false);
                    break;
                case Reopen:
                    Spool.Dispose();
                    _spool = null;
                    Synced(everything: true);
                    Open(atLeast: 0, atMost: 0, clean: true);
                    break;
            }

            var counters = Spool.Counters;
            var expected = _entries.Values.Where(e => e.Live).ToArray();
            Assert.Equal(expected.Length, counters.LiveBatches);
            Assert.Equal(expected.Sum(e => (long)e.Batch.Ends.Length), counters.LiveEvents);
            Assert.Equal(expected.Sum(e => (long)e.Ticket.Length), counters.LiveBytes);
        }

        // What a sync of this process guarantees: every segment it made is on the device, and so are the
        // acknowledgement files it wrote to (everything) with the acknowledgements in them.
        private void Synced(bool everything)
        {
            foreach (string path in _harness.Files(".segment"))
            {
                if (IdOf(path) >= _instanceFirstSegment)
                    _durable[Path.GetFileName(path)] = new FileInfo(path).Length;
            }

            foreach (var entry in _entries.Values.Where(e => e.AppendedIn == _instance))
                entry.RecordDurable = true;
            if (!everything)
                return;

            foreach (long segment in _acknowledgedSegments)
            {
                string path = SpoolDirectory.AcknowledgementsPath(_harness.Directory, segment);
                if (File.Exists(path))
                    _durable[Path.GetFileName(path)] = new FileInfo(path).Length;
            }

            foreach (var entry in _entries.Values.Where(e => e.Ack == AckState.Written && e.AckedIn == _instance))
                entry.Ack = AckState.Durable;
        }

        // Applies the crash to the files; returns the least and the most new damage the next open must count.
        private (int AtLeast, int AtMost) Damage(Crash crash)
        {
            string[] files = [.. _harness.Files(".segment"), .. _harness.Files(".acks")];
            if (crash.Kind == CrashKind.PowerCut)
            {
                // Every file keeps what was synced, and a random part of the rest.
                var random = new Random(crash.OffsetPick);
                int atLeast = 0, atMost = 0;
                foreach (string path in files)
                {
                    long length = new FileInfo(path).Length;
                    long kept = _durable.GetValueOrDefault(Path.GetFileName(path));
                    if (length <= kept)
                        continue;
                    long cut = kept + random.NextInt64(length - kept + 1);
                    if (cut == length)
                        continue;
                    atMost++;
                    if (CutsIntactRecord(path, cut))
                        atLeast++;
                    Truncate(path, cut);
                }

                return (atLeast, atMost);
            }

            if (files.Length == 0)
                return (0, 0);
            string file = files[crash.FilePick % files.Length];
            long size = new FileInfo(file).Length;
            if (size == 0)
                return (0, 0);
            long at = crash.OffsetPick % size;
            if (crash.Kind == CrashKind.CutFile)
            {
                int least = CutsIntactRecord(file, at) ? 1 : 0;
                MarkHit(file, at, size);
                Truncate(file, at);
                return (least, 1);
            }

            bool intact = RecordAt(file, at) is { RecordDamaged: false, Gone: false };
            MarkHit(file, at, at + 1);

            // Never flip a byte back to what it was: that would repair the damage an earlier flip did.
            var key = (Path.GetFileName(file), at);
            byte flipped = _flipped.GetValueOrDefault(key);
            byte mask = (byte)(1 << (crash.OffsetPick % 8));
            if ((flipped ^ mask) == 0)
                mask = (byte)(mask == 0x80 ? 1 : mask << 1);
            _flipped[key] = (byte)(flipped ^ mask);
            var bytes = File.ReadAllBytes(file);
            bytes[at] ^= mask;
            File.WriteAllBytes(file, bytes);
            return (intact ? 1 : 0, 1);
        }

        // Marks the records or acknowledgements in bytes [from, to) of the file as hit by damage.
        private void MarkHit(string path, long from, long to)
        {
            if (path.EndsWith(SpoolDirectory.SegmentExtension, StringComparison.Ordinal))
            {
                long segment = IdOf(path);
                foreach (var entry in _entries.Values.Where(e => e.Ticket.SegmentId == segment
                    && e.Ticket.Offset < to && e.Ticket.Offset + e.Ticket.Length > from))
                    entry.RecordDamaged = true;
                return;
            }

            // Acknowledgements are 24-byte records from offset 0 (a torn one is truncated at its start).
            long segmentOfAcks = IdOf(path);
            var bytes = File.ReadAllBytes(path);
            for (long frame = from / RecordLayout.AcknowledgementLength * RecordLayout.AcknowledgementLength; frame < Math.Min(to, bytes.Length); frame += RecordLayout.AcknowledgementLength)
            {
                if (frame + RecordLayout.AcknowledgementLength > bytes.Length)
                    break;
                long id = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)frame + 16));
                if (_entries.TryGetValue((segmentOfAcks, id), out var entry))
                    entry.AckDamaged = true;
            }
        }

        private Entry? RecordAt(string path, long at)
        {
            if (!path.EndsWith(SpoolDirectory.SegmentExtension, StringComparison.Ordinal))
                return null;
            long segment = IdOf(path);
            return _entries.Values.FirstOrDefault(e => e.Ticket.SegmentId == segment && e.Ticket.Offset <= at && at < e.Ticket.Offset + e.Ticket.Length);
        }

        // Whether cutting the file at `at` leaves part of a record that was intact (or part of the header).
        private bool CutsIntactRecord(string path, long at) =>
            (path.EndsWith(SpoolDirectory.SegmentExtension, StringComparison.Ordinal) && at > 0 && at < _headerLength && IdOf(path) >= _instanceFirstSegment)
            || RecordAt(path, at) is { RecordDamaged: false, Gone: false } entry && entry.Ticket.Offset < at;

        private static void Truncate(string path, long length)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.SetLength(length);
        }

        private static long IdOf(string path) => long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);

        private void Open(int atLeast, int atMost, bool clean)
        {
            _instance++;
            _spool = _harness.OpenAsync(o => o.SegmentBytes = SpoolOptions.MinSegmentBytes, _io).GetAwaiter().GetResult();
            _acknowledgedSegments.Clear();

            // What is on the device cannot be longer than the file; the open synced the segment it made.
            foreach (string name in _durable.Keys.ToArray())
            {
                string path = Path.Combine(_harness.Directory, name);
                if (File.Exists(path))
                    _durable[name] = Math.Min(_durable[name], new FileInfo(path).Length);
                else
                    _durable.Remove(name);
            }

            string newest = _harness.Files(".segment")[^1];
            _instanceFirstSegment = IdOf(newest);
            _durable[Path.GetFileName(newest)] = new FileInfo(newest).Length;

            var replayed = SpoolHarness.ReplayAllAsync(Spool).GetAwaiter().GetResult();
            for (int i = 1; i < replayed.Count; i++)
                Assert.True(replayed[i].Ticket.BatchId > replayed[i - 1].Ticket.BatchId, "read back out of order");
            foreach (var back in replayed)
            {
                Assert.True(_entries.TryGetValue((back.Ticket.SegmentId, back.Ticket.BatchId), out var entry), $"batch {back.Ticket.BatchId} was never written");
                Assert.False(entry.Gone, $"{entry} was lost at an earlier open and came back");
                Assert.True(back.SameAs(entry.Batch), $"{entry} came back different");
                Assert.Equal(entry.Ticket, back.Ticket);
            }

            _highestOnDisk = replayed.Select(r => r.Ticket.BatchId).DefaultIfEmpty(-1).Max();
            var present = replayed.Select(r => (r.Ticket.SegmentId, r.Ticket.BatchId)).ToHashSet();
            foreach (var entry in _entries.Values.Where(e => !e.Gone))
            {
                bool back = present.Contains((entry.Ticket.SegmentId, entry.Ticket.BatchId));
                bool required = entry.RecordDurable && !entry.RecordDamaged && entry.Ack == AckState.None;
                bool allowed = entry.Ack != AckState.Durable || entry.AckDamaged;
                Assert.True(back || !required, $"{entry} was durable, not acknowledged and not damaged, and did not come back");
                Assert.True(allowed || !back, $"{entry} came back although its acknowledgement was durable");
                if (back)
                {
                    entry.Live = true;
                    entry.Ack = AckState.None;
                    entry.AckDamaged = false;
                }
                else
                {
                    entry.Live = false;
                    entry.Gone = entry.Ack == AckState.None;
                }
            }

            var recovery = Spool.Recovery;
            Assert.Equal(replayed.Count, recovery.Batches);
            Assert.Equal(replayed.Sum(r => (long)r.Batch.Ends.Length), recovery.Events);
            Assert.Equal(replayed.Sum(r => (long)r.Ticket.Length), recovery.Bytes);
            Assert.Equal(0, recovery.EvictedBatches);
            int damage = recovery.CorruptRecords + recovery.TornTails;
            Assert.True(damage >= atLeast, $"{damage} damaged regions counted, this crash made at least {atLeast}");
            Assert.True(damage <= _corruptLeft + atMost, $"{damage} damaged regions counted, at most {_corruptLeft} left and {atMost} new");
            if (clean)
                Assert.Equal(0, recovery.TornTails);
            _corruptLeft = recovery.CorruptRecords;
        }
    }
}
