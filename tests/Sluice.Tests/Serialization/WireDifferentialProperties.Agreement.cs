using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>
/// The same event through every call (dictionaries, callbacks, pre-serialized JSON, a whole JSON event, an NDJSON line), each
/// into an engine of its own: every call accepts it or every call refuses it, for the reason the rules give and with the
/// same message naming the same field; and what is sent is byte for byte the same from the two .NET calls, and from the
/// three JSON ones (whose properties are passed as written). Each event has at most one defect: a blank, empty or
/// missing id or name, both or neither page id, or nesting one level past the limit. A default context, now and then, is
/// merged into each.
/// </summary>
public partial class WireDifferentialProperties
{
    private static readonly Route[] AllRoutes = Enum.GetValues<Route>();
    private static readonly string[] Blanks = [" ", "  ", "\t", "\r\n", "\u00A0", "\u3000", "\u2028", "\u0085"];
    private static readonly Regex MessageId = new("\"messageId\":\"[0-9a-f-]{36}\"", RegexOptions.CultureInvariant);
    private static readonly Regex NamedPath = new(@"^(properties|context)[^:]*: ", RegexOptions.CultureInvariant);
    private static readonly Regex AtByte = new(@" \(at byte \d+\)", RegexOptions.CultureInvariant);

    /// <summary>What is wrong with the event, if anything.</summary>
    private enum Defect
    {
        None,
        BlankUser,
        EmptyUser,
        MissingUser,
        BlankName,
        EmptyName,
        BlankSession,
        BothIds,
        NoIds,
        TooDeep,
    }

    private sealed record Probe(int Format, V.Obj? Defaults, Defect Defect, Event Event)
    {
        public override string ToString() => $"{FormatName(Format)} DefaultContext={Defaults} {Defect}: {Event}";
    }

    [Fact]
    public void Every_call_accepts_or_refuses_an_event_alike_and_sends_it_alike() =>
        Prop.ForAll(Arb.From(Probes()), Agree).QuickCheckThrowOnFailure();

    private static Gen<Probe> Probes() =>
        from format in Gen.Choose(0, 2)
        from defaults in Gen.Frequency((2, Gen.Constant<V.Obj?>(null)), (1, Defaults()))
        from e in Events(segment: format == 1, anyRoute: true)
        from defect in Gen.Frequency((8, Gen.Constant(Defect.None)), (8, Gen.Elements(Enum.GetValues<Defect>())))
        from blank in Gen.Elements(Blanks)
        from deep in DeepChain()
        from inContext in Gen.Elements(false, true)
        select new Probe(format, defaults, defect, Spoil(e, defect, blank, deep, inContext));

    /// <summary>32 nested objects and arrays: as a member of the properties (level 1), one level past the limit.</summary>
    private static Gen<V> DeepChain() =>
        from arrays in Gen.ArrayOf(Gen.Elements(true, false), PropertiesWriter.MaxDepth)
        select arrays.Aggregate((V)new V.Long(1), (inner, isArray) => isArray ? new V.Arr([inner]) : new V.Obj([("k", inner)]));

    private static Event Spoil(Event e, Defect defect, string blank, V deep, bool inContext)
    {
        // A page's ids: the one it has, for the defects that change ids.
        string id = e.UserId ?? e.SessionId!;
        return defect switch
        {
            Defect.BlankUser => e with { UserId = blank },
            Defect.EmptyUser => e with { UserId = "" },
            Defect.MissingUser => e with { UserId = null },
            Defect.BlankName => e with { Name = blank },
            Defect.EmptyName => e with { Name = "" },
            Defect.BlankSession when e.Page => e with { SessionId = blank },
            Defect.BothIds when e.Page => e with { UserId = id, SessionId = id },
            Defect.NoIds when e.Page => e with { UserId = null, SessionId = null },
            Defect.TooDeep when inContext => e with { Context = With(e.Context, deep) },
            Defect.TooDeep => e with { Properties = With(e.Properties, deep) },
            _ => e,
        };

        static V With(V? members, V deep) => new V.Obj([.. ((V.Obj?)members)?.Members ?? [], ("deep", deep)]);
    }

