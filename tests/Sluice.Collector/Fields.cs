using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sluice.Collector;

/// <summary>Field checks shared by the APIs; each returns the error message, or null when the field is fine.</summary>
internal static partial class Fields
{
    /// <summary>Only the listed members, each once.</summary>
    public static string? OnlyKnown(JsonElement e, IReadOnlySet<string> known)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in e.EnumerateObject())
        {
            if (!known.Contains(member.Name))
                return $"unknown field '{member.Name}'";
            if (!seen.Add(member.Name))
                return $"field '{member.Name}' appears twice";
        }

        return null;
    }

    public static string? RequiredString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? NonEmptyString(value, name) : $"{name} is required";

    public static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? NonEmptyString(value, name) : null;

    public static string? OptionalObject(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Object ? $"{name} must be an object" : null;

    /// <summary>An ISO 8601 date-time with seconds and an offset (<c>Z</c> when <paramref name="utc"/>).</summary>
    public static string? Timestamp(JsonElement e, string name, bool required, bool utc)
    {
        if (!e.TryGetProperty(name, out var value))
            return required ? $"{name} is required" : null;
        return value.ValueKind == JsonValueKind.String ? TimestampText(value.GetString()!, name, utc) : $"{name} must be a string";
    }

    public static string? TimestampText(string text, string name, bool utc)
    {
        if (!Iso8601().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
            return $"{name} must be an ISO 8601 date-time (was \"{text}\")";
        if (utc && parsed.Offset != TimeSpan.Zero)
            return $"{name} must be in UTC (was \"{text}\")";
        return null;
    }

    public static string Identity(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? $"{name} \"{value.GetString()}\"" : $"no {name}";

    private static string? NonEmptyString(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0 ? null : $"{name} must be a non-empty string";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601();
}
