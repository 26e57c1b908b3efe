using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Makes <see cref="SluiceServiceOptions"/> as <see cref="OptionsFactory{TOptions}"/> does, with two differences:
/// <list type="bullet">
/// <item><see cref="EngineSettings.Complete"/> runs after every post-configuration, so one an application adds after
/// <c>AddSluice</c> (an <c>Endpoint</c>, <c>Format</c> or credential from a vault) reaches the transport; as a
/// post-configuration of its own it ran first, and the transport kept the address and credentials from before.</item>
/// <item>The name <see cref="SluiceServiceOptions.DefaultName"/> is refused (in any case): the default engine's options are the unnamed
/// ones (<see cref="Options.DefaultName"/>), as .NET applications expect, so options configured or read by the name
/// <c>default</c> would reach no engine.</item>
/// <item>An engine's name is one in any case, as <c>AddSluice</c> and the keyed engine take it: options configured,
/// post-configured or validated by <c>orders</c> reach the engine added as <c>Orders</c> (the Options pattern compares names
/// as spelt, and they reached nothing), and options read by <c>orders</c> are refused rather than given unconfigured.</item>
/// </list>
/// </summary>
internal sealed class SluiceOptionsFactory(
    IEnumerable<IConfigureOptions<SluiceServiceOptions>> setups,
    IEnumerable<IPostConfigureOptions<SluiceServiceOptions>> postConfigures,
    IEnumerable<IValidateOptions<SluiceServiceOptions>> validations,
    IEnumerable<SluiceRegistration> registrations)
    : OptionsFactory<SluiceServiceOptions>(
        [.. setups.Select(s => AsAdded(s, registrations))],
        [.. postConfigures.Select(p => AsAdded(p, registrations)), Completion],
        [.. validations.Select(v => AsAdded(v, registrations))])
{
    private static readonly PostConfigureOptions<SluiceServiceOptions> Completion = new(name: null, EngineSettings.Complete);

    private readonly bool _namesDefault = setups.Concat<object>(postConfigures).Concat(validations)
        .Any(r => string.Equals(TargetName(r), SluiceServiceOptions.DefaultName, StringComparison.OrdinalIgnoreCase));

    private readonly string[] _engines = [.. registrations.Select(r => r.Name)];

    protected override SluiceServiceOptions CreateInstance(string name)
    {
        if (Array.Find(_engines, e => e != name && e != SluiceServiceOptions.DefaultName && e.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } engine)
        {
            throw new OptionsValidationException(name, typeof(SluiceServiceOptions),
                [$"SluiceServiceOptions named '{name}' are no engine's: the engine is named '{engine}' (IOptionsMonitor<SluiceServiceOptions>.Get(\"{engine}\"))."]);
        }

        if (name.Equals(SluiceServiceOptions.DefaultName, StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsValidationException(name, typeof(SluiceServiceOptions),
                [$"SluiceServiceOptions named '{name}' are no engine's: the default engine's options are the unnamed ones (IOptions<SluiceServiceOptions>, or IOptionsMonitor<SluiceServiceOptions>.CurrentValue)."]);
        }

        if (name == Options.DefaultName && _namesDefault)
        {
            throw new OptionsValidationException(name, typeof(SluiceServiceOptions),
                [$"The Sluice engine '{SluiceServiceOptions.DefaultName}' is not configured correctly: SluiceServiceOptions configured, post-configured or validated by the name '{SluiceServiceOptions.DefaultName}' reach no engine; the default engine's options are the unnamed ones (services.Configure<SluiceServiceOptions>(o => …))."]);
        }

        return base.CreateInstance(name);
    }

    /// <summary>The name of the engine <paramref name="registration"/> names in another case, as added (never the default engine's: that name is refused).</summary>
    private static string? AddedAs(object registration, IEnumerable<SluiceRegistration> registrations)
        => TargetName(registration) is { } target
            && registrations.FirstOrDefault(r => r.Name != target && r.Name.Equals(target, StringComparison.OrdinalIgnoreCase)) is { Name: not SluiceServiceOptions.DefaultName } added
            ? added.Name
            : null;

    private static IConfigureOptions<SluiceServiceOptions> AsAdded(IConfigureOptions<SluiceServiceOptions> setup, IEnumerable<SluiceRegistration> registrations)
        => setup is IConfigureNamedOptions<SluiceServiceOptions> named && AddedAs(setup, registrations) is { } name
            ? new ConfigureNamedOptions<SluiceServiceOptions>(name, o => named.Configure(TargetName(setup), o))
            : setup;

    private static IPostConfigureOptions<SluiceServiceOptions> AsAdded(IPostConfigureOptions<SluiceServiceOptions> postConfigure, IEnumerable<SluiceRegistration> registrations)
        => AddedAs(postConfigure, registrations) is { } name
            ? new PostConfigureOptions<SluiceServiceOptions>(name, o => postConfigure.PostConfigure(TargetName(postConfigure), o))
            : postConfigure;

    private static IValidateOptions<SluiceServiceOptions> AsAdded(IValidateOptions<SluiceServiceOptions> validation, IEnumerable<SluiceRegistration> registrations)
        => AddedAs(validation, registrations) is { } name ? new ValidatedAs(name, TargetName(validation)!, validation) : validation;

    /// <summary>A validation of the name <paramref name="target"/>, run for the options of <paramref name="name"/>.</summary>
    private sealed class ValidatedAs(string name, string target, IValidateOptions<SluiceServiceOptions> validation) : IValidateOptions<SluiceServiceOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, SluiceServiceOptions options)
            => optionsName == name ? validation.Validate(target, options) : ValidateOptionsResult.Skip;
    }

    /// <summary>The one name a registration of Microsoft.Extensions.Options applies to (null: every name, or not one of theirs).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Only the forms with dependencies (Configure<TDep>) are read by reflection; should trimming remove their Name, they go unchecked, as any other registration.")]
    private static string? TargetName(object registration) => registration switch
    {
        ConfigureNamedOptions<SluiceServiceOptions> configure => configure.Name,
        PostConfigureOptions<SluiceServiceOptions> postConfigure => postConfigure.Name,
        ValidateOptions<SluiceServiceOptions> validate => validate.Name,
        // Their forms with dependencies are generic over them, each with the same public Name.
        _ when registration.GetType() is { IsGenericType: true } type && type.Assembly == typeof(OptionsFactory<>).Assembly
            => type.GetProperty(nameof(ConfigureNamedOptions<SluiceServiceOptions>.Name))?.GetValue(registration) as string,
        _ => null,
    };
}
