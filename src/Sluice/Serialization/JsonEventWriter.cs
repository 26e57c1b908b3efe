using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Sluice.Batching;

namespace Sluice.Serialization;

/// <summary>
/// Writes events as compact JSON straight into the open batch's body: what a <see cref="WireFormat"/>
/// writes with. Its output is byte for byte what <see cref="Utf8JsonWriter"/> writes with the
/// engine's options (relaxed escaping, no validation; see <c>BatchAssembler.WriterOptions</c>), at a
/// fraction of the cost: separators are one flag, printable ASCII strings (ids, names, most values)
/// are checked and narrowed in one vectorized pass (<see cref="VerbatimAscii"/>), and numbers are
/// formatted in place (<see cref="DecimalDigits"/>, <see cref="ShortDecimal"/>). Any other string
/// is escaped by a private <see cref="Utf8JsonWriter"/>, so escaping has one implementation.
/// The structure is not validated: a format must write well-formed JSON (the tests check each one).
/// </summary>
public sealed class JsonEventWriter
{
    // UTF-8 values written verbatim inside quotes (the set VerbatimAscii checks strings against).
    private static readonly SearchValues<byte> VerbatimBytes = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    // The literals' bytes as little-endian words: written with one store instead of a copy.
    private const uint True = 't' | ('r' << 8) | ('u' << 16) | ('e' << 24);
    private const uint Fals = 'f' | ('a' << 8) | ('l' << 16) | ('s' << 24);
    private const uint Null = 'n' | ('u' << 8) | ('l' << 16) | ('l' << 24);

    private readonly BatchBuffer _body;

    // The body block being written: bytes [_committed, _pos) are written but not yet committed to _body.
    private byte[] _block = [];
    private int _pos;
    private int _committed;

    // A value ended at the current level: the next member or element needs a comma first.
    private bool _separate;

    // Escapes the rare strings that are not printable ASCII (one escaping implementation: the runtime's).
    private ArrayBufferWriter<byte>? _escaped;
    private Utf8JsonWriter? _escaper;

    // The second of the last timestamp and its "yyyy-MM-ddTHH:mm:ss." text (20 bytes, kept as three
    // words so copying it is three stores): a second's events share it.
    private long _second = -1;
    private ulong _secondText0;
    private ulong _secondText8;
    private uint _secondText16;

    internal JsonEventWriter(BatchBuffer body) => _body = body;

    /// <summary>The body's length including what is written but not yet committed.</summary>
    internal long Position => _body.Length + (_pos - _committed);

    /// <summary>Before the next event: a comma if one came before, and no separator owed inside it.</summary>
    internal void BeginEvent(bool afterAnother)
    {
        if (afterAnother)
        {
            Reserve(1)[0] = (byte)',';
            _pos++;
        }

        _separate = false;
    }

    /// <summary>Commits what is written and lets go of the block: call before the body is changed or handed over.</summary>
    internal void Release()
    {
        if (_pos > _committed)
            _body.Advance(_pos - _committed);
        _block = [];
        _pos = _committed = 0;
        _separate = false;
    }

    /// <summary>Drops what is written and not committed (the body is being abandoned).</summary>
    internal void Discard()
    {
        _block = [];
        _pos = _committed = 0;
        _separate = false;
    }

    /// <summary>Writes <c>{</c>.</summary>
    public void WriteStartObject() => WriteStart((byte)'{');

    /// <summary>Writes <c>"name":{</c>.</summary>
    public void WriteStartObject(JsonEncodedText propertyName)
    {
        WritePropertyName(propertyName);
        WriteStart((byte)'{');
    }

    /// <summary>Writes <c>}</c>.</summary>
    public void WriteEndObject() => WriteEnd((byte)'}');

    /// <summary>Writes <c>[</c>.</summary>
    public void WriteStartArray() => WriteStart((byte)'[');

    /// <summary>Writes <c>]</c>.</summary>
    public void WriteEndArray() => WriteEnd((byte)']');

    /// <summary>Writes <c>"name":</c> from a pre-encoded name (the fast way: encode names once, in a static field).</summary>
    public void WritePropertyName(JsonEncodedText propertyName)
    {
        var name = propertyName.EncodedUtf8Bytes;
        var d = Reserve(name.Length + 4);
        int i = 0;
        if (_separate)
            d[i++] = (byte)',';
        d[i++] = (byte)'"';
        name.CopyTo(d[i..]);
        i += name.Length;
        d[i++] = (byte)'"';
        d[i++] = (byte)':';
        _pos += i;
        _separate = false;
    }

    /// <summary>Writes <c>"name":</c>, escaping the name as needed.</summary>
    public void WritePropertyName(string propertyName)
    {
        ArgumentNullException.ThrowIfNull(propertyName);
        WriteQuoted(propertyName);
        Reserve(1)[0] = (byte)':';
        _pos++;
        _separate = false;
    }

