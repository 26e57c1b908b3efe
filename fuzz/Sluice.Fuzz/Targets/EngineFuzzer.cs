namespace Sluice.Fuzz.Targets;

/// <summary>
/// Target 3: an engine with random options fed a random program of events, delivering to a server
/// with one random behaviour (see <see cref="EngineRun"/>, <see cref="FuzzServer"/>). Oracles: every
/// body strictly valid JSON within both limits; every event sent as the model expects, delivered at
/// most once, ending in the state its last answer implies (and what the server's behaviour implies:
/// bisection delivers all but the poison, splitting delivers all that fit the proxy, retries deliver
/// within the attempts allowed) or counted oversize only if it cannot fit, or evicted; per-producer
/// order; maximal batches; counters equal to the calls' results and the answers given; no internal
/// error; the engine still accepts afterwards. The input is a program, not JSON, so no dictionary.
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
