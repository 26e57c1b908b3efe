using System.CommandLine;

namespace Sluice.Cli;

/// <summary>The options of <c>sluice demo</c>.</summary>
internal static class DemoCommandLine
{
    public const string Notes = """
        The figures are this machine's, measured on this run: end-to-end events/s from the first call to the
        last batch file written, and the bytes the whole process allocated per event. bench/ has the rigorous
        benchmarks (BenchmarkDotNet) and their ratios.
        """;

    public static Command Build(CliConsole console, Interrupts interrupts)
    {
        var events = new Option<long>("--events", "-n")
        {
            Description = "How many events to send.",
            HelpName = "N",
            DefaultValueFactory = _ => 2_000_000,
            CustomParser = Count.Parser(1, "events"),
        };
        var output = new Option<string?>("--out", "-o") { Description = "The directory for the batch files. [default: a new folder in the temporary directory]", HelpName = "DIR" }.NotEmpty();
        var clean = new Option<bool>("--clean") { Description = "Delete the batch files at the end (they are kept by default)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress line." };
        var command = new Command("demo", "Run synthetic events (track and page) through the engine into batch files and measure it on this machine.")
        {
            events, output, clean, quiet,
        };
        command.SetAction((parse, _) => DemoCommand.RunAsync(parse.GetValue(events), parse.GetValue(output), parse.GetValue(clean), parse.GetValue(quiet), console, interrupts));
        return command;
    }
}