    /// <summary>Writes <c>"name":"value"</c>, or <c>"name":null</c> for a null value.</summary>
    public void WriteString(JsonEncodedText propertyName, string? value)
    {
        if (value is not null)
        {
            // The common case in one piece: "name":"ascii value".
            var name = propertyName.EncodedUtf8Bytes;
            var d = Reserve(name.Length + value.Length + 6);
            int i = Comma(d);
            d[i++] = (byte)'"';
            name.CopyTo(d[i..]);
            i += name.Length;
            d[i++] = (byte)'"';
            d[i++] = (byte)':';
            d[i++] = (byte)'"';
            if (TryCloseVerbatim(d, i, value))
            {
                _separate = true;
                return;
            }
        }

        WritePropertyName(propertyName);
        WriteStringValue(value);
    }

    /// <summary>Writes a member name given as <c>,"name":</c> (encoded, with the comma it may need): one copy.</summary>
    internal void WriteMemberName(byte[] commaNameColon)
    {
        var member = commaNameColon.AsSpan(_separate ? 0 : 1);
        member.CopyTo(Reserve(member.Length));
        _pos += member.Length;
        _separate = false;
    }

    /// <summary>Writes <c>"name":"value"</c> with the name as for <see cref="WriteMemberName"/>: the serializer's most common property.</summary>
    internal void WriteMemberString(byte[] commaNameColon, string value)
    {
        var member = commaNameColon.AsSpan(_separate ? 0 : 1);
        var d = Reserve(member.Length + value.Length + 2);
        member.CopyTo(d);
        int i = member.Length;
        d[i++] = (byte)'"';
        if (TryCloseVerbatim(d, i, value))
        {
            _separate = true;
            return;
        }

        WriteMemberName(commaNameColon);
        WriteStringValue(value);
    }

    /// <summary>Writes <c>"name":"value"</c> from a pre-encoded value.</summary>
    public void WriteString(JsonEncodedText propertyName, JsonEncodedText value)
    {
        WritePropertyName(propertyName);
        var text = value.EncodedUtf8Bytes;
        var d = Reserve(text.Length + 2);
        d[0] = (byte)'"';
        text.CopyTo(d[1..]);
        d[text.Length + 1] = (byte)'"';
        _pos += text.Length + 2;
        _separate = true;
    }

    /// <summary>Writes <c>"name":"value"</c> from UTF-8 text, escaping it as needed.</summary>
    public void WriteString(JsonEncodedText propertyName, ReadOnlySpan<byte> utf8Value)
    {
        WritePropertyName(propertyName);
        WriteStringValue(utf8Value);
    }

    /// <summary>Writes a string value, or <c>null</c>.</summary>
    public void WriteStringValue(string? value)
    {
        if (value is null)
        {
            WriteNullValue();
            return;
        }

        WriteQuoted(value);
        _separate = true;
    }

    /// <summary>Writes a string value given as UTF-8, escaping it as needed.</summary>
    public void WriteStringValue(ReadOnlySpan<byte> utf8Value)
    {
        if (utf8Value.ContainsAnyExcept(VerbatimBytes))
        {
            WriteEscaped(utf8Value);
        }
        else
        {
            var d = Reserve(utf8Value.Length + 3);
            int i = Comma(d);
            d[i++] = (byte)'"';
            utf8Value.CopyTo(d[i..]);
            i += utf8Value.Length;
            d[i++] = (byte)'"';
            _pos += i;
        }

        _separate = true;
    }

    /// <summary>Writes an integer.</summary>
    public void WriteNumberValue(long value)
    {
        var d = Reserve(21);
        int i = Comma(d);
        _pos += i + DecimalDigits.Write(value, d[i..]);
        _separate = true;
    }

    /// <summary>Writes an unsigned integer.</summary>
    public void WriteNumberValue(ulong value)
    {
        var d = Reserve(21);
        int i = Comma(d);
        _pos += i + DecimalDigits.Write(value, d[i..]);
        _separate = true;
    }

