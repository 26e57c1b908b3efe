using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Completes <see cref="SluiceServiceOptions"/> after every configuration and post-configuration (<see cref="SluiceOptionsFactory"/>):
/// the engine's wire format and the transport's address and credentials from <c>Format</c>, <c>Endpoint</c> and
/// <c>Credentials</c>, through the same mapping as the command line; and lists every problem of them for the start-up validation.
/// </summary>
internal static class EngineSettings
{
    public static void Complete(SluiceServiceOptions options)
    {
        options.Http.BaseAddress = options.Endpoint;
        if (!BuiltInApi.IsFormat(options.Format))
            return;
        var credential = Credential(options.Credentials);
        if (BuiltInApi.Missing(options.Format, http: true, credential).Count > 0 || BuiltInApi.Refused(options.Format, credential) is not null)
            return;
        // A wire format set in code (a custom one) stays; Format then only chooses the credentials.
        if (ReferenceEquals(options.Engine.WireFormat, ThriveStackFormat.Instance))
            options.Engine.WireFormat = BuiltInApi.Format(options.Format, credential);
        options.Http.Authentication = BuiltInApi.Authentication(options.Format, credential);
    }

    private const string SpoolPrefix = nameof(SluiceOptions.Spool) + ".";

    /// <summary>Every problem, one sentence each naming the setting; never a credential's or header's value.</summary>
    public static List<string> Problems(SluiceServiceOptions options)
    {
        var problems = new List<string>(options.ConfigurationProblems);
        // Where a missing credential or endpoint goes: the section's path, so a named engine's (Sluice:Marketing:Endpoint)
        // or an environment variable's spelling of it can be found; empty without configuration.
        string at = options.SectionPath ?? "";
        if (!BuiltInApi.IsFormat(options.Format))
        {
            problems.Add($"{nameof(SluiceServiceOptions.Format)} must be ThriveStack, Segment or PrimeData (was '{options.Format}').");
        }
        else
        {
            var missing = BuiltInApi.Missing(options.Format, http: true, Credential(options.Credentials));
            foreach (var anyOf in missing)
            {
                problems.Add(anyOf is [var only]
                    ? $"{nameof(SluiceServiceOptions.Format)} {options.Format} needs {at}{nameof(SluiceServiceOptions.Credentials)}:{only.Credential}: {only.Why}."
                    : $"{nameof(SluiceServiceOptions.Format)} {options.Format} needs " + string.Join(" and/or ", anyOf.Select(n => $"{at}{nameof(SluiceServiceOptions.Credentials)}:{n.Credential} {n.Why}")) + ".");
            }

            if (missing.Count == 0 && BuiltInApi.Refused(options.Format, Credential(options.Credentials)) is var (refused, reason))
                problems.Add($"{nameof(SluiceServiceOptions.Credentials)}:{refused}: {reason}");
        }

        if (EndpointProblem(options.Endpoint) is { } endpointProblem)
            problems.Add(at + endpointProblem);
        // The engine's own problems include batch limits above what a built-in format's API takes.
        // The spool's settings named as the configuration's keys are (Spool:SegmentBytes), not as the code's (Spool.SegmentBytes).
        problems.AddRange(options.Engine.Problems().Select(static p => p.StartsWith(SpoolPrefix, StringComparison.Ordinal) ? $"{nameof(SluiceOptions.Spool)}:{p[SpoolPrefix.Length..]}" : p).Select(p => Keyed(options, p)));
        problems.AddRange(options.Http.Problems().Where(p => !p.StartsWith(nameof(HttpTransportOptions.BaseAddress), StringComparison.Ordinal)).Select(p => Keyed(options, p)));
        // A misspelt section name, or an appsettings.json left out of the output, looks like nothing configured.
        if (problems.Count > 0 && options.MissingSection is { } section)
            problems.Insert(0, $"The configuration has no section '{section}', where these settings were to be read ({section}:{nameof(SluiceServiceOptions.Endpoint)}, {section}:{nameof(SluiceServiceOptions.Credentials)}:…, or the environment variables {section.Replace(":", "__", StringComparison.Ordinal)}__…).");
        return problems;
    }

    /// <summary>
    /// A problem that begins with a setting's name (<c>MaxBatchEvents must be …</c>), named by its key when its value was read
    /// from the section (<c>Sluice:Marketing:MaxBatchEvents must be …</c>): a range problem named the bare setting, and which
    /// engine's section or which environment variable held it was left to guess. A value set in code keeps the bare name.
    /// </summary>
    private static string Keyed(SluiceServiceOptions options, string problem)
    {
        int end = 0;
        while (end < problem.Length && (char.IsAsciiLetter(problem[end]) || problem[end] == ':'))
            end++;
        return options.SectionPath is { Length: > 0 } path && end > 0 && options.ConfiguredKeys.Contains(problem[..end].TrimEnd(':')) ? path + problem : problem;
    }

    private static string? EndpointProblem(Uri? endpoint) => endpoint is null
        ? $"{nameof(SluiceServiceOptions.Endpoint)} is required: the API's absolute http or https base address, such as https://api.app.thrivestack.ai (was none)."
        : HttpTransportOptions.AddressProblem(endpoint) is { } problem ? $"{nameof(SluiceServiceOptions.Endpoint)} {problem}." : null;

    private static Func<ApiCredential, string?> Credential(SluiceCredentials credentials) => which => which switch
    {
        ApiCredential.Token => credentials.Token,
        ApiCredential.ApiKey => credentials.ApiKey,
        ApiCredential.WriteKey => credentials.WriteKey,
        ApiCredential.ClientId => credentials.ClientId,
        _ => credentials.ClientAccessToken,
    };
}
