namespace Sluice.Tests.Support;

/// <summary>A "random" source that always draws the same fraction, so jittered waits are known exactly.</summary>
public sealed class FixedRandom(double fraction) : Random
{
    public override double NextDouble() => fraction;

    protected override double Sample() => fraction;
}
