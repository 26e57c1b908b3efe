using System.Globalization;
using Microsoft.Extensions.Configuration;
using Sluice.Spooling;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Reads a configuration section into <see cref="SluiceServiceOptions"/>: every setting by its own name, case-insensitive,
/// so <c>Sluice__MaxBatchEvents</c> works from the environment. A value that does not parse and a key that names no
/// setting (a typo, or <c>WireFormat</c> instead of <c>Format</c>) are problems reported at start with the rest, not
/// silently ignored. Written out rather than reflected so it trims and compiles ahead of time, and so each problem
/// names the key. Credential and header values never appear in a problem.
/// </summary>
internal static class SluiceConfiguration
{
    /// <summary>The settings a section may hold; the binding test checks this list against the options' public properties.</summary>
    internal static readonly string[] Keys =
    [
        nameof(SluiceServiceOptions.Format), nameof(SluiceServiceOptions.Endpoint), nameof(SluiceServiceOptions.Credentials),
        nameof(SluiceOptions.MaxBatchEvents), nameof(SluiceOptions.MaxBatchBytes), nameof(SluiceOptions.FlushInterval),
        nameof(SluiceOptions.QueueCapacity), nameof(SluiceOptions.FullMode), nameof(SluiceOptions.FullModeWaitTimeout),
        nameof(SluiceOptions.MaxConcurrentSends), nameof(SluiceOptions.ShutdownTimeout), nameof(SluiceOptions.MaxSendAttempts),
        nameof(SluiceOptions.RetryBudget), nameof(SluiceOptions.RetryBaseDelay), nameof(SluiceOptions.RetryMaxDelay),
        nameof(SluiceOptions.UnauthorizedProbeInterval), nameof(SluiceOptions.Name), nameof(SluiceOptions.DefaultContext),
        nameof(SluiceOptions.Spool), "Gzip", "RequestTimeout", "UserAgent", "Headers",
    ];

    /// <summary>
    /// The key that turns off a spool configured elsewhere (<c>Sluice__Spool__Enabled=false</c> over an <c>appsettings.json</c>
    /// that sets one): a configuration provider can override a key, not remove one.
    /// </summary>
    internal const string SpoolEnabled = "Enabled";

    /// <summary>The keys of the <c>Spool</c> section: <see cref="SpoolEnabled"/>, then <see cref="SpoolOptions"/>' properties by name.</summary>
    internal static readonly string[] SpoolKeys =
        [SpoolEnabled, nameof(SpoolOptions.DirectoryPath), nameof(SpoolOptions.MaxBytes), nameof(SpoolOptions.Sync), nameof(SpoolOptions.SyncInterval), nameof(SpoolOptions.SegmentBytes)];

    /// <summary>The keys that hold sections, not values.</summary>
    private static readonly string[] Sections = [nameof(SluiceOptions.Spool), "Headers", nameof(SluiceServiceOptions.Credentials)];

    /// <summary>The credential keys, the same names as <see cref="Sluice.Delivery.Transports.Http.ApiCredential"/>'s.</summary>
    internal static readonly string[] CredentialKeys =
        [nameof(SluiceCredentials.Token), nameof(SluiceCredentials.ApiKey), nameof(SluiceCredentials.WriteKey), nameof(SluiceCredentials.ClientId), nameof(SluiceCredentials.ClientAccessToken)];

