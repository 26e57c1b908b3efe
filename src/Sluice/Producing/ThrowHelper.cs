using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Sluice.Producing;

/// <summary>Throws out of line so the hot paths that validate stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string message, string? paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string message, string? paramName, Exception inner) => throw new ArgumentException(message, paramName, inner);

    /// <summary>An exception's message without the " (Parameter 'x')" the runtime appends, for a message that names its field already.</summary>
    public static string MessageOf(ArgumentException ex)
    {
        string message = ex.Message;
        string suffix = $" (Parameter '{ex.ParamName}')";
        return ex.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}
