using System.Text.Json;

namespace Sluice.Cli;

/// <summary>
/// With <c>--spool DIR</c>, the line to resume after for a send that ends without its summary (killed, out of memory, the
/// machine stopped): <c>DIR/sluice-send.resume</c> holds it and the input, rewritten as the send goes (each batch written to
/// the spool, and each progress tick) and deleted once the summary has said it. Every event of the lines up to it was settled
/// for good or is in the spool, which the next run on it sends first. The next <c>send</c> on the spool says what it held, and so
/// does <c>spool drain</c>, which deletes it once it has sent all the spool held, or found no segment there (the line is then all
/// there is to say).
/// The spool ignores the file. A failure to write it changes nothing else (the spool reports its own disk trouble).
/// <para>It holds one JSON object, <c>{"skip_lines":N,"input":"PATH"}</c>: JSON holds any path (a line break in a file name
/// would have split a line-per-field format in the wrong place).</para>
/// </summary>
internal sealed class ResumeFile(string directory, string input, Func<long> resumeAfter)
{
    public const string Name = "sluice-send.resume";

    private readonly Lock _lock = new();
    private long _written = -1;
    private bool _deleted;

    /// <summary>What an earlier send on <paramref name="spool"/> left: its line to resume after and its input; null if none.</summary>
    /// <exception cref="InvalidDataException">The file is there but cannot be read, or holds no line and input (the message names it).</exception>
    public static (long Line, string Input)? Left(string spool)
    {
        string path = Path.Combine(spool, Name);
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path} cannot be read: {ex.Message}", ex);
        }

        try
        {
            using var json = JsonDocument.Parse(content);
            if (json.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("skip_lines", out var line) && line.TryGetInt64(out long n) && n >= 0
                && root.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.String)
                return (n, input.GetString()!);
        }
        catch (JsonException)
        {
            // Said below, as any other content that is not what Update writes.
        }

        throw new InvalidDataException($"{path} is damaged (not the line to resume after and the input that sluice writes there)");
    }

    /// <summary>Writes the current line to resume after if it changed (computed under the lock: a later value is never overwritten by an earlier one).</summary>
    public void Update()
    {
        lock (_lock)
        {
            if (_deleted)
                return;
            long line = resumeAfter();
            if (line == _written || !Directory.Exists(directory))
                return;
            string path = Path.Combine(directory, Name), temporary = path + ".tmp";
            try
            {
                File.WriteAllBytes(temporary, Content(line, input));
                File.Move(temporary, path, overwrite: true);
                _written = line;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The spool's own writes report disk trouble.
            }
        }
    }

    /// <summary>
    /// <paramref name="input"/> as a message shows it: as it is, or, if it holds a line break or another control character,
    /// quoted and escaped as in JSON (the message stays one line, and the name can still be told exactly).
    /// </summary>
    public static string Shown(string input) => input.Any(char.IsControl)
        ? $"\"{JsonEncodedText.Encode(input, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\""
        : input;

    /// <summary>What <see cref="Left"/> reads back.</summary>
    internal static byte[] Content(long line, string input)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("skip_lines", line);
            json.WriteString("input", input);
            json.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>The summary said where to resume: the file would only repeat it, or, stale, mislead the next run.</summary>
    public void Delete()
    {
        lock (_lock)
        {
            Delete(directory);
            _deleted = true; // no write after the summary
        }
    }

    /// <summary>Deletes what a send left on <paramref name="spool"/>, once a summary has said it.</summary>
    public static void Delete(string spool)
    {
        try
        {
            File.Delete(Path.Combine(spool, Name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to do: the next run's message names the input and the line, which a user checks against this summary.
        }
    }
}
