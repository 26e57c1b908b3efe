using Sluice.Delivery.Transports.Http;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// One engine of a host, as <c>AddSluice</c> configures it: the built-in API it sends to (<see cref="Format"/>,
/// <see cref="Endpoint"/>, <see cref="Credentials"/>), the engine's settings (<see cref="Engine"/>) and the HTTP
/// transport's (<see cref="Http"/>). From configuration, all of them sit side by side in one section, each by its
/// own name (<c>"Sluice": { "Format": "Segment", "Endpoint": "https://…", "MaxBatchEvents": 500, "Gzip": true }</c>):
/// see docs/hosting.md. Validated when the host starts, every problem in one message.
/// </summary>
public sealed class SluiceServiceOptions
{
    /// <summary>
    /// The name of the engine <c>AddSluice</c> adds without a name (and resolves as the unkeyed <see cref="SluiceEngine"/>):
    /// its key, log and metrics name, health check and HTTP client. Its options are the unnamed ones
    /// (<c>services.Configure&lt;SluiceServiceOptions&gt;(o =&gt; …)</c>, <c>IOptions&lt;SluiceServiceOptions&gt;</c>), not options of this name.
    /// </summary>
    public const string DefaultName = "default";

    /// <summary>The wire format and API: <c>ThriveStack</c>, <c>Segment</c> or <c>PrimeData</c> (any case).</summary>
    /// <value>Default <c>ThriveStack</c>.</value>
    public string Format { get; set; } = "ThriveStack";

    /// <summary>The API's base address (<c>https://api.app.thrivestack.ai</c>); each endpoint's path is appended.</summary>
    /// <value>Required.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>The credentials of the API; <see cref="Format"/> says which are needed.</summary>
    public SluiceCredentials Credentials { get; } = new();

    /// <summary>
    /// The engine's settings, bound from the same section by their own names (<c>MaxBatchEvents</c>, <c>FlushInterval</c>, …).
    /// Its <see cref="SluiceOptions.WireFormat"/> comes from <see cref="Format"/> unless one is set here in code (a custom
    /// format; <see cref="Format"/> then chooses only the credentials); its clock, meter factory and name,
    /// unless set here, from the container (<see cref="TimeProvider"/>, <c>IMeterFactory</c>) and the engine's name.
    /// </summary>
    public SluiceOptions Engine { get; } = new();

    /// <summary>
    /// The HTTP transport's settings, bound from the same section by their own names (<c>Gzip</c>, <c>RequestTimeout</c>,
    /// <c>UserAgent</c>, <c>Headers</c>). Its base address is <see cref="Endpoint"/> and its credentials come from
    /// <see cref="Credentials"/>.
    /// </summary>
    public HttpTransportOptions Http { get; } = new();

    /// <summary>Problems found while reading configuration (a value that does not parse, an unknown key), reported with the rest at start.</summary>
    internal List<string> ConfigurationProblems { get; } = [];

    /// <summary>The path of the section <c>AddSluice</c> was given when it does not exist (a misspelt name), for the problems' message.</summary>
    internal string? MissingSection { get; set; }

    /// <summary>
    /// The prefix of the keys <c>AddSluice</c> read (<c>Sluice:Marketing:</c>; empty for a whole configuration), or null when
    /// no configuration was bound, and the keys the section held (<c>MaxBatchEvents</c>, <c>Spool:SegmentBytes</c>): a problem
    /// with a value read from there names its key, as an environment variable or a named engine's section spells it.
    /// </summary>
    internal string? SectionPath { get; set; }

    /// <inheritdoc cref="SectionPath"/>
    internal HashSet<string> ConfiguredKeys { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The name of the <c>IHttpClientFactory</c> client an engine sends with: <c>Sluice</c> for the default engine,
    /// <c>Sluice:name</c> for a named one, the name in lower case. Add handlers to it with
    /// <c>services.AddHttpClient(SluiceServiceOptions.HttpClientName("orders")).AddHttpMessageHandler(…)</c>.
    /// </summary>
    /// <param name="engineName">The engine's name, in any case (<see cref="DefaultName"/> for the default engine).</param>
    public static string HttpClientName(string engineName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(engineName);
        // The client factory compares names as spelt: HttpClientName("orders") configured no client of the engine "Orders".
        return engineName.Equals(DefaultName, StringComparison.OrdinalIgnoreCase) ? "Sluice" : "Sluice:" + engineName.ToLowerInvariant();
    }

    /// <summary>The name of an engine's options: the unnamed ones (<c>Options.DefaultName</c>) for the default engine, its own name for a named one.</summary>
    internal static string OptionsName(string engineName) => engineName == DefaultName ? Microsoft.Extensions.Options.Options.DefaultName : engineName;
}
