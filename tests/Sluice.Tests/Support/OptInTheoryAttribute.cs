namespace Sluice.Tests.Support;

/// <summary>A theory that runs only when an environment variable is <c>1</c> (long or measuring runs); skipped otherwise, and said so.</summary>
public sealed class OptInTheoryAttribute : TheoryAttribute
{
    public OptInTheoryAttribute(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) != "1")
            Skip = $"Opt-in: set {variable}=1 to run.";
    }
}