    /// <summary>Writes a finite number, shortest round-trip form (as <see cref="Utf8JsonWriter"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN or an infinity: JSON has no such numbers.</exception>
    public void WriteNumberValue(double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "JSON numbers are finite.");
        var d = Reserve(33);
        int i = Comma(d);
        int n = ShortDecimal.TryFormat(value, d[i..]);
        if (n == 0)
            value.TryFormat(d[i..], out n, default, CultureInfo.InvariantCulture);
        _pos += i + n;
        _separate = true;
    }

    /// <summary>Writes <c>true</c> or <c>false</c>.</summary>
    public void WriteBooleanValue(bool value)
    {
        var d = Reserve(6);
        int i = Comma(d);
        if (value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d[i..], True);
            i += 4;
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d[i..], Fals);
            d[i + 4] = (byte)'e';
            i += 5;
        }

        _pos += i;
        _separate = true;
    }

    /// <summary>Writes <c>null</c>.</summary>
    public void WriteNullValue()
    {
        var d = Reserve(5);
        int i = Comma(d);
        BinaryPrimitives.WriteUInt32LittleEndian(d[i..], Null);
        _pos += i + 4;
        _separate = true;
    }

    /// <summary>Writes JSON the engine has already validated (pre-serialized properties), as it is.</summary>
    internal void WriteRawValue(ReadOnlySpan<byte> json)
    {
        var d = Reserve(json.Length + 1);
        int i = Comma(d);
        json.CopyTo(d[i..]);
        _pos += i + json.Length;
        _separate = true;
    }

    /// <summary>Writes <c>"name":"2024-10-20T15:51:35.059000Z"</c> (see <see cref="Timestamps"/>).</summary>
    internal void WriteTimestamp(JsonEncodedText propertyName, long utcTicks)
    {
        WritePropertyName(propertyName);
        WriteTimestampValue(utcTicks);
    }

    /// <summary>Writes the timestamp as a string value; all but the microseconds are formatted once a second.</summary>
    internal void WriteTimestampValue(long utcTicks)
    {
        var d = Reserve(Timestamps.Length + 3);
        int i = Comma(d);
        d[i++] = (byte)'"';
        var text = d.Slice(i, Timestamps.Length);
        long second = utcTicks / TimeSpan.TicksPerSecond;
        if (second != _second)
        {
            Timestamps.Format(utcTicks, text);
            _secondText0 = BinaryPrimitives.ReadUInt64LittleEndian(text);
            _secondText8 = BinaryPrimitives.ReadUInt64LittleEndian(text[8..]);
            _secondText16 = BinaryPrimitives.ReadUInt32LittleEndian(text[16..]);
            _second = second;
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(text, _secondText0);
            BinaryPrimitives.WriteUInt64LittleEndian(text[8..], _secondText8);
            BinaryPrimitives.WriteUInt32LittleEndian(text[16..], _secondText16);
            Timestamps.FormatMicroseconds(utcTicks, text);
        }

        i += Timestamps.Length;
        d[i++] = (byte)'"';
        _pos += i;
        _separate = true;
    }

    private void WriteStart(byte bracket)
    {
        var d = Reserve(2);
        int i = Comma(d);
        d[i++] = bracket;
        _pos += i;
        _separate = false;
    }

    private void WriteEnd(byte bracket)
    {
        Reserve(1)[0] = bracket;
        _pos++;
        _separate = true;
    }

    /// <summary>Writes the separator owed, if any, at the start of <paramref name="d"/>; returns its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Comma(Span<byte> d)
    {
        if (!_separate)
            return 0;
        d[0] = (byte)',';
        return 1;
    }

    /// <summary>A separator if owed, then <c>"text"</c>; leaves <see cref="_separate"/> to the caller.</summary>
    private void WriteQuoted(string text)
    {
        var d = Reserve(text.Length + 3);
        int i = Comma(d);
        d[i++] = (byte)'"';
        if (!TryCloseVerbatim(d, i, text))
            WriteEscaped(text);
    }

    /// <summary>
    /// After an opening quote at <c>d[i - 1]</c>: writes <paramref name="text"/> and the closing quote and
    /// commits everything up to them, if the text needs no escaping; otherwise commits nothing.
    /// </summary>
    private bool TryCloseVerbatim(Span<byte> d, int i, string text)
    {
        if (!VerbatimAscii.TryNarrow(text, d[i..]))
            return false;
        i += text.Length;
        d[i++] = (byte)'"';
        _pos += i;
        return true;
    }

    private void WriteEscaped(string text)
    {
        var escaper = Escaper();
        escaper.WriteStringValue(text);
        CopyEscaped(escaper);
    }

    private void WriteEscaped(ReadOnlySpan<byte> utf8)
    {
        var escaper = Escaper();
        escaper.WriteStringValue(utf8);
        CopyEscaped(escaper);
    }

    private Utf8JsonWriter Escaper()
    {
        _escaped ??= new ArrayBufferWriter<byte>(256);
        return _escaper ??= new Utf8JsonWriter(_escaped, BatchAssembler.WriterOptions);
    }

    private void CopyEscaped(Utf8JsonWriter escaper)
    {
        escaper.Flush();
        var text = _escaped!.WrittenSpan;
        var d = Reserve(text.Length + 1);
        int i = Comma(d);
        text.CopyTo(d[i..]);
        _pos += i + text.Length;
        escaper.Reset();
        if (_escaped.Capacity > 64 * 1024)
        {
            // A huge string was escaped: don't keep its buffer for the engine's life.
            _escaped = null;
            _escaper = null;
        }
        else
        {
            _escaped.ResetWrittenCount();
        }
    }

    /// <summary>At least <paramref name="count"/> contiguous bytes at <see cref="_pos"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_block.Length - _pos < count)
            NextBlock(count);
        return _block.AsSpan(_pos);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextBlock(int count)
    {
        if (_pos > _committed)
            _body.Advance(_pos - _committed);
        _block = _body.GetBlock(count, out _pos);
        _committed = _pos;
    }
}
