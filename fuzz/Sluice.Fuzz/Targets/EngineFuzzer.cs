namespace Sluice.Fuzz.Targets;

internal sealed class EngineFuzzer : IFuzzer
{
    public const string TargetName = "engine";

    public string Name => TargetName;

    public void FuzzTarget(ReadOnlySpan<byte> input)
    {
    }
}
