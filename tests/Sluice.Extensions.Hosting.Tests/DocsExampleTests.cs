using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Collector;
using Sluice.Delivery.Transports.Http;
using Sluice.Spooling;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>
/// The configuration examples of docs/hosting.md and of the package's README, read from the files themselves: what a
/// user copies does what the text says.
/// </summary>
public partial class DocsExampleTests
{
    [Fact]
    public void The_full_configuration_example_binds_every_key_to_the_defaults_it_claims()
    {
        // "the values above are the defaults (except DefaultContext, UserAgent, Headers and Spool, which have none)"
        var options = Bind(JsonBlocks(Doc("hosting.md"))[0]);
        var engine = options.Engine;
        var defaults = new SluiceOptions();

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal(("ThriveStack", new Uri("https://api.app.thrivestack.ai")), (options.Format, options.Endpoint));
        Assert.Equal(
            (defaults.MaxBatchEvents, defaults.MaxBatchBytes, defaults.FlushInterval, defaults.QueueCapacity, defaults.FullMode, defaults.FullModeWaitTimeout, defaults.MaxConcurrentSends),
            (engine.MaxBatchEvents, engine.MaxBatchBytes, engine.FlushInterval, engine.QueueCapacity, engine.FullMode, engine.FullModeWaitTimeout, engine.MaxConcurrentSends));
        Assert.Equal(
            (defaults.ShutdownTimeout, defaults.MaxSendAttempts, defaults.RetryBudget, defaults.RetryBaseDelay, defaults.RetryMaxDelay, defaults.UnauthorizedProbeInterval),
            (engine.ShutdownTimeout, engine.MaxSendAttempts, engine.RetryBudget, engine.RetryBaseDelay, engine.RetryMaxDelay, engine.UnauthorizedProbeInterval));
        Assert.Equal(SluiceServiceOptions.DefaultName, engine.Name);
        var http = new HttpTransportOptions();
        Assert.Equal((http.Gzip, http.RequestTimeout), (options.Http.Gzip, options.Http.RequestTimeout));
        var spool = new SpoolOptions();
        Assert.Equal((spool.MaxBytes, spool.Sync, spool.SyncInterval, spool.SegmentBytes), (engine.Spool!.MaxBytes, engine.Spool.Sync, engine.Spool.SyncInterval, engine.Spool.SegmentBytes));
        Assert.Equal("/var/lib/my-app/sluice", engine.Spool.DirectoryPath);
        Assert.Equal("my-app/3.1.0", options.Http.UserAgent);
        Assert.Equal("acme", options.Http.Headers["X-Tenant"]);

        // With real credentials in place of the "…" placeholders, nothing else is a problem.
        options.Credentials.Token = "track-token";
        options.Credentials.ApiKey = "page-key";
        EngineSettings.Complete(options);
        Assert.Empty(EngineSettings.Problems(options));
    }

    [Fact]
    public async Task The_validation_example_is_the_message_the_host_fails_to_start_with()
    {
        // The example's four problems, each from its own key; the rest of the section is valid.
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:Format"] = "Segment",
            ["Sluice:Endpoint"] = "https://collector.example.com",
            ["Sluice:Credentials:WriteKey"] = "",
            ["Sluice:WireFormat"] = "Segment",
            ["Sluice:FlushInterval"] = "soon",
            ["Sluice:MaxBatchEvents"] = "0",
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        string documented = Regex.Replace(CodeBlocks(Doc("hosting.md"), "").Single(b => b.StartsWith("The Sluice engine", StringComparison.Ordinal)), @"\s+", " ").Trim();
        Assert.Equal(documented, ex.Message);
    }

    [Fact]
    public void The_error_for_a_plain_SluiceEngine_with_only_named_engines_is_the_documented_one()
    {
        var builder = TestHost.Builder();
        builder.Services.AddSluice("product", o => o.Endpoint = new Uri("https://collector.example.com"));
        builder.Services.AddSluice("marketing", o => o.Endpoint = new Uri("https://collector.example.com"));
        using var host = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<SluiceEngine>());

        string documented = Regex.Replace(CodeBlocks(Doc("hosting.md"), "").Single(b => b.StartsWith("No default Sluice engine", StringComparison.Ordinal)), @"\s+", " ").Trim();
        Assert.Equal(documented, ex.Message);
    }

    [Fact]
    public async Task The_package_readme_example_starts_a_host_that_delivers_with_its_settings()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        string json = JsonBlocks(Doc("package-README.md"))[0];
        var builder = TestHost.Builder();
        builder.Configuration.Sources.Clear(); // the example alone, not the tests' appsettings.json
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // In place of the example's "https://collector.example.com" and "…": the collector's address and write key.
            ["Sluice:Endpoint"] = collector.BaseAddress.AbsoluteUri,
            ["Sluice:Credentials:WriteKey"] = collector.Credentials.SegmentWriteKey,
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Engine();
        Assert.Equal((500, TimeSpan.FromSeconds(2)), (engine.Options.MaxBatchEvents, engine.Options.FlushInterval));

        for (int i = 0; i < 501; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track($"user-{i % 7}", "signed_up").Status);
        await host.StopAsync();

        Assert.Equal(501, collector.Received(CollectorApi.Segment).EventCount);
        Assert.Equal(2, collector.Received(CollectorApi.Segment).RequestCount); // 500 a batch
    }

    [Fact]
    public void The_logging_table_gives_each_of_the_packages_own_log_events_id_name_and_level()
    {
        var documented = LogRow().Matches(Doc("hosting.md")).Select(m => $"{m.Groups["id"].Value} {m.Groups["name"].Value} {m.Groups["level"].Value}");
        var logged = typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => $"{a.EventId} {a.EventName} {a.Level}");
        Assert.Equal(logged.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_health_checks_data_has_the_documented_keys()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        string paragraph = Doc("hosting.md")[Doc("hosting.md").IndexOf("Its data:", StringComparison.Ordinal)..];
        var documented = Regex.Matches(paragraph[..paragraph.IndexOf('.', StringComparison.Ordinal)], "`(\\w+)`").Select(m => m.Groups[1].Value);
        Assert.Equal(report.Entries["sluice"].Data.Keys.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        await host.StopAsync();
    }

    private static SluiceServiceOptions Bind(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var options = new SluiceServiceOptions();
        SluiceConfiguration.Bind(configuration.GetSection("Sluice"), options);
        return options;
    }

    private static string Doc(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", name));

    private static List<string> JsonBlocks(string markdown) => CodeBlocks(markdown, "json");

    private static List<string> CodeBlocks(string markdown, string language)
        => [.. CodeBlock().Matches(markdown).Where(m => m.Groups["lang"].Value == language).Select(m => m.Groups["body"].Value)];

    [GeneratedRegex(@"^\| (?<id>1\d\d) \| `(?<name>\w+)` \| (?<level>\w+) \|", RegexOptions.Multiline)]
    private static partial Regex LogRow();

    [GeneratedRegex(@"^```(?<lang>\w*)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
