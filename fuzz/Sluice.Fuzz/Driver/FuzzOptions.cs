using System.Globalization;

namespace Sluice.Fuzz.Driver;

/// <summary>The command line: <c>--target NAME --seconds N [--seed S] [--max-len B] [--timeout S] [--replay FILE [--runs N]] [--fuzz-dir DIR] [--verbose]</c>.</summary>
internal sealed class FuzzOptions
{
    public string? Target { get; private set; }

    public double Seconds { get; private set; } = 10;

    public int Seed { get; private set; } = Environment.TickCount ^ Environment.ProcessId;

    public int MaxLength { get; private set; } = 256 * 1024;

    /// <summary>One input running longer than this is reported as a hang.</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(30);

    public string? Replay { get; private set; }

    public int Runs { get; private set; } = 1;

    public string? FuzzDirectory { get; private set; }

    public bool List { get; private set; }

    public bool Verbose { get; private set; }

    public static FuzzOptions Parse(string[] args)
    {
        var o = new FuzzOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--target": o.Target = Value(); break;
                case "--seconds": o.Seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--max-len": o.MaxLength = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--timeout": o.Timeout = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--replay": o.Replay = Value(); break;
                case "--runs": o.Runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--fuzz-dir": o.FuzzDirectory = Value(); break;
                case "--list": o.List = true; break;
                case "--verbose": o.Verbose = true; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}.");
            }
        }

        return o;
    }
}