    /// <summary>The refusal the rules give the event (its message as <see cref="Normalized"/> makes it), or null if it is valid.</summary>
    private static string? ExpectedRefusal(int format, Event e)
    {
        static bool Absent(string? text) => string.IsNullOrWhiteSpace(text);
        if (!e.Page && Absent(e.UserId))
            return e.UserId is null or "" ? "user_id is required for a track event." : "user_id is required for a track event: it was whitespace only.";
        if (!e.Page && Absent(e.Name))
            return e.Name is "" ? "event_name is required for a track event." : "event_name is required for a track event: it was whitespace only.";
        if (e.Page && Absent(e.UserId) == Absent(e.SessionId))
            return Absent(e.UserId) ? "A page event needs user_id or session_id (an empty or whitespace-only one counts as absent)." : "A page event takes user_id or session_id, not both.";
        if (e.Page && format == 1 && Absent(e.Name))
            return "A page needs a name in the Segment/Customer.io batch format (its page call requires one): pass Page(..., name: \"Pricing\").";
        if (Deep(e.Properties))
            return "properties: nested deeper than 32 levels.";
        return Deep(e.Context) ? "context: nested deeper than 32 levels." : null;

        static bool Deep(V? v) => v is V.Obj o && o.Members.Exists(m => m.Key == "deep");
    }

    private static void Agree(Probe probe)
    {
        string? expected = ExpectedRefusal(probe.Format, probe.Event);
        var outcomes = AllRoutes.Select(route => (Route: route, Outcome: Produce(probe.Format, probe.Defaults, probe.Event with { Route = route }))).ToList();
        foreach (var (route, (refusal, parameter, bodies)) in outcomes)
        {
            Assert.True(expected == refusal, $"{route}: expected {expected ?? "acceptance"}, got {refusal ?? "acceptance"} (parameter {parameter}).");
            if (refusal is null)
                Assert.NotEmpty(bodies);
            else
                Assert.Empty(bodies);
        }

        // The calls that throw name the same parameter; the NDJSON line reports the message alone.
        Assert.Single(outcomes.Where(o => o.Route != Route.Ingest).Select(o => o.Outcome.Parameter).Distinct());
        if (expected is not null)
            return;

        Same(Route.Dictionary, Route.Callback);
        Same(Route.RawJson, Route.EventJson);
        Same(Route.RawJson, Route.Ingest);

        void Same(Route one, Route other)
        {
            // An id's lone surrogate is U+FFFD either way: escaped (\uFFFD) when the writer met it in a .NET string, as is when
            // the JSON route's reading had already made it U+FFFD (docs/input-rules.md). The same text, in other bytes.
            var (a, b) = (Bodies(one).Select(Unescaped).ToList(), Bodies(other).Select(Unescaped).ToList());
            Assert.True(a.SequenceEqual(b, StringComparer.Ordinal), $"{one} sent{Environment.NewLine}{string.Join(Environment.NewLine, a)}{Environment.NewLine}{other} sent{Environment.NewLine}{string.Join(Environment.NewLine, b)}");
        }

        List<string> Bodies(Route route) => outcomes.Single(o => o.Route == route).Outcome.Bodies;

        static string Unescaped(string body) => body.Replace("\\uFFFD", "\uFFFD", StringComparison.Ordinal);
    }

    /// <summary>The event through its route into an engine of its own: the refusal (normalized) and parameter named, or the bodies sent.</summary>
    private static (string? Refusal, string? Parameter, List<string> Bodies) Produce(int format, V.Obj? defaults, Event e)
    {
        var transport = new InMemoryTransport();
        string? refusal = null, parameter = null;
        using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = Format(format), TimeProvider = new ManualTimeProvider(Now), DefaultContext = defaults is null ? null : Json(defaults) }, transport))
        {
            try
            {
                Assert.Equal(EnqueueStatus.Accepted, Send(engine, e));
            }
            catch (ArgumentException ex)
            {
                (refusal, parameter) = (Normalized(ex.Message), ex.ParamName);
            }
        }

        // Message ids hold a random part drawn for each engine.
        return (refusal, parameter, transport.Batches.OrderBy(b => b.Sequence).Select(b => MessageId.Replace(Encoding.UTF8.GetString(b.Body), "\"messageId\":\"\"")).ToList());
    }

    /// <summary>The message without the parameter the runtime appends, the path of a nested value (JSON routes name a byte instead) or the byte.</summary>
    private static string Normalized(string message)
    {
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        string text = parameter < 0 ? message : message[..parameter];
        return AtByte.Replace(NamedPath.Replace(text, "$1: "), "");
    }

    private static WireFormat Format(int format) => format switch
    {
        1 => new SegmentFormat(),
        2 => new PrimeDataFormat(ClientId),
        _ => ThriveStackFormat.Instance,
    };

    private static string FormatName(int format) => format switch { 1 => "Segment", 2 => "PrimeData", _ => "ThriveStack" };
}
