namespace Sluice.Fuzz;

/// <summary>
/// One fuzz target: a place where outside bytes enter Sluice. The shape follows dotnet/runtime's
/// <c>DotnetFuzzing.IFuzzer</c>, so a coverage-guided engine (SharpFuzz + libFuzzer) can drive the
/// same classes later; here the built-in mutational driver calls <see cref="FuzzTarget"/>.
/// A target throws on failure: <see cref="Oracles.OracleFailure"/> when an oracle is violated,
/// anything else when Sluice itself threw where it must not.
/// </summary>
internal interface IFuzzer
{
    /// <summary>The name on the command line and of the corpus folder (<c>fuzz/corpora/NAME</c>).</summary>
    string Name { get; }

    /// <summary>Assemblies a coverage-guided engine should instrument.</summary>
    string[] TargetAssemblies => ["Sluice.Engine"];

    /// <summary>CoreLib prefixes to instrument (none: the code under test is Sluice's).</summary>
    string[] TargetCoreLibPrefixes => [];

    /// <summary>The token dictionary under <c>fuzz/</c>, if the target's input is JSON-like.</summary>
    string? Dictionary => "json.dict";

    /// <summary>A short description of how the last input ended (a refusal reason, "accepted", ...): the driver keeps inputs that reach new outcomes.</summary>
    string? LastOutcome => null;

    /// <summary>Runs one input; throws if an oracle fails.</summary>
    void FuzzTarget(ReadOnlySpan<byte> input);
}
