using System.CommandLine;

namespace Sluice.Cli;

/// <summary>
/// Paths on the command line: an empty value (most often an unset shell variable, <c>--input "$FILE"</c>) is a usage error, not
/// the internal error the file APIs would make of it.
/// </summary>
internal static class PathValue
{
    public static Option<T> NotEmpty<T>(this Option<T> option)
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens is [var token] && string.IsNullOrWhiteSpace(token.Value))
                r.AddError($"{option.Name} needs a path, not an empty value.");
        });
        return option;
    }

    public static Argument<T> NotEmpty<T>(this Argument<T> argument)
    {
        argument.Validators.Add(r =>
        {
            if (r.Tokens is [var token] && string.IsNullOrWhiteSpace(token.Value))
                r.AddError($"{argument.Name} needs a path, not an empty value.");
        });
        return argument;
    }
}
