namespace Sluice.Fuzz.Targets;

/// <summary>The targets by command-line name.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = [NdjsonEventFuzzer.TargetName, RawJsonFuzzer.TargetName, EngineFuzzer.TargetName, ServerReplyFuzzer.TargetName];

    public static IFuzzer Create(string name) => name switch
    {
        NdjsonEventFuzzer.TargetName => new NdjsonEventFuzzer(),
        RawJsonFuzzer.TargetName => new RawJsonFuzzer(),
        EngineFuzzer.TargetName => new EngineFuzzer(),
        ServerReplyFuzzer.TargetName => new ServerReplyFuzzer(),
        _ => throw new ArgumentException($"Unknown target {name}.", nameof(name)),
    };
}
