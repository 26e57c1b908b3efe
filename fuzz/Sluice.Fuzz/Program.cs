using Sluice.Fuzz;
using Sluice.Fuzz.Driver;
using Sluice.Fuzz.Targets;

// dotnet run -c Release --project fuzz/Sluice.Fuzz -- --target NAME --seconds N [--seed S]
//                                                   --target NAME --replay FILE [--runs N]
//                                                   --list
FuzzOptions options;
try
{
    options = FuzzOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("usage: --target NAME --seconds N [--seed S] [--max-len BYTES] [--timeout S] | --target NAME --replay FILE [--runs N] | --list; --verbose for details");
    return 64;
}

FuzzLog.Verbose = options.Verbose;
if (options.List)
{
    foreach (var name in FuzzTargets.Names)
        Console.WriteLine(name);
    return 0;
}

string? targetName = options.Target ?? (options.Replay is { } replayPath ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(replayPath))) : null);
if (targetName is null || !FuzzTargets.Names.Contains(targetName))
{
    Console.Error.WriteLine($"--target must be one of: {string.Join(", ", FuzzTargets.Names)}");
    return 64;
}

string fuzzDirectory = options.FuzzDirectory ?? FindFuzzDirectory();
var target = FuzzTargets.Create(targetName);
try
{
    var runner = new FuzzRunner(target, options, fuzzDirectory, Console.Out);
    return options.Replay is { } replay ? runner.Replay(replay) : runner.Run();
}
finally
{
    (target as IDisposable)?.Dispose();
}

// The repository's fuzz/ folder: searched upwards from the working directory, then from the program.
static string FindFuzzDirectory()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "json.dict")) && Directory.Exists(Path.Combine(dir.FullName, "corpora")))
                return dir.FullName;
            if (Directory.Exists(Path.Combine(dir.FullName, "fuzz", "corpora")))
                return Path.Combine(dir.FullName, "fuzz");
        }
    }

    throw new DirectoryNotFoundException("Cannot find the fuzz/ folder (with corpora/ and json.dict); pass --fuzz-dir.");
}
