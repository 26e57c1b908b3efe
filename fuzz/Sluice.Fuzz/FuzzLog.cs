namespace Sluice.Fuzz;

/// <summary>Extra output for investigating a failure (<c>--verbose</c>): new outcomes, and what a target expected.</summary>
internal static class FuzzLog
{
    public static bool Verbose { get; set; }

    public static void Line(string text)
    {
        if (Verbose)
            Console.Error.WriteLine(text);
    }
}
