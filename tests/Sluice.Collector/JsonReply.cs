using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Collector;

/// <summary>Writes a small JSON reply with an exact Content-Length.</summary>
internal static class JsonReply
{
    // Messages quote field values: keep them readable (\" rather than \u0022).
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync<TState>(HttpResponse response, int status, TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            write(writer, state);
            writer.WriteEndObject();
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory);
    }

    /// <summary><c>{"message":"..."}</c>, plus <c>"success":false</c> where the API speaks of success.</summary>
    public static Task WriteMessageAsync(HttpResponse response, int status, string message, bool withSuccess) =>
        WriteAsync(response, status, (message, withSuccess), static (w, s) =>
        {
            if (s.withSuccess)
                w.WriteBoolean("success", false);
            w.WriteString("message", s.message);
        });
}
