using Microsoft.Extensions.Options;

namespace Sluice.Extensions.Hosting;

/// <summary>Validates each engine's options when the host starts (<c>ValidateOnStart</c>): every problem in one message.</summary>
internal sealed class SluiceOptionsValidator : IValidateOptions<SluiceServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, SluiceServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = EngineSettings.Problems(options);
        // The unnamed options are the default engine's (SluiceServiceOptions.OptionsName).
        string engine = string.IsNullOrEmpty(name) ? SluiceServiceOptions.DefaultName : name;
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"The Sluice engine '{engine}' is not configured correctly: " + string.Join(" ", problems));
    }
}