    public static void Bind(IConfiguration section, SluiceServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.ConfigurationProblems;
        string path = section is IConfigurationSection s ? s.Path + ":" : "";
        var engine = options.Engine;
        var http = options.Http;
        options.SectionPath = path;
        foreach (var child in section.GetChildren())
        {
            options.ConfiguredKeys.Add(child.Key);
            if (child.Key.Equals(nameof(SluiceOptions.Spool), StringComparison.OrdinalIgnoreCase))
                options.ConfiguredKeys.UnionWith(child.GetChildren().Select(static c => $"{nameof(SluiceOptions.Spool)}:{c.Key}"));
        }

        String(nameof(SluiceServiceOptions.Format), v => options.Format = v);
        // Kept as given, relative or not: the start-up check says what is wrong with it, once.
        if (section[nameof(SluiceServiceOptions.Endpoint)] is { } endpoint)
        {
            if (Uri.TryCreate(endpoint.Trim(), UriKind.RelativeOrAbsolute, out var uri))
                options.Endpoint = uri;
            else
                problems.Add($"{path}{nameof(SluiceServiceOptions.Endpoint)} must be an absolute http or https address (was '{endpoint}').");
        }

        Parse(nameof(SluiceOptions.MaxBatchEvents), Int, "a whole number", v => engine.MaxBatchEvents = v);
        Parse(nameof(SluiceOptions.MaxBatchBytes), Int, "a whole number", v => engine.MaxBatchBytes = v);
        Parse(nameof(SluiceOptions.FlushInterval), Duration, "a duration such as 00:00:05", v => engine.FlushInterval = v);
        Parse(nameof(SluiceOptions.QueueCapacity), Int, "a whole number", v => engine.QueueCapacity = v);
        Parse(nameof(SluiceOptions.FullMode), Named<FullMode>, OneOf<FullMode>(), v => engine.FullMode = v);
        Parse(nameof(SluiceOptions.FullModeWaitTimeout), Duration, "a duration such as 00:00:00.100", v => engine.FullModeWaitTimeout = v);
        Parse(nameof(SluiceOptions.MaxConcurrentSends), Int, "a whole number", v => engine.MaxConcurrentSends = v);
        Parse(nameof(SluiceOptions.ShutdownTimeout), Duration, "a duration such as 00:00:10", v => engine.ShutdownTimeout = v);
        Parse(nameof(SluiceOptions.MaxSendAttempts), Int, "a whole number", v => engine.MaxSendAttempts = v);
        Parse(nameof(SluiceOptions.RetryBudget), Duration, "a duration such as 00:02:00", v => engine.RetryBudget = v);
        Parse(nameof(SluiceOptions.RetryBaseDelay), Duration, "a duration such as 00:00:00.500", v => engine.RetryBaseDelay = v);
        Parse(nameof(SluiceOptions.RetryMaxDelay), Duration, "a duration such as 00:00:30", v => engine.RetryMaxDelay = v);
        Parse(nameof(SluiceOptions.UnauthorizedProbeInterval), Duration, "a duration such as 00:01:00", v => engine.UnauthorizedProbeInterval = v);
        String(nameof(SluiceOptions.Name), v => engine.Name = v);
        String(nameof(SluiceOptions.DefaultContext), v => engine.DefaultContext = v);
        Parse("Gzip", Bool, "true or false", v => http.Gzip = v);
        Parse("RequestTimeout", Duration, "a duration such as 00:00:30", v => http.RequestTimeout = v);
        String("UserAgent", v => http.UserAgent = v);
        foreach (var header in section.GetSection("Headers").GetChildren())
        {
            // A header given as a section (Headers:X-Tenant:Id) has no value: it went out empty.
            if (header.Value is { } value)
                http.Headers[header.Key] = value;
            else
                problems.Add($"{path}Headers:{header.Key} must be a header's value, not a section.");
        }
        BindSpool(section.GetSection(nameof(SluiceOptions.Spool)), engine, path, problems);

        var credentials = section.GetSection(nameof(SluiceServiceOptions.Credentials));
        string? Credential(string key) => credentials[key] is { Length: > 0 } v ? v : null;
        options.Credentials.Token = Credential(nameof(SluiceCredentials.Token)) ?? options.Credentials.Token;
        options.Credentials.ApiKey = Credential(nameof(SluiceCredentials.ApiKey)) ?? options.Credentials.ApiKey;
        options.Credentials.WriteKey = Credential(nameof(SluiceCredentials.WriteKey)) ?? options.Credentials.WriteKey;
        options.Credentials.ClientId = Credential(nameof(SluiceCredentials.ClientId)) ?? options.Credentials.ClientId;
        options.Credentials.ClientAccessToken = Credential(nameof(SluiceCredentials.ClientAccessToken)) ?? options.Credentials.ClientAccessToken;

        // Noted, not a problem by itself: code may configure the engine instead. The start-up check names it if something is missing.
        if (section is IConfigurationSection { } own && !own.Exists())
            options.MissingSection = own.Path;

        var unknown = section.GetChildren().Where(c => !Array.Exists(Keys, k => k.Equals(c.Key, StringComparison.OrdinalIgnoreCase))).ToList();
        // The whole configuration instead of its Sluice section: every environment variable is a key, and this is the one that matters.
        if (unknown.Find(c => c.Key.Equals("Sluice", StringComparison.OrdinalIgnoreCase) && c.GetChildren().Any()) is { } nested)
        {
            problems.Add($"{path}{nested.Key} is a section, not a setting: pass that section to AddSluice (configuration.GetSection(\"{nested.Key}\")), not the configuration that holds it.");
            unknown.Clear();
        }

        foreach (var child in unknown)
        {
            if (child.Key.Equals(nameof(SluiceOptions.WireFormat), StringComparison.OrdinalIgnoreCase))
                problems.Add($"{path}{child.Key} is not a setting: the wire format is chosen by {nameof(SluiceServiceOptions.Format)} (ThriveStack, Segment or PrimeData).");
            else
                problems.Add($"{path}{child.Key} is not a Sluice setting.");
        }

        // A section given one value (Sluice__Spool=/var/lib/app) has no children to read: without this it was
        // ignored, and the spool stayed off. Its value may be a secret, so it is not repeated.
        foreach (var (key, holds, example) in (ReadOnlySpan<(string, string, string)>)[
            (nameof(SluiceOptions.Spool), "spool settings", nameof(SpoolOptions.DirectoryPath)),
            ("Headers", "headers", "X-Tenant"),
            (nameof(SluiceServiceOptions.Credentials), "credentials", nameof(SluiceCredentials.Token))])
        {
            if (section[key] is { Length: > 0 })
                problems.Add($"{path}{key} must be a section of {holds} ({path}{key}:{example}, …), not a value.");
        }

        // And the other way: a setting given as a section (Sluice__MaxBatchEvents__Value=500) has no value to read, and
        // its default was used.
        foreach (var child in section.GetChildren())
        {
            if (IsSection(child) && Array.Exists(Keys, k => k.Equals(child.Key, StringComparison.OrdinalIgnoreCase))
                && !Array.Exists(Sections, k => k.Equals(child.Key, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{path}{child.Key} must be a value, not a section.");
        }

        foreach (var child in credentials.GetChildren())
        {
            if (!Array.Exists(CredentialKeys, k => k.Equals(child.Key, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{path}{nameof(SluiceServiceOptions.Credentials)}:{child.Key} is not a credential (known: {string.Join(", ", CredentialKeys)}).");
            else if (IsSection(child))
                problems.Add($"{path}{nameof(SluiceServiceOptions.Credentials)}:{child.Key} must be a value, not a section.");
        }

        void String(string key, Action<string> set)
        {
            if (section[key] is { } value)
                set(value);
        }

        void Parse<T>(string key, Func<string, T?> parse, string expected, Action<T> set)
            where T : struct => ParseInto(section, path, problems, key, parse, expected, set);
    }

    private static bool IsSection(IConfigurationSection key) => key.Value is null && key.GetChildren().Any();

    /// <summary>
    /// A <c>Spool</c> section with any key turns the spool on, unless its <see cref="SpoolEnabled"/> is <c>false</c>; its
    /// settings are checked with the engine's at start (those of a spool turned off are not read, its unknown keys still reported).
    /// </summary>
    private static void BindSpool(IConfigurationSection section, SluiceOptions engine, string path, List<string> problems)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
            return;
        string prefix = $"{path}{nameof(SluiceOptions.Spool)}:";
        bool enabled = true;
        Parse(SpoolEnabled, Bool, "true or false", v => enabled = v);
        if (enabled)
        {
            var spool = engine.Spool ??= new SpoolOptions();
            if (section[nameof(SpoolOptions.DirectoryPath)] is { } directory)
                spool.DirectoryPath = directory;
            Parse(nameof(SpoolOptions.MaxBytes), Long, "a whole number of bytes", v => spool.MaxBytes = v);
            Parse(nameof(SpoolOptions.Sync), Named<SpoolSync>, OneOf<SpoolSync>(), v => spool.Sync = v);
            Parse(nameof(SpoolOptions.SyncInterval), Duration, "a duration such as 00:00:01", v => spool.SyncInterval = v);
            Parse(nameof(SpoolOptions.SegmentBytes), Long, "a whole number of bytes", v => spool.SegmentBytes = v);
        }

        foreach (var child in children)
        {
            if (!Array.Exists(SpoolKeys, k => k.Equals(child.Key, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{prefix}{child.Key} is not a spool setting (known: {string.Join(", ", SpoolKeys)}).");
        }

        void Parse<T>(string key, Func<string, T?> parse, string expected, Action<T> set)
            where T : struct => ParseInto(section, prefix, problems, key, parse, expected, set);
    }

    /// <summary>Sets the value of <paramref name="key"/> if present; a value that does not parse is a problem naming the key, never silence.</summary>
    private static void ParseInto<T>(IConfiguration section, string prefix, List<string> problems, string key, Func<string, T?> parse, string expected, Action<T> set)
        where T : struct
    {
        if (section[key] is not { } text)
            return;
        if (parse(text.Trim()) is { } value)
            set(value);
        else
            problems.Add($"{prefix}{key} must be {expected} (was '{text}').");
    }

    /// <summary>
    /// An enum value by one of its names, any case. Not Enum.TryParse, which also reads numbers ("+2") and lists as flags
    /// ("PerBatch, None" is PerBatch | None, which is None): a value that named no mode chose one silently.
    /// </summary>
    private static TEnum? Named<TEnum>(string text)
        where TEnum : struct, Enum
        => Array.Find(Enum.GetNames<TEnum>(), n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name ? Enum.Parse<TEnum>(name) : null;

    private static string OneOf<TEnum>()
        where TEnum : struct, Enum
        => $"one of {string.Join(", ", Enum.GetNames<TEnum>())}";

    private static bool? Bool(string text) => bool.TryParse(text, out bool v) ? v : null;

    private static long? Long(string text) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static int? Int(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

    // Without a colon TimeSpan reads a number as days ("5" is 5 days, not 5 seconds), and with one as hours and minutes ("00:05"
    // is 5 minutes, "00:30" half an hour, read as minutes and seconds they look like): both refused, so that a FlushInterval of
    // "5" or a ShutdownTimeout of "00:30" is not taken for days or minutes. Hours, minutes and seconds are always written.
    private static TimeSpan? Duration(string text) => text.AsSpan().Count(':') >= 2 && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var v) ? v : null;
}
