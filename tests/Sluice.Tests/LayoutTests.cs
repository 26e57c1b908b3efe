using System.Text.RegularExpressions;

namespace Sluice.Tests;

/// <summary>
/// docs/architecture.md: the folders of src/Sluice follow the pipeline and no two of them import each other;
/// the engine at the root ties them together. Read from the source, so a new <c>using</c> that closes a loop
/// fails here, next to the file that added it.
/// </summary>
public sealed partial class LayoutTests
{
    // The stages in the order the data flows; Diagnostics sits beside all of them.
    private static readonly string[] Stages = ["Producing", "Buffering", "Serialization", "Batching", "Spooling", "Delivery", "Diagnostics"];

    [Fact]
    public void The_engine_folders_are_the_pipeline_stages()
    {
        var folders = Directory.GetDirectories(SourceRoot())
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(Stages.Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void No_stage_imports_another_that_imports_it_back_even_through_a_third()
    {
        var imports = Stages.ToDictionary(stage => stage, ImportsOf);

        // Depth-first search for a cycle; the path found is the message.
        var done = new HashSet<string>();
        foreach (string stage in Stages)
        {
            var cycle = FindCycle(stage, imports, [], done);
            Assert.True(cycle is null, $"src/Sluice imports in a loop: {string.Join(" → ", cycle ?? [])}");
        }
    }

    [Fact]
    public void The_cycle_check_sees_a_qualified_name_as_well_as_a_using()
    {
        // The check can fail: a source file with either form of reference counts as importing.
        Assert.Equal(["Delivery"], ReferencedStages("using Sluice.Delivery;\nclass A;", "Batching"));
        Assert.Equal(["Spooling"], ReferencedStages("class A { Sluice.Spooling.SpoolTicket? T; }", "Batching"));
        Assert.Empty(ReferencedStages("/// <see cref=\"Sluice.Delivery.X\"/>\n// Sluice.Delivery.Y\nclass A;", "Batching"));
    }

    private static List<string>? FindCycle(string stage, Dictionary<string, HashSet<string>> imports, List<string> path, HashSet<string> done)
    {
        int at = path.IndexOf(stage);
        if (at >= 0)
            return [.. path[at..], stage];
        if (done.Contains(stage))
            return null;

        path.Add(stage);
        foreach (string next in imports[stage].Order(StringComparer.Ordinal))
        {
            if (FindCycle(next, imports, path, done) is { } cycle)
                return cycle;
        }

        path.RemoveAt(path.Count - 1);
        done.Add(stage);
        return null;
    }

    private static HashSet<string> ImportsOf(string stage)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(SourceRoot(), stage), "*.cs", SearchOption.AllDirectories))
        {
            if (!file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                found.UnionWith(ReferencedStages(File.ReadAllText(file), stage));
        }

        return found;
    }

    /// <summary>The other stages a file names in code (a <c>using</c> or a qualified name), comments left out.</summary>
    private static IEnumerable<string> ReferencedStages(string source, string stage)
    {
        string code = Comment().Replace(source, "");
        return StageReference().Matches(code)
            .Select(m => m.Groups[1].Value)
            .Where(name => name != stage && Stages.Contains(name))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
    }

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                return Path.Combine(dir.FullName, "src", "Sluice");
        }

        throw new InvalidOperationException("Engine.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\bSluice\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex StageReference();
}
