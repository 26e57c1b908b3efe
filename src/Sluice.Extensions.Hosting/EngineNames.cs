using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Resolves an engine by its name in any case, as configuration reads its sections (<c>Sluice:Main</c> is <c>sluice:main</c>)
/// and as <c>AddSluice</c> refuses a second name that differs only in case; and, when no engine has the name asked for (or a
/// plain <see cref="SluiceEngine"/> is asked for and only named engines were added), says which engines there are and how to
/// take one. Keyed services compare keys with <c>Equals</c>: "main" found no engine added as "Main", and a name not added
/// met the container's "No service for type 'Sluice.SluiceEngine'" alone.
/// </summary>
internal static class EngineNames
{
    /// <summary>The engine <paramref name="key"/> names, ignoring case; for every key not added as spelt (<c>KeyedService.AnyKey</c>).</summary>
    public static SluiceEngine Keyed(IServiceProvider services, object? key)
    {
        var names = Added(services);
        if (key is string name && names.Find(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } added)
            return services.GetRequiredKeyedService<SluiceEngine>(added);
        throw new InvalidOperationException($"No Sluice engine is named '{key}' ({List(names)}; names are case-insensitive). "
            + $"Take one of them ([FromKeyedServices(\"{names[0]}\")] SluiceEngine), or add this one: services.AddSluice(\"{key}\", configuration.GetSection(…)).");
    }

    /// <summary>The default engine, for a plain <see cref="SluiceEngine"/>.</summary>
    public static SluiceEngine Default(IServiceProvider services)
    {
        var names = Added(services);
        if (names.Contains(SluiceServiceOptions.DefaultName))
            return services.GetRequiredKeyedService<SluiceEngine>(SluiceServiceOptions.DefaultName);
        throw new InvalidOperationException($"No default Sluice engine was added, so SluiceEngine cannot be resolved without a name ({List(names)}). "
            + $"Take a named one ([FromKeyedServices(\"{names[0]}\")] SluiceEngine, or GetRequiredKeyedService<SluiceEngine>(\"{names[0]}\")), "
            + "or add the default engine: services.AddSluice(configuration.GetSection(\"Sluice\")).");
    }

    // At least one: these resolvers are added with the first engine.
    private static List<string> Added(IServiceProvider services) => [.. services.GetServices<SluiceRegistration>().Select(static r => r.Name)];

    private static string List(List<string> names) => names is [var one]
        ? $"the one engine added is '{one}'"
        : $"the engines added are {string.Join(", ", names[..^1].Select(static n => $"'{n}'"))} and '{names[^1]}'";
}
