using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// Makes <see cref="SluiceServiceOptions"/> as <see cref="OptionsFactory{TOptions}"/> does, with two differences:
/// <list type="bullet">
/// <item><see cref="EngineSettings.Complete"/> runs after every post-configuration, so one an application adds after
/// <c>AddSluice</c> (an <c>Endpoint</c>, <c>Format</c> or credential from a vault) reaches the transport; as a
/// post-configuration of its own it ran first, and the transport kept the address and credentials from before.</item>
/// <item>The name <see cref="SluiceServiceOptions.DefaultName"/> is refused: the default engine's options are the unnamed
/// ones (<see cref="Options.DefaultName"/>), as .NET applications expect, so options configured or read by the name
/// <c>default</c> would reach no engine.</item>
/// </list>
/// </summary>
internal sealed class SluiceOptionsFactory(
    IEnumerable<IConfigureOptions<SluiceServiceOptions>> setups,
    IEnumerable<IPostConfigureOptions<SluiceServiceOptions>> postConfigures,
    IEnumerable<IValidateOptions<SluiceServiceOptions>> validations)
    : OptionsFactory<SluiceServiceOptions>(setups, [.. postConfigures, Completion], validations)
{
    private static readonly PostConfigureOptions<SluiceServiceOptions> Completion = new(name: null, EngineSettings.Complete);

    private readonly bool _namesDefault = setups.Concat<object>(postConfigures).Concat(validations).Any(r => TargetName(r) == SluiceServiceOptions.DefaultName);

    protected override SluiceServiceOptions CreateInstance(string name)
    {
        if (name == SluiceServiceOptions.DefaultName)
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
