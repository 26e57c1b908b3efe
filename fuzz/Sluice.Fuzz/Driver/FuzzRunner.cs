using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sluice.Fuzz.Oracles;

namespace Sluice.Fuzz.Driver;

/// <summary>
/// The mutational loop: runs every seed, then mutates corpus entries for the time budget, keeping
/// inputs that reach an outcome not seen before. Stops at the first failure: minimises the input if
/// cheap, writes it under <c>crashes/TARGET/</c> with the exception, and prints the path and seed.
/// A watchdog reports an input that runs longer than the timeout as a hang.
/// </summary>
internal sealed class FuzzRunner(IFuzzer target, FuzzOptions options, string fuzzDirectory, TextWriter output)
{
    private const int MaxCorpus = 4096;

    private readonly List<byte[]> _corpus = [];
    private readonly HashSet<string> _outcomes = [];

    // Written by the fuzzing thread before each input, read by the watchdog.
    private volatile byte[]? _current;
    private long _currentStarted;

    public long Executions { get; private set; }

    /// <summary>Fuzzes for the time budget; returns 0 if nothing failed, 1 on a failure.</summary>
    public int Run()
    {
        var rng = new Random(options.Seed);
        var dictionary = target.Dictionary is { } dictName ? TokenDictionary.Load(Path.Combine(fuzzDirectory, dictName)) : TokenDictionary.Empty;
        var mutator = new Mutator(dictionary, options.MaxLength);
        var seeds = LoadSeeds();
        output.WriteLine($"fuzz target={target.Name} seed={options.Seed} seconds={options.Seconds} seeds={seeds.Count} dictionary={dictionary.Tokens.Count} tokens");

        using var watchdog = new Timer(_ => CheckHang(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(options.Seconds);
        var nextReport = TimeSpan.FromSeconds(5);

        foreach (var seed in seeds)
        {
            if (Execute(seed) is { } failure)
                return Fail(seed, failure, clock);
            Keep(seed, force: true);
        }

        if (_corpus.Count == 0)
            _corpus.Add([]);

        while (clock.Elapsed < budget)
        {
            var parent = _corpus[rng.Next(_corpus.Count)];
            var child = mutator.Mutate(parent, rng, _corpus);
            if (Execute(child) is { } failure)
                return Fail(child, failure, clock);
            Keep(child, force: false);

            if (clock.Elapsed >= nextReport)
            {
                Report(clock, "");
                nextReport += TimeSpan.FromSeconds(5);
            }
        }

        Report(clock, "done ");
        return 0;
    }

    /// <summary>Runs one saved input <see cref="FuzzOptions.Runs"/> times; returns 0 if it passes every time.</summary>
    public int Replay(string path)
    {
        var input = File.ReadAllBytes(path);
        for (int run = 1; run <= options.Runs; run++)
        {
            try
            {
                target.FuzzTarget(input);
            }
            catch (Exception ex)
            {
                output.WriteLine($"replay {path} ({input.Length} bytes), run {run}: FAILED");
                output.WriteLine(ex);
                return 1;
            }
        }

        output.WriteLine($"replay {path} ({input.Length} bytes): passed {options.Runs} run(s); outcome: {target.LastOutcome}");
        return 0;
    }

    /// <summary>Runs one input; returns what it threw, or null.</summary>
    private Exception? Execute(byte[] input)
    {
        _currentStarted = Stopwatch.GetTimestamp();
        _current = input;
        try
        {
            target.FuzzTarget(input);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            _current = null;
            Executions++;
        }
    }

    private void Keep(byte[] input, bool force)
    {
        string? outcome = target.LastOutcome;
        bool isNew = outcome is not null && _outcomes.Add(outcome);
        if (isNew)
            FuzzLog.Line("new outcome: " + outcome);
        if ((force || isNew) && _corpus.Count < MaxCorpus)
            _corpus.Add(input);
    }

    private int Fail(byte[] input, Exception failure, Stopwatch clock)
    {
        long executions = Executions;
        var elapsed = clock.Elapsed;
        string signature = Signature(failure);
        var minimal = input.Length <= 1024 * 1024 ? Minimize(input, signature) : input;
        string path = Save("crash", minimal, failure);
        output.WriteLine();
        output.WriteLine($"CRASH target={target.Name} seed={options.Seed} after {executions:N0} executions ({elapsed.TotalSeconds:F1} s)");
        output.WriteLine($"  input: {path} ({minimal.Length} bytes, minimised from {input.Length})");
        output.WriteLine($"  error: {failure.GetType().Name}: {FirstLine(failure.Message)}");
        if (minimal.Length <= 4096)
            output.WriteLine($"  input as base64 (decode into a file to replay): {Convert.ToBase64String(minimal)}");
        output.WriteLine($"  replay: dotnet run -c Release --project fuzz/Sluice.Fuzz -- --target {target.Name} --replay {path}");
        return 1;
    }

    /// <summary>Removes chunks (halves down to single bytes) while the input still fails the same way; a few seconds at most.</summary>
    private byte[] Minimize(byte[] input, string signature)
    {
        var deadline = Stopwatch.StartNew();
        var best = input;
        for (int chunk = Math.Max(1, best.Length / 2); chunk >= 1 && deadline.Elapsed < TimeSpan.FromSeconds(10); chunk /= 2)
        {
            for (int at = 0; at + chunk <= best.Length && deadline.Elapsed < TimeSpan.FromSeconds(10);)
            {
                byte[] candidate = [.. best.AsSpan(0, at), .. best.AsSpan(at + chunk)];
                if (Execute(candidate) is { } f && Signature(f) == signature)
                    best = candidate;
                else
                    at += chunk;
            }
        }

        return best;
    }

    private string Save(string kind, byte[] input, Exception failure)
    {
        string dir = Path.Combine(fuzzDirectory, "crashes", target.Name);
        Directory.CreateDirectory(dir);
        string name = $"{kind}-{Convert.ToHexStringLower(SHA256.HashData(input))[..12]}";
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, input);
        File.WriteAllText(path + ".txt", string.Create(CultureInfo.InvariantCulture,
            $"target: {target.Name}\nseed: {options.Seed}\nlength: {input.Length}\nreplay: dotnet run -c Release --project fuzz/Sluice.Fuzz -- --target {target.Name} --replay {path}\n\n{failure}\n"));
        return Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
    }

    private void CheckHang()
    {
        var input = _current;
        if (input is null || Stopwatch.GetElapsedTime(Volatile.Read(ref _currentStarted)) < options.Timeout)
            return;
        string path = Save("hang", input, new TimeoutException($"One input ran longer than {options.Timeout.TotalSeconds} s."));
        output.WriteLine();
        output.WriteLine($"HANG target={target.Name} seed={options.Seed}: an input ran longer than {options.Timeout.TotalSeconds} s");
        output.WriteLine($"  input: {path} ({input.Length} bytes)");
        output.Flush();
        Environment.Exit(2);
    }

    private void Report(Stopwatch clock, string prefix)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{prefix}#{Executions} {Executions / Math.Max(seconds, 1e-9):F0} exec/s corpus={_corpus.Count} outcomes={_outcomes.Count} elapsed={seconds:F0}s"));
    }

    private List<byte[]> LoadSeeds()
    {
        string dir = Path.Combine(fuzzDirectory, "corpora", target.Name);
        return Directory.Exists(dir)
            ? [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)]
            : [];
    }

    /// <summary>What makes two failures "the same" while minimising: the exception type and the oracle rule or throwing method.</summary>
    private static string Signature(Exception ex) => ex is OracleFailure o
        ? "oracle:" + o.Rule
        : ex.GetType().FullName + ":" + ex.TargetSite?.Name;

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? s : s[..nl];
    }
}
