using System.Text.Json;
using Sluice.Cli;

namespace Sluice.Tests.Cli;

public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-cli-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Send_delivers_the_good_lines_and_reports_each_bad_line_with_its_number_and_reason()
    {
        Directory.CreateDirectory(_dir);
        string input = Path.Combine(_dir, "events.ndjson");
        string outDir = Path.Combine(_dir, "out");
        await File.WriteAllLinesAsync(input,
        [
            """{"user_id":"3e474abe-5943-41fd-8b7b-4c87ad95b0c7","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059Z","properties":{"email":"JohnDoe@acmelabs.com"},"context":{"group_id":"g"}}""",
            """{"session_id":"1rwttH3IN","timestamp":"2024-10-20T15:51:35.059000Z","properties":{"page_name":"Homepage"}}""",
            """{"user_id":"u","event_name":"bad json",""",
            """{"event_name":"no user"}""",
            """{"user_id":"u","session_id":"s"}""",
            // The (invalid) timestamp of spec 001's own example.
            """{"user_id":"u","event_name":"signed_up","timestamp":"20-11-23T22:28:55.111Z"}""",
            "",
            """{"user_id":"0rwtoH3IN","timestamp":"2024-10-20T15:51:35.059000+02:00"}""",
        ]);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = await CommandLine.RunAsync(["send", "--input", input, "--out", outDir], TextReader.Null, stdout, stderr);

        Assert.Equal(1, exit);
        string errors = stderr.ToString();
        Assert.Contains("line 3: Not valid JSON", errors, StringComparison.Ordinal);
        Assert.Contains("line 4: user_id is required", errors, StringComparison.Ordinal);
        Assert.Contains("line 5: A page event takes user_id or session_id, not both", errors, StringComparison.Ordinal);
        Assert.Contains("line 6: timestamp '20-11-23T22:28:55.111Z' is not ISO 8601", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("line 7", errors, StringComparison.Ordinal);
        Assert.Contains("4 lines refused", stdout.ToString(), StringComparison.Ordinal);

        var files = Directory.GetFiles(outDir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        using var track = JsonDocument.Parse(await File.ReadAllBytesAsync(files.Single(f => f.EndsWith("api-track.json", StringComparison.Ordinal))));
        var signedUp = Assert.Single(track.RootElement.EnumerateArray().ToList());
        Assert.Equal("signed_up", signedUp.GetProperty("event_name").GetString());
        Assert.Equal("2024-10-20T15:51:35.059000Z", signedUp.GetProperty("timestamp").GetString());
        using var page = JsonDocument.Parse(await File.ReadAllBytesAsync(files.Single(f => f.EndsWith("api-page.json", StringComparison.Ordinal))));
        var pages = page.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, pages.Count);
        Assert.Equal("2024-10-20T13:51:35.059000Z", pages[1].GetProperty("timestamp").GetString()); // converted to UTC
    }

    [Fact]
    public async Task Send_reads_standard_input_and_exits_zero_when_every_line_is_delivered()
    {
        var stdin = new StringReader("""{"user_id":"u","event_name":"e"}""" + "\n" + """{"session_id":"s"}""" + "\n");
        var stdout = new StringWriter();
        int exit = await CommandLine.RunAsync(["send", "--input", "-", "--out", _dir], stdin, stdout, new StringWriter());
        Assert.Equal(0, exit);
        Assert.Contains("2 events delivered", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_runs_a_small_number_of_events_through_the_engine()
    {
        var stdout = new StringWriter();
        int exit = await CommandLine.RunAsync(["demo", "--events", "5000", "--out", _dir], TextReader.Null, stdout, new StringWriter());

        Assert.Equal(0, exit);
        string text = stdout.ToString();
        Assert.Contains("5,000 events", text, StringComparison.Ordinal);
        Assert.Contains("events/s", text, StringComparison.Ordinal);
        Assert.Matches(@"delivered\s+5,000", text);
        long events = Directory.GetFiles(_dir).Sum(f => JsonDocument.Parse(File.ReadAllBytes(f)).RootElement.GetArrayLength());
        Assert.Equal(5000, events);
    }

    [Fact]
    public async Task Demo_reports_the_end_to_end_figure_next_to_the_ceiling_with_the_allocation()
    {
        var stdout = new StringWriter();
        int exit = await CommandLine.RunAsync(["demo", "--events", "2000", "--out", _dir], TextReader.Null, stdout, new StringWriter());

        Assert.Equal(0, exit);
        var line = Assert.Single(stdout.ToString().Split('\n'), l => l.Contains("end to end", StringComparison.Ordinal) && l.Contains("ceiling", StringComparison.Ordinal));
        var figures = System.Text.RegularExpressions.Regex.Match(line, @"end to end ([\d,]+) events/s, ([\d.]+) B allocated per event .*ceiling ([\d,]+) events/s; ratio ([\d.]+)");
        Assert.True(figures.Success, line);
        double endToEnd = double.Parse(figures.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        double ceiling = double.Parse(figures.Groups[3].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(endToEnd > 0 && ceiling > 0, line);
        double ratio = double.Parse(figures.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(Math.Abs((endToEnd / ceiling) - ratio), 0, 0.006); // the printed ratio is the printed figures' (up to rounding)
    }

    [Fact]
    public async Task An_unknown_command_prints_the_usage_and_exits_2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["nope"], TextReader.Null, new StringWriter(), stderr));
        Assert.Contains("Usage:", stderr.ToString(), StringComparison.Ordinal);
    }
}
