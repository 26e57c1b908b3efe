using System.Globalization;
using Sluice.Cli;

// One output for every machine: numbers as 1,234.5 and the parser's messages in English, whatever the
// locale (scripts read the summary).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

using var interrupts = Interrupts.FromSignals();
return await CommandLine.RunAsync(args, CliConsole.System(), interrupts);
