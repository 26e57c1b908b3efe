using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sluice.Cli;

/// <summary>
/// Paths on the command line: an empty value (most often an unset shell variable, <c>--input "$FILE"</c>) is a usage error, not
/// the internal error the file APIs would make of it.
/// </summary>
internal static class PathValue
{
    public static Option<T> NotEmpty<T>(this Option<T> option)
    {
        option.Validators.Add(r => Check(r, option.Name));
        return option;
    }

    public static Argument<T> NotEmpty<T>(this Argument<T> argument)
    {
        argument.Validators.Add(r => Check(r, argument.Name));
        return argument;
    }

    private static void Check(SymbolResult result, string name)
    {
        if (result.Tokens is [var token] && string.IsNullOrWhiteSpace(token.Value))
            result.AddError($"{name} needs a path, not an empty value.");
    }
}
