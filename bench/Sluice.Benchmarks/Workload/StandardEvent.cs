using System.Text;
using System.Text.Json;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice.Benchmarks;

/// <summary>
/// The "standard event" of docs/performance.md: a ThriveStack track with 5 properties (2 strings, an int, a
/// bool, a double) and a 1-key context, about 290 bytes of JSON. Event <c>i</c> is the same in
/// every form (callback, dictionary, JSON bytes, hand-written JSON), so every benchmark measures
/// the same work. The tests compile this file too (they check the engine writes what the ceiling writes).
/// </summary>
internal static class StandardEvent
{
    public const string Name = "feature_used";
    public const string GroupId = "55444abe-41fd-5943-d95b-4c87ad95b674";

    /// <summary>Distinct users (and precomputed variants); a power of two.</summary>
    public const int Variants = 1024;

    private static readonly string[] Plans = ["free", "pro", "team", "enterprise"];
    private static readonly string[] Users = CreateUsers();

    public static string UserId(long i) => Users[i & (Variants - 1)];

    public static string Plan(long i) => Plans[i & 3];

    public static long Seats(long i) => 5 + (i % 50);

    public static bool Trial(long i) => (i & 1) == 0;

    public static double DurationMs(long i) => 1000.5 + (i % 1000);

    /// <summary>The allocation-free way: pass this with a static lambda and <c>i</c> as the state.</summary>
    public static void WriteProperties(ref PropertiesWriter w, long i)
    {
        w.WriteString("feature", "export_csv");
        w.WriteString("plan", Plan(i));
        w.WriteNumber("seats", Seats(i));
        w.WriteBoolean("trial", Trial(i));
        w.WriteNumber("duration_ms", DurationMs(i));
    }

    public static void WriteContext(ref PropertiesWriter w, long i) => w.WriteString("group_id", GroupId);

    /// <summary>Tracks event <paramref name="i"/> through the allocation-free API.</summary>
    public static EnqueueResult Track(SluiceEngine engine, long i)
        => engine.Track(UserId(i), Name, i,
            static (ref PropertiesWriter w, long s) => WriteProperties(ref w, s),
            static (ref PropertiesWriter w, long s) => WriteContext(ref w, s));

    /// <summary>The convenient way's input for event <paramref name="i"/>.</summary>
    public static Dictionary<string, object?> PropertiesDictionary(long i) => new()
    {
        ["feature"] = "export_csv",
        ["plan"] = Plan(i),
        ["seats"] = Seats(i),
        ["trial"] = Trial(i),
        ["duration_ms"] = DurationMs(i),
    };

    public static Dictionary<string, object?> ContextDictionary() => new() { ["group_id"] = GroupId };

    /// <summary>The pre-serialized way's input for event <paramref name="i"/>.</summary>
    public static byte[] PropertiesJson(long i) => ObjectJson(PropertiesDictionary(i));

    public static byte[] ContextJson() => ObjectJson(ContextDictionary());

    /// <summary>
    /// The ceiling's inner step: event <paramref name="i"/> written the fastest way Utf8JsonWriter
    /// allows for a schema known in advance: every name pre-encoded, the values as given, the
    /// engine's timestamp format. Nothing else around it.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter w, long i, long timestampTicks)
    {
        Span<byte> timestamp = stackalloc byte[Timestamps.Length];
        w.WriteStartObject();
        w.WriteString(Fields.UserId, UserId(i));
        w.WriteString(Fields.EventName, Name);
        Timestamps.Format(timestampTicks, timestamp);
        w.WriteString(Fields.Timestamp, timestamp);
        w.WriteStartObject(Fields.Properties);
        w.WriteString(Fields.Feature, "export_csv");
        w.WriteString(Fields.Plan, Plan(i));
        w.WriteNumber(Fields.Seats, Seats(i));
        w.WriteBoolean(Fields.Trial, Trial(i));
        w.WriteNumber(Fields.DurationMs, DurationMs(i));
        w.WriteEndObject();
        w.WriteStartObject(Fields.Context);
        w.WriteString(Fields.GroupId, GroupId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    internal static byte[] ObjectJson(Dictionary<string, object?> map)
    {
        var sb = new StringBuilder("{");
        foreach (var (key, value) in map)
        {
            if (sb.Length > 1)
                sb.Append(',');
            sb.Append('"').Append(key).Append("\":").Append(value switch
            {
                string s => $"\"{s}\"",
                bool b => b ? "true" : "false",
                double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => "null",
            });
        }

        return Encoding.UTF8.GetBytes(sb.Append('}').ToString());
    }

    /// <summary>Every name, pre-encoded (what a serializer written for this one event would do).</summary>
    internal static class Fields
    {
        public static readonly JsonEncodedText Feature = JsonEncodedText.Encode("feature");
        public static readonly JsonEncodedText Plan = JsonEncodedText.Encode("plan");
        public static readonly JsonEncodedText Seats = JsonEncodedText.Encode("seats");
        public static readonly JsonEncodedText Trial = JsonEncodedText.Encode("trial");
        public static readonly JsonEncodedText DurationMs = JsonEncodedText.Encode("duration_ms");
        public static readonly JsonEncodedText GroupId = JsonEncodedText.Encode("group_id");
        public static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
        public static readonly JsonEncodedText EventName = JsonEncodedText.Encode("event_name");
        public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
        public static readonly JsonEncodedText Properties = JsonEncodedText.Encode("properties");
        public static readonly JsonEncodedText Context = JsonEncodedText.Encode("context");
    }

    private static string[] CreateUsers()
    {
        var random = new Random(42);
        var users = new string[Variants];
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < users.Length; i++)
        {
            random.NextBytes(bytes);
            users[i] = new Guid(bytes).ToString("D");
        }

        return users;
    }
}
