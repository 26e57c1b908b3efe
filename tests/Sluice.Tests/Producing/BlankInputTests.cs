using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// Ids and names made of whitespace alone (<c>"  "</c>, a tab, U+00A0, U+3000): the specs mark them "String, Required" and
/// an empty one is refused, so a blank one is refused too, the same way by every call that can give it (dictionaries,
/// callbacks, pre-serialized JSON, a whole JSON event, an NDJSON line); for a page, where an empty id or name counts as
/// absent, a blank one does too. Before, <c>Track("u", "  ")</c> was accepted and sent.
/// </summary>
public class BlankInputTests
{
    private static readonly DateTimeOffset Now = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    private static readonly string[] Blanks = [" ", "   ", "\t", "\r\n", "\u00A0", "\u3000 \u2028"];

    public static TheoryData<string, string> Calls()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in Enum.GetNames<Route>())
        {
            foreach (var blank in Blanks)
                data.Add(route, blank);
        }

        return data;
    }

    /// <summary>The ways of producing one event.</summary>
    public enum Route
    {
        Dictionary,
        Callback,
        Json,
        EnqueueJson,
        Ingest,
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_track_with_a_blank_user_id_is_refused_naming_user_id(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), ThriveStackFormat.Instance, new Given(false, blank, null, "signed_up"));
        Assert.Equal("user_id is required for a track event: it was whitespace only.", refusal);
        Assert.Empty(bodies);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_track_with_a_blank_event_name_is_refused_naming_event_name(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), ThriveStackFormat.Instance, new Given(false, "u1", null, blank));
        Assert.Equal("event_name is required for a track event: it was whitespace only.", refusal);
        Assert.Empty(bodies);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_page_with_a_blank_user_id_and_a_session_is_a_session_page(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), ThriveStackFormat.Instance, new Given(true, blank, "s1", null));
        Assert.Null(refusal);
        Assert.Equal("""[{"session_id":"s1","timestamp":"2024-10-20T15:51:35.000000Z"}]""", Assert.Single(bodies));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_page_with_blank_ids_is_refused_as_a_page_without_ids(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), ThriveStackFormat.Instance, new Given(true, blank, blank, null));
        Assert.Equal("A page event needs user_id or session_id (an empty or whitespace-only one counts as absent).", refusal);
        Assert.Empty(bodies);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_Segment_page_with_a_blank_name_is_refused_naming_name(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), new SegmentFormat(), new Given(true, "u1", null, blank));
        Assert.Equal("A page needs a name in the Segment/Customer.io batch format (its page call requires one): pass Page(..., name: \"Pricing\").", refusal);
        Assert.Empty(bodies);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_PrimeData_page_with_a_blank_name_has_no_target(string route, string blank)
    {
        var (refusal, bodies) = await ProduceAsync(Enum.Parse<Route>(route), new PrimeDataFormat("client"), new Given(true, "u1", null, blank));
        Assert.Null(refusal);
        Assert.Equal("""{"events":[{"eventType":"view","sessionId":"u1","scope":"client","timeStamp":"2024-10-20T15:51:35.000000Z","properties":{}}]}""", Assert.Single(bodies));
    }

    [Fact]
    public async Task Ids_and_names_with_whitespace_around_text_are_sent_as_given()
    {
        // Only whitespace alone is no id: the text is never trimmed.
        var (refusal, bodies) = await ProduceAsync(Route.Dictionary, ThriveStackFormat.Instance, new Given(false, " u1 ", null, "\tsigned up\n"));
        Assert.Null(refusal);
        Assert.Equal("""[{"user_id":" u1 ","event_name":"\tsigned up\n","timestamp":"2024-10-20T15:51:35.000000Z"}]""", Assert.Single(bodies));
    }

    private sealed record Given(bool Page, string? UserId, string? SessionId, string? Name);

    /// <summary>Gives the event through <paramref name="route"/>: the refusal's message (without the parameter), and the bodies sent.</summary>
    private static async Task<(string? Refusal, List<string> Bodies)> ProduceAsync(Route route, WireFormat format, Given e)
    {
        var transport = new InMemoryTransport();
        string? refusal = null;
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = format, TimeProvider = new ManualTimeProvider(Now) }, transport))
        {
            try
            {
                switch (route)
                {
                    case Route.Dictionary when e.Page: engine.Page(e.UserId, e.SessionId, name: e.Name); break;
                    case Route.Dictionary: engine.Track(e.UserId!, e.Name!); break;
                    case Route.Callback when e.Page: engine.Page(e.UserId, e.SessionId, 0, (PropertiesCallback<int>?)null, name: e.Name); break;
                    case Route.Callback: engine.Track(e.UserId!, e.Name!, 0, (PropertiesCallback<int>?)null); break;
                    case Route.Json when e.Page: engine.PageJson(e.UserId, e.SessionId, ""u8, name: e.Name); break;
                    case Route.Json: engine.TrackJson(e.UserId!, e.Name!, ""u8); break;
                    case Route.EnqueueJson: engine.EnqueueJson(Encoding.UTF8.GetBytes(EventText(e))); break;
                    default:
                        var errors = new List<IngestError>();
                        var summary = await engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(EventText(e) + "\n")), errors.Add);
                        Assert.Equal(1, summary.Accepted + summary.Invalid);
                        refusal = errors.Count == 0 ? null : Assert.Single(errors).Message;
                        break;
                }
            }
            catch (ArgumentException ex)
            {
                refusal = ex.Message[..ex.Message.IndexOf(" (Parameter", StringComparison.Ordinal)];
            }
        }

        return (refusal, transport.Batches.Select(b => Encoding.UTF8.GetString(b.Body)).ToList());
    }

    /// <summary>The event in the ThriveStack shape EnqueueJson and NDJSON lines take (System.Text.Json escapes the blanks).</summary>
    private static string EventText(Given e)
    {
        var members = new Dictionary<string, string?>();
        if (e.UserId is not null) members["user_id"] = e.UserId;
        if (e.SessionId is not null) members["session_id"] = e.SessionId;
        if (e.Name is not null) members[e.Page ? "name" : "event_name"] = e.Name;
        return JsonSerializer.Serialize(members);
    }
}
