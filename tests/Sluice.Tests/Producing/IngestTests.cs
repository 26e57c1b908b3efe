using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>NDJSON ingest: lines from a pipe or a stream, each through EnqueueJson's path.</summary>
public class IngestTests
{
    private const string Track = """{"user_id":"u1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059Z","properties":{"plan":"pro"}}""";
    private const string Page = """{"session_id":"s1","timestamp":"2024-10-20T15:51:35.059Z","properties":{"page_name":"Home"}}""";

    [Fact]
    public async Task Good_lines_are_delivered_and_bad_ones_reported_with_their_number_and_reason()
    {
        string input = string.Join("\n",
            Track,
            """{"user_id":"u","event_name":"bad json",""",
            "",
            "   ",
            """{"event_name":"no user"}""",
            Page,
            """{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35"}""") + "\n";
        var (summary, errors, events) = await IngestAsync(input);

        Assert.Equal(new IngestSummary { LinesRead = 7, Blank = 2, Accepted = 2, Invalid = 3, Completed = true }, summary);
        Assert.Equal([2L, 5L, 7L], errors.Select(e => e.LineNumber));
        Assert.All(errors, e => Assert.Equal(IngestRefusal.Invalid, e.Reason));
        // The line's number is the input's; the reader's own "LineNumber: 0" would contradict it.
        Assert.StartsWith("Not valid JSON (", errors[0].Message, StringComparison.Ordinal);
        Assert.EndsWith("reached end of data, at byte 38).", errors[0].Message, StringComparison.Ordinal); // the offset, from 0, where the line ends mid-object
        Assert.DoesNotContain("LineNumber", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal("user_id is required for a track event.", errors[1].Message); // without the runtime's " (Parameter 'userId')"
        Assert.Contains("has no time zone", errors[2].Message, StringComparison.Ordinal);
        // A track and a page go to two endpoints, whose batches arrive in either order.
        Assert.Equal(["Home", "signed_up"], events.Select(e => e.TryGetProperty("event_name", out var n) ? n.GetString() : e.GetProperty("properties").GetProperty("page_name").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Crlf_line_ends_and_a_last_line_without_newline_are_read_like_the_others()
    {
        var (summary, errors, events) = await IngestAsync(Track + "\r\n\r\n" + Page + "\r\n" + Track);
        Assert.Empty(errors);
        Assert.Equal(new IngestSummary { LinesRead = 4, Blank = 1, Accepted = 3, Completed = true }, summary);
        Assert.Equal(3, events.Count);
    }

    [Fact]
    public async Task A_byte_order_mark_before_the_first_line_is_ignored()
    {
        var (summary, errors, _) = await IngestAsync("\uFEFF" + Track + "\n");
        Assert.Empty(errors);
        Assert.Equal(1, summary.Accepted);
    }

    [Fact]
    public async Task A_UTF_16_input_is_refused_with_a_message_that_says_so()
    {
        // Windows PowerShell's > writes UTF-16 with a byte-order mark: little-endian, or big-endian with other tools.
        foreach (var encoding in new[] { Encoding.Unicode, Encoding.BigEndianUnicode })
        {
            var errors = new List<IngestError>();
            await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
            var summary = await engine.IngestAsync(new MemoryStream([.. encoding.GetPreamble(), .. encoding.GetBytes(Track + "\r\n" + Track + "\r\n")]), errors.Add);

            Assert.Equal(0, summary.Accepted);
            Assert.Equal((1L, IngestRefusal.Invalid), (errors[0].LineNumber, errors[0].Reason));
            Assert.Equal("The input is UTF-16 (it starts with a UTF-16 byte-order mark); NDJSON is read as UTF-8: convert it first.", errors[0].Message);
        }
    }

    [Fact]
    public async Task A_JSON_array_of_events_is_refused_with_a_message_that_says_one_event_per_line()
    {
        // A JSON export given for NDJSON: on one line, or pretty-printed with the array's bracket on a line of its own.
        var (summary, errors, _) = await IngestAsync("[" + Track + "," + Track + "]\n[\n\"not an event\"\n");

        Assert.Equal(0, summary.Accepted);
        Assert.Equal([1L, 2L, 3L], errors.Select(e => e.LineNumber));
        const string Array = "An event must be one JSON object, not an array (NDJSON has one event object per line).";
        Assert.Equal([Array, Array, "An event must be one JSON object."], errors.Select(e => e.Message));
    }

    [Fact]
    public async Task A_multi_byte_character_split_across_segments_arrives_whole()
    {
        byte[] line = Encoding.UTF8.GetBytes("""{"user_id":"u","event_name":"café 😀","properties":{"k":"€"}}""" + "\n");
        int e = Array.IndexOf(line, (byte)0xC3); // é: C3 A9
        int emoji = Array.IndexOf(line, (byte)0xF0); // 😀: F0 9F 98 80
        int euro = Array.IndexOf(line, (byte)0xE2); // €: E2 82 AC
        var input = Segments.Of(Segments.Cut(line, e + 1, emoji + 2, emoji + 3, euro + 1));
        Assert.False(input.IsSingleSegment);

        var transport = new InMemoryTransport();
        IngestSummary summary;
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
            summary = await engine.IngestAsync(PipeReader.Create(input));

        Assert.Equal(1, summary.Accepted);
        var sent = Assert.Single(transport.Batches.SelectMany(BatchJson.Events));
        Assert.Equal("café 😀", sent.GetProperty("event_name").GetString());
        Assert.Equal("€", sent.GetProperty("properties").GetProperty("k").GetString());
    }

    [Fact]
    public async Task A_line_longer_than_the_batch_limit_is_refused_without_being_held_whole()
    {
        // The pipe stops its writer once 16 KB wait unread: had the reader kept the 1 MB line to find
        // its end, the writer would never finish. The line arrives in many small writes.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16 * 1024, resumeWriterThreshold: 8 * 1024, useSynchronizationContext: false));
        var transport = new InMemoryTransport();
        var errors = new List<IngestError>();
        await using var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 4096 }, transport);
        var ingest = engine.IngestAsync(pipe.Reader, errors.Add);

        var oversize = Encoding.UTF8.GetBytes("""{"user_id":"u","event_name":"big","properties":{"pad":""" + "\"" + new string('x', 1 << 20) + "\"}}");
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Track + "\n"));
        foreach (var piece in oversize.Chunk(1000))
            await pipe.Writer.WriteAsync(piece).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("\n" + Page + "\n"));
        await pipe.Writer.CompleteAsync();
        var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(10));
        await pipe.Reader.CompleteAsync();
        await engine.FlushAsync();

        Assert.Equal(new IngestSummary { LinesRead = 3, Accepted = 2, Oversize = 1, Completed = true }, summary);
        var error = Assert.Single(errors);
        Assert.Equal(2, error.LineNumber);
        Assert.Equal(IngestRefusal.Oversize, error.Reason);
        Assert.Contains($"{oversize.Length:N0} bytes long, over the batch limit of 4,096 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, transport.Batches.SelectMany(BatchJson.Events).Count());
    }

    [Fact]
    public async Task A_line_of_exactly_the_limit_is_not_refused_as_oversize_and_one_byte_more_is()
    {
        var errors = new List<IngestError>();
        await using var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 256 }, new InMemoryTransport());
        string Line(int length) => """{"user_id":"u","event_name":"e","pad":""" + "\"" + new string('x', length - 41) + "\"}";
        Assert.Equal(256, Line(256).Length);

        var summary = await engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(Line(256) + "\r\n" + Line(257) + "\r\n")), errors.Add);

        Assert.Equal(1, summary.Accepted); // an unknown member ("pad") is read and dropped: the event itself is small
        var error = Assert.Single(errors);
        Assert.Equal((2L, IngestRefusal.Oversize), (error.LineNumber, error.Reason));
    }

    [Fact]
    public async Task Input_arriving_in_pieces_cut_anywhere_gives_the_same_events_and_refusals_as_the_whole()
    {
        // A BOM, CRLF and LF ends, blank and whitespace-only lines, two- to four-byte characters, invalid UTF-8, a NUL,
        // a line one byte over the limit and one exactly at it, and a last line without a newline.
        static byte[] Line(string text) => Encoding.UTF8.GetBytes(text);
        string Sized(int length) => """{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35.059Z","pad":""" + "\"" + new string('x', length - 80) + "\"}";
        Assert.Equal(256, Sized(256).Length);
        byte[] input =
        [
            0xEF, 0xBB, 0xBF, .. Line(Track), .. "\r\n\r\n \t \r\n"u8,
            .. Line("""{"user_id":"é😀","event_name":"€","timestamp":"2024-10-20T15:51:35.059Z"}"""), .. "\r\n"u8,
            .. "{\"user_id\":\"u\",\"event_name\":\""u8, 0xC3, .. "\"}\n"u8,
            .. "{\"user_id\":\"u\",\"event_name\":\""u8, 0x00, .. "\"}\r\n"u8,
            .. Line(Sized(257)), .. "\r\n"u8, .. Line(Sized(256)), .. "\n"u8,
            .. Line("""{"user_id":"ü","event_name":"last","timestamp":"2024-10-20T15:51:35.059Z"}"""),
        ];
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 256 }, transport);
        var whole = await IngestPiecesAsync(engine, transport, input, [input.Length]);
        Assert.Equal(new IngestSummary { LinesRead = 9, Blank = 2, Accepted = 4, Invalid = 2, Oversize = 1, Completed = true }, whole.Summary);
        Assert.Equal([(5L, IngestRefusal.Invalid), (6L, IngestRefusal.Invalid), (7L, IngestRefusal.Oversize)], whole.Refusals.Select(r => (r.LineNumber, r.Reason)));
        Assert.Equal(4, whole.Events.Count);

        for (int cut = 1; cut < input.Length; cut++)
            Assert.Equal(whole, await IngestPiecesAsync(engine, transport, input, [cut, input.Length - cut]), Outcome.Comparer);
        var random = new Random(7);
        for (int layout = 0; layout < 20; layout++)
        {
            var sizes = new List<int>();
            for (int left = input.Length; left > 0; left -= sizes[^1])
                sizes.Add(Math.Min(left, random.Next(1, 8)));
            Assert.Equal(whole, await IngestPiecesAsync(engine, transport, input, sizes), Outcome.Comparer);
        }
    }

    [Fact]
    public async Task Skipped_lines_are_passed_over_unread_and_keep_their_numbers()
    {
        string input = string.Join("\n", "not json", Track, "also not json", Page, "{") + "\n";
        var (summary, errors, events) = await IngestAsync(input, skipLines: 3);
        Assert.Equal(new IngestSummary { LinesRead = 5, Skipped = 3, Accepted = 1, Invalid = 1, Completed = true }, summary);
        Assert.Equal(5, Assert.Single(errors).LineNumber);
        Assert.Single(events);
    }

    [Fact]
    public async Task Cancelling_stops_the_reading_and_the_summary_says_how_far_it_got()
    {
        var pipe = new Pipe();
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions(), transport);
        using var cancel = new CancellationTokenSource();
        var ingest = engine.IngestAsync(pipe.Reader, cancellationToken: cancel.Token);

        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Track + "\n" + Page + "\n" + "{\"user_id\""));
        await Eventually.True(() => engine.GetCounters().Accepted == 2, "both whole lines accepted");
        cancel.Cancel();
        var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(10));
        await engine.FlushAsync();

        Assert.Equal(new IngestSummary { LinesRead = 2, Accepted = 2, Completed = false }, summary);
        Assert.Equal(2, transport.Batches.SelectMany(BatchJson.Events).Count());
    }

    [Fact]
    public async Task A_stopped_reading_leaves_the_lines_it_did_not_read_to_the_next_reader_of_the_pipe()
    {
        // The reading is held back by the full queue (wait mode) and cancelled there, with most lines still unread.
        var transport = new GateTransport();
        await using var engine = HeldBack(transport, FullMode.Wait);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Track + "\n", 100))));
        using var cancel = new CancellationTokenSource();
        var ingest = engine.IngestAsync(pipe.Reader, cancellationToken: cancel.Token);
        await Eventually.True(() => engine.GetCounters().Accepted >= 4, "the queue filled");
        cancel.Cancel();
        var first = await ingest.WaitAsync(TimeSpan.FromSeconds(10));
        transport.Open();

        // The writer has nothing more to send: had the reading marked the unread lines examined, the pipe would
        // hand them out again only once more bytes came, and the next reading would wait for good.
        Assert.True(pipe.Reader.TryRead(out var rest), "the unread lines are there to read at once");
        Assert.Equal((100 - first.LinesRead) * (Track.Length + 1), rest.Buffer.Length);
        pipe.Reader.AdvanceTo(rest.Buffer.Start);
        await pipe.Writer.CompleteAsync();
        var second = await engine.IngestAsync(pipe.Reader).WaitAsync(TimeSpan.FromSeconds(10));
        await engine.FlushAsync();

        Assert.False(first.Completed);
        Assert.Equal(new IngestSummary { LinesRead = 100 - first.LinesRead, Accepted = 100 - first.LinesRead, Completed = true }, second);
        Assert.Equal(100, engine.GetCounters().Delivered); // every line once
    }

    [Fact]
    public async Task An_input_that_fails_is_thrown_as_is_and_the_lines_accepted_before_it_are_delivered()
    {
        var pipe = new Pipe();
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions(), transport);
        var ingest = engine.IngestAsync(pipe.Reader);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Track + "\n" + Page + "\n{\"user_id\""));
        await Eventually.True(() => engine.GetCounters().Accepted == 2, "both whole lines accepted");
        await pipe.Writer.CompleteAsync(new IOException("Input/output error"));

        // Not a summary saying the input was read to its end: the caller must learn that it was not.
        var error = await Assert.ThrowsAsync<IOException>(() => ingest.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("Input/output error", error.Message);
        await engine.FlushAsync();
        Assert.Equal(2, transport.Batches.SelectMany(BatchJson.Events).Count());
    }

    [Fact]
    public async Task In_wait_mode_a_full_queue_holds_the_reading_back_instead_of_refusing_lines()
    {
        var transport = new GateTransport();
        await using var engine = HeldBack(transport, FullMode.Wait);
        var errors = new List<IngestError>();
        var ingest = engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Track + "\n", 200)))), errors.Add);

        // The held transport stops the serializer once its sealed-batch queue is full; the ring fills behind
        // it. The pipeline holds a few events, far fewer than 200: the reading cannot finish while held.
        await Eventually.True(() => engine.GetCounters().Accepted >= 4, "the queue filled");
        Assert.False(ingest.IsCompleted);
        transport.Open();
        var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(20));
        await engine.FlushAsync();

        Assert.Empty(errors);
        Assert.Equal(new IngestSummary { LinesRead = 200, Accepted = 200, Completed = true }, summary);
        Assert.Equal(0, engine.GetCounters().RefusedQueueFull);
        Assert.Equal(200, engine.GetCounters().Delivered);
    }

    [Fact]
    public async Task In_wait_mode_a_line_whose_room_another_producer_took_waits_for_room_instead_of_being_refused()
    {
        // The reading looks for room before its lines; another producer fills the queue between that look and a line's
        // enqueue (here from the reading's own error callback, while the serializer is held): the line waits, and is
        // accepted once the serializer frees room, rather than refused as QueueFull after FullModeWaitTimeout (zero here).
        var hold = new SerializerHold();
        var options = new SluiceOptions { QueueCapacity = 4, FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.Zero, OnDiagnostic = hold.OnDiagnostic };
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(options, transport);
        hold.Arm();
        Assert.True(engine.Track(SerializerHold.HoldUserId(options), "e").IsAccepted);
        Assert.True(hold.WaitHeld(TimeSpan.FromSeconds(10)), "the serializer is held");

        int othersAccepted = 0, othersRefused = 0;
        var errors = new List<IngestError>();
        void OnError(IngestError error)
        {
            errors.Add(error);
            if (error.Reason != IngestRefusal.Invalid)
                return;
            while (engine.Track("other", "e").IsAccepted)
                othersAccepted++;
            othersRefused++;
        }

        // On a thread of its own: a memory stream is read synchronously, and the line waits on the reading's thread.
        var ingest = Task.Run(() => engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes("not json\n" + Track + "\n")), OnError));
        await Eventually.True(() => Volatile.Read(ref othersRefused) == 1, "the other producer filled the queue");
        Assert.False(ingest.IsCompleted); // the line waits for room
        hold.Release();
        var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(20));
        await engine.FlushAsync();

        Assert.Equal(new IngestSummary { LinesRead = 2, Accepted = 1, Invalid = 1, Completed = true }, summary);
        Assert.Equal(3, othersAccepted); // the held record keeps its slot until it is serialized
        Assert.Equal(1, engine.GetCounters().RefusedQueueFull); // the other producer's refusal alone
        Assert.Single(transport.Batches.SelectMany(BatchJson.Events), e => e.GetProperty("user_id").GetString() == "u1");
    }

    [Fact]
    public async Task In_drop_newest_mode_lines_that_find_the_queue_full_are_refused_with_their_number()
    {
        var transport = new GateTransport();
        await using var engine = HeldBack(transport, FullMode.DropNewest);
        var errors = new List<IngestError>();
        var summary = await engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Track + "\n", 100)))), errors.Add);
        transport.Open();
        await engine.FlushAsync();

        Assert.True(summary.QueueFull > 0, summary.ToString());
        Assert.Equal(100, summary.Accepted + summary.QueueFull);
        Assert.All(errors, e => Assert.Equal(IngestRefusal.QueueFull, e.Reason));
        Assert.Equal(summary.QueueFull, errors.Count);
        Assert.Equal(engine.GetCounters().RefusedQueueFull, summary.QueueFull);
        Assert.Equal(summary.Accepted, engine.GetCounters().Delivered);
    }

    [Fact]
    public async Task Reading_stops_at_the_first_line_refused_because_the_engine_is_shutting_down()
    {
        var pipe = new Pipe();
        var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var errors = new List<IngestError>();
        var ingest = engine.IngestAsync(pipe.Reader, errors.Add);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Track + "\n"));
        await Eventually.True(() => engine.GetCounters().Accepted == 1, "the first line accepted");
        await engine.ShutdownAsync();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Track + "\n" + Track + "\n"));

        var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new IngestSummary { LinesRead = 2, Accepted = 1, ShuttingDown = 1, Completed = false }, summary);
        Assert.Equal((2L, IngestRefusal.ShuttingDown), (errors[0].LineNumber, errors[0].Reason));
    }

    [Fact]
    public async Task The_pipe_overload_and_the_stream_overload_check_their_arguments()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        await Assert.ThrowsAsync<ArgumentNullException>(() => engine.IngestAsync((Stream)null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => engine.IngestAsync((PipeReader)null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.IngestAsync(Stream.Null, skipLines: -1));
    }

    /// <summary>
    /// An engine whose queue of 4 fills while <paramref name="transport"/> is held: one event per batch and one send at a
    /// time, so the serializer stops once its sealed-batch queue is full and the ring fills behind it.
    /// </summary>
    private static SluiceEngine HeldBack(GateTransport transport, FullMode fullMode) => new(new SluiceOptions
    {
        QueueCapacity = 4, MaxBatchEvents = 1, MaxConcurrentSends = 1, FullMode = fullMode, FullModeWaitTimeout = TimeSpan.Zero,
    }, transport);

    /// <summary>
    /// <paramref name="input"/> through the pipe overload, one read per piece of the given sizes (small pipe segments, so
    /// lines also straddle segments): the summary, the refusals and the events sent (the engine's batches after those it had).
    /// </summary>
    private static async Task<Outcome> IngestPiecesAsync(SluiceEngine engine, InMemoryTransport transport, byte[] input, IReadOnlyList<int> sizes)
    {
        int before = transport.Batches.Count;
        var errors = new List<IngestError>();
        var reader = PipeReader.Create(new PieceStream(input, sizes), new StreamPipeReaderOptions(bufferSize: 16, minimumReadSize: 1));
        var summary = await engine.IngestAsync(reader, errors.Add).WaitAsync(TimeSpan.FromSeconds(10));
        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // In order of their text: a slow reading seals more batches, which may be sent in any order.
        return new Outcome(summary, errors, [.. transport.Batches.Skip(before).SelectMany(BatchJson.Events).Select(e => e.GetRawText()).Order(StringComparer.Ordinal)]);
    }

    private sealed record Outcome(IngestSummary Summary, List<IngestError> Refusals, List<string> Events)
    {
        public static readonly IEqualityComparer<Outcome> Comparer = EqualityComparer<Outcome>.Create(
            (a, b) => a!.Summary == b!.Summary && a.Refusals.SequenceEqual(b.Refusals) && a.Events.SequenceEqual(b.Events, StringComparer.Ordinal),
            o => o.Summary.GetHashCode());

        public override string ToString() => $"{Summary}\n{string.Join("\n", Refusals)}\n{string.Join("\n", Events)}";
    }

    /// <summary>A stream whose reads return the pieces of <paramref name="data"/> one at a time, as a slow pipe does.</summary>
    private sealed class PieceStream(byte[] data, IReadOnlyList<int> sizes) : Stream
    {
        private int _position;
        private int _piece;
        private int _leftOfPiece;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_leftOfPiece == 0 && _piece < sizes.Count)
                _leftOfPiece = sizes[_piece++];
            int n = Math.Min(buffer.Length, _leftOfPiece);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            _leftOfPiece -= n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<(IngestSummary Summary, List<IngestError> Errors, List<JsonElement> Events)> IngestAsync(string input, long skipLines = 0)
    {
        var transport = new InMemoryTransport();
        var errors = new List<IngestError>();
        IngestSummary summary;
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
            summary = await engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)), errors.Add, skipLines);
        return (summary, errors, transport.Batches.SelectMany(BatchJson.Events).ToList());
    }
}
