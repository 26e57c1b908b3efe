namespace Sluice.Fuzz.Targets;

/// <summary>
/// Target 3: an engine with random options fed a random program of events (see <see cref="EngineRun"/>).
/// Oracles: every batch strictly valid JSON within both limits; every accepted event sent exactly once
/// as the model expects, or counted as oversize (only if it cannot fit) or evicted; per-producer order;
/// batches closed for size are maximal; the counters add up to the calls' results and to what the
/// transport saw; no internal error; the engine still accepts afterwards. The input is a program,
/// not JSON, so no dictionary.
/// </summary>
internal sealed class EngineFuzzer : IFuzzer
{
    public const string TargetName = "engine";

    public string Name => TargetName;

    public string? Dictionary => null;

    public string? LastOutcome { get; private set; }

    public void FuzzTarget(ReadOnlySpan<byte> input)
    {
        var run = new EngineRun(input.ToArray());
        run.Execute();
        LastOutcome = run.Outcome;
    }
}
