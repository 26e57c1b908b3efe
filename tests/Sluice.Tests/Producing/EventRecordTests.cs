using System.Reflection;
using Sluice.Buffering;
using Sluice.Producing;

namespace Sluice.Tests.Producing;

/// <summary>
/// The ring copies the engine's record field by field (<see cref="EventRecord.CopyTo"/>), not by
/// struct assignment: a field added to the record but not to the copy would be lost on every event.
/// </summary>
public class EventRecordTests
{
    private static readonly FieldInfo[] Fields = typeof(EventRecord).GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    [Fact]
    public void CopyTo_copies_every_field()
    {
        object boxed = Distinct();
        var source = (EventRecord)boxed;
        EventRecord copy = default;
        source.CopyTo(ref copy);

        Assert.NotEmpty(Fields);
        foreach (var field in Fields)
            Assert.True(Equals(field.GetValue(source), field.GetValue(copy)), $"EventRecord.CopyTo does not copy {field.Name}.");
    }

    [Fact]
    public void The_ring_hands_over_every_field_of_a_record()
    {
        var ring = new RingChannel<EventRecord>(2, evictingWriters: false);
        var record = (EventRecord)Distinct();

        Assert.Equal(RingStatus.Ok, ring.TryEnqueue(record));
        Assert.True(ring.TryDequeue(out var read));
        foreach (var field in Fields)
            Assert.True(Equals(field.GetValue(record), field.GetValue(read)), $"The ring lost {field.Name}.");
    }

    /// <summary>A record whose every field differs from its default (and from the others).</summary>
    private static object Distinct()
    {
        object boxed = default(EventRecord);
        int n = 1;
        foreach (var field in Fields)
        {
            object value = field.FieldType switch
            {
                var t when t == typeof(string) => $"value {n}",
                var t when t == typeof(ArenaChunk) => new ArenaChunk(1, 0, pooled: false),
                var t when t == typeof(long) => 1_000_000_000_000L + n,
                var t when t == typeof(int) => 1_000 + n,
                var t when t == typeof(bool) => true,
                var t when t == typeof(EventKind) => EventKind.Page,
                var t => throw new InvalidOperationException($"Give EventRecord.{field.Name} ({t}) a distinct value here."),
            };
            field.SetValue(boxed, value);
            n++;
        }

        return boxed;
    }
}
