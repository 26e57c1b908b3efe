using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>
/// docs/delivery.md, "Limits, exactly" and "When a batch is sealed", checked on every batch of random event sequences: valid JSON,
/// ≤ MaxBatchEvents and ≤ MaxBatchBytes, maximal when closed for size, per-producer order, no event
/// lost or duplicated, oversize events rejected and counted, counters adding up; in each built-in wire format, whose
/// envelope (Segment's sentAt stamped at each send included) counts toward the limit as exactly as the events.
/// </summary>
public class BatchRulesProperties
{
    // Characters that cost 1, 2, 3 and 4 UTF-8 bytes, and some that JSON escapes (2 and 6 bytes).
    private static readonly string[] Units = ["a", "xyz", "é", "€", "😀", "\"", "\n", "\u0001", "ab€😀"];

    // ThriveStack, Segment, PrimeData.
    private const int Formats = 3;

    public sealed record Scenario(int Format, int MaxEvents, int MaxBytes, TestEvent[] Events)
    {
        public override string ToString() => $"Format={Format} MaxEvents={MaxEvents} MaxBytes={MaxBytes} Events=[{string.Join(", ", Events.Select(e => $"{(e.Page ? "P" : "T")}{e.Seq}:{e.Pad.Length}"))}]";
    }

    [Fact]
    public void Batches_meet_the_limits_with_scaled_down_limits()
        => Check.One(Config.QuickThrowOnFailure.WithMaxTest(150), Prop.ForAll(Arb.From(Scenarios(1, 40, 150, 6_000, 60, nearLimitWeight: 4)), Run));

    [Fact]
    public void Batches_meet_the_limits_at_the_real_limits()
        => Check.One(Config.QuickThrowOnFailure.WithMaxTest(6), Prop.ForAll(Arb.From(Scenarios(1_000, 1_000, 2_097_152, 2_097_152, 2_500, nearLimitWeight: 1)), Run));

    private static Gen<Scenario> Scenarios(int minEvents, int maxEvents, int minBytes, int maxBytes, int maxCount, int nearLimitWeight)
        => from format in Gen.Choose(0, Formats - 1)
           from limitEvents in Gen.Choose(minEvents, maxEvents)
           from limitBytes in Gen.Choose(minBytes, maxBytes)
           from count in Gen.Choose(0, maxCount)
           from specs in Gen.ArrayOf(EventSpec(limitBytes, nearLimitWeight), count)
           select new Scenario(format, limitEvents, limitBytes,
               specs.Select((s, i) => new TestEvent(i, s.Page, BatchRules.Repeat(s.Unit, s.Length))).ToArray());

    // Mostly small events, some near (just under, at, just over) the byte limit, some far over it.
    private static Gen<(bool Page, string Unit, int Length)> EventSpec(int limitBytes, int nearLimitWeight)
        => from page in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
           from unit in Gen.Elements(Units)
           from length in Gen.Frequency(
               (400, Gen.Choose(0, 200)),
               (100, Gen.Choose(0, Math.Max(1, limitBytes / 40))),
               (10 * nearLimitWeight, Gen.Choose(0, Math.Max(1, limitBytes / 3))),
               (8 * nearLimitWeight, Gen.Choose(Math.Max(0, limitBytes - 200), limitBytes + 20)),
               (2 * nearLimitWeight, Gen.Choose(limitBytes, limitBytes * 2)))
           select (page, unit, unit.Length > 1 && unit.Length * 4 > length ? length : length / Math.Max(1, ByteWeight(unit)));

    private static int ByteWeight(string unit) => unit switch
    {
        "\u0001" => 6,
        "😀" => 2,
        _ => 1,
    };

    private static void Run(Scenario scenario)
    {
        var transport = new InMemoryTransport();
        var clock = new ManualTimeProvider(); // the clock never moves: batches close only for size, then at shutdown
        var segment = new SegmentFormat();
        var (format, shape) = scenario.Format switch
        {
            0 => ((WireFormat)ThriveStackFormat.Instance, WireShape.ThriveStack),
            1 => (segment, WireShape.Segment(segment, clock.GetUtcNow())),
            _ => (new PrimeDataFormat("client-1"), WireShape.PrimeData("client-1")),
        };
        var options = new SluiceOptions
        {
            WireFormat = format,
            MaxBatchEvents = scenario.MaxEvents,
            MaxBatchBytes = scenario.MaxBytes,
            TimeProvider = clock,
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromSeconds(30),
        };
        var engine = new SluiceEngine(options, transport);
        var sequences = new Dictionary<(int, int), long>();
        foreach (var e in scenario.Events)
        {
            var enqueued = e.SendTo(engine);
            Assert.Equal(EnqueueStatus.Accepted, enqueued.Status);
            sequences[(e.Producer, e.Seq)] = enqueued.Sequence;
        }

        var result = engine.ShutdownAsync().GetAwaiter().GetResult();

        BatchRules.Check(scenario.Events, transport.Batches, result.Counters, scenario.MaxEvents, scenario.MaxBytes, closedOnlyForSize: true, shape, sequences);
    }
}
