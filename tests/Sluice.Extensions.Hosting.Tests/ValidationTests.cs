using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Collector;
using Sluice.Serialization;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>A misconfigured engine stops the host at start, with every problem in one message and no secret in it.</summary>
public class ValidationTests
{
    [Fact]
    public async Task Every_configuration_problem_is_reported_in_one_message_when_the_host_starts()
    {
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:Format"] = "Segment",
            ["Sluice:Credentials:WriteKey"] = "",
            ["Sluice:Endpoint"] = "not a url",
            ["Sluice:MaxBatchEvents"] = "0",
            ["Sluice:FlushInterval"] = "soon",
            ["Sluice:WireFormat"] = "Segment",
            ["Sluice:Credentials:Password"] = "hunter2",
            ["Sluice:Headers:Authorization"] = "Bearer header-secret",
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        string failure = Assert.Single(ex.Failures);
        Assert.Equal(ex.Message, failure);
        Assert.StartsWith("The Sluice engine 'default' is not configured correctly: ", failure, StringComparison.Ordinal);
        Assert.Contains("Format Segment needs Sluice:Credentials:WriteKey: it authenticates the batch API.", failure, StringComparison.Ordinal);
        Assert.Contains("Endpoint must be an absolute http or https address (was 'not a url').", failure, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(failure, "Endpoint")); // one problem for it, not "must be absolute" and "is required" both
        Assert.Contains("Sluice:MaxBatchEvents must be between 1 and 100,000 (was 0).", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:FlushInterval must be a duration such as 00:00:05 (was 'soon').", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:WireFormat is not a setting: the wire format is chosen by Format", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:Credentials:Password is not a credential", failure, StringComparison.Ordinal);
        Assert.Contains("Headers: Authorization is written by the transport itself", failure, StringComparison.Ordinal);
        foreach (string secret in new[] { "config-track-token", "config-page-key", "config-client-id", "config-access-token", "hunter2", "header-secret" })
            Assert.DoesNotContain(secret, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_out_of_range_names_its_key_in_the_named_engines_section()
    {
        // "MaxBatchEvents must be at most 1,000" alone: with two engines, or the value in an environment variable
        // (Sluice__Marketing__MaxBatchEvents), the key to fix was left to guess; a value that did not parse named it.
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:Marketing:Format"] = "Segment",
            ["Sluice:Marketing:MaxBatchEvents"] = "5000",
            ["Sluice:Marketing:QueueCapacity"] = "1",
            ["Sluice:Marketing:Spool:DirectoryPath"] = "spool",
            ["Sluice:Marketing:Spool:SegmentBytes"] = "10",
        });
        builder.Services.AddSluice("marketing", builder.Configuration.GetSection("Sluice:Marketing"), o => o.Engine.MaxConcurrentSends = 0);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Format Segment needs Sluice:Marketing:Credentials:WriteKey: it authenticates the batch API.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Marketing:Endpoint is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Marketing:MaxBatchEvents must be at most 1,000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Marketing:QueueCapacity must be between 2 and 16,777,216 (was 1).", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Marketing:Spool:SegmentBytes must be between", ex.Message, StringComparison.Ordinal);
        // Set in code, not read from the section: named as the setting, not as a key it does not have.
        Assert.Contains(" MaxConcurrentSends must be between 1 and 64 (was 0).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sluice:Marketing:MaxConcurrentSends", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://collector.example.com", "Endpoint must be an absolute http or https address (was 'ftp://collector.example.com').")]
    [InlineData("collector.example.com/api", "Endpoint must be an absolute http or https address (was 'collector.example.com/api').")]
    [InlineData("https://collector.example.com/?tenant=acme", "Endpoint must not have a query or fragment: each endpoint's path (/api/track, /v1/batch, …) is appended to it.")]
    [InlineData("https://collector.example.com/#v1", "Endpoint must not have a query or fragment: each endpoint's path (/api/track, /v1/batch, …) is appended to it.")]
    [InlineData("https://user:secret-in-url@collector.example.com", "Endpoint must not hold a user name or password: HttpClient does not send them; give the API's credentials as credentials.")]
    public async Task An_endpoint_the_transport_cannot_send_to_as_given_fails_the_start_naming_it(string endpoint, string problem)
    {
        // A query or fragment took in the endpoint's path (requests went to the root); a user and password were never sent.
        var builder = TestHost.Builder(new Dictionary<string, string?> { ["Sluice:Format"] = "Segment", ["Sluice:Endpoint"] = endpoint });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("The Sluice engine 'default' is not configured correctly: Sluice:" + problem, ex.Message);
        Assert.DoesNotContain("secret-in-url", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_that_cannot_be_sent_is_a_configuration_problem_naming_the_setting_not_a_raw_exception()
    {
        // It surfaced as the HTTP factory's ArgumentException (parameter 'trackToken'), or, for a character HttpClient refuses
        // in a header, as every batch retried until it expired.
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:Format"] = "ThriveStack",
            ["Sluice:Endpoint"] = "http://127.0.0.1:9",
            ["Sluice:Credentials:Token"] = "Bearer config-track-token",
            ["Sluice:Credentials:ApiKey"] = "config-pagé-key",
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Credentials:Token: Pass the token alone, without its 'Bearer ' scheme: the transport adds it.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("config-track-token", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("config-pagé-key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_set_in_code_are_validated_at_start_too()
    {
        var builder = TestHost.Builder();
        builder.Services.AddSluice("orders", o =>
        {
            o.Format = "Kafka";
            o.Engine.RetryBaseDelay = TimeSpan.FromSeconds(10);
            o.Engine.RetryMaxDelay = TimeSpan.FromSeconds(1);
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("The Sluice engine 'orders' is not configured correctly: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Format must be ThriveStack, Segment or PrimeData (was 'Kafka').", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Endpoint is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RetryMaxDelay must be between RetryBaseDelay (00:00:10) and 1 day (was 00:00:01).", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ThriveStack", "1001", "2097153")]
    [InlineData("Segment", "5000", "4194304")]
    [InlineData("PrimeData", "200000", "2097153")] // past the engine's own range too: one problem for the setting, not two
    public async Task Batch_limits_above_what_the_built_in_api_accepts_fail_the_start_naming_the_setting_and_the_limit(string format, string events, string bytes)
    {
        // Every such batch would be refused (400) and split: the APIs take at most 1,000 events or 2 MB per request.
        await using var collector = await ReferenceCollector.StartAsync();
        var settings = TestHost.SendingTo(collector, format);
        settings["Sluice:MaxBatchEvents"] = events;
        settings["Sluice:MaxBatchBytes"] = bytes;
        var builder = TestHost.Builder(settings);
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal($"The Sluice engine 'default' is not configured correctly: "
            + $"Sluice:MaxBatchEvents must be at most 1,000 with {format}Format (was {events}): its API accepts at most 1,000 events per request and answers 400 past that. "
            + $"Sluice:MaxBatchBytes must be at most 2,097,152 with {format}Format (was {bytes}): its API accepts at most 2,097,152 bytes per request and answers 400 past that.",
            ex.Message);
    }

    [Fact]
    public async Task Batch_limits_at_or_below_the_apis_start_and_bound_every_request()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using (var atLimit = await TestHost.StartSendingToAsync(collector, ("Sluice:MaxBatchEvents", "1000"), ("Sluice:MaxBatchBytes", "2097152")))
        {
            Assert.Equal((1_000, 2_097_152), (atLimit.Engine().Options.MaxBatchEvents, atLimit.Engine().Options.MaxBatchBytes));
            await atLimit.StopAsync();
        }

        using var lowered = await TestHost.StartSendingToAsync(collector, ("Sluice:MaxBatchEvents", "10"), ("Sluice:MaxBatchBytes", "100000"), ("Sluice:FlushInterval", "01:00:00"));
        for (int i = 0; i < 25; i++)
            Assert.Equal(EnqueueStatus.Accepted, lowered.Engine().Track($"user-{i}", "signed_up").Status);
        await lowered.StopAsync();

        Assert.Equal(25, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(3, collector.Received(CollectorApi.ThriveStackTrack).RequestCount);
    }

    [Fact]
    public async Task A_custom_wire_format_set_in_code_is_not_held_to_the_built_in_apis_batch_limits()
    {
        // It may send to an API of its own, with limits of its own.
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services.Configure<SluiceServiceOptions>(o => o.Engine.WireFormat = new Sluice.Tests.Support.WrappedFormat(ThriveStackFormat.Instance)),
            ("Sluice:MaxBatchEvents", "5000"), ("Sluice:MaxBatchBytes", "4194304"));

        Assert.Equal((5_000, 4_194_304), (host.Engine().Options.MaxBatchEvents, host.Engine().Options.MaxBatchBytes));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_duration_given_as_a_number_alone_is_a_problem_not_a_number_of_days()
    {
        // TimeSpan reads "5" as 5 days: a FlushInterval of "5" failed with "(was 5.00:00:00)", and a RetryBudget of "1" was taken as a day.
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:FlushInterval"] = "5",
            ["Sluice:RetryBudget"] = "1",
            ["Sluice:Spool:SyncInterval"] = "2",
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Sluice:FlushInterval must be a duration such as 00:00:05 (was '5').", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:RetryBudget must be a duration such as 00:02:00 (was '1').", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Spool:SyncInterval must be a duration such as 00:00:01 (was '2').", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("5.00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duration_without_seconds_is_a_problem_not_hours_and_minutes()
    {
        // TimeSpan reads "00:30" as hours and minutes: a ShutdownTimeout meant as 30 seconds was half an hour, and a
        // FlushInterval of "00:05" five minutes, both in range, so nothing said so.
        var builder = TestHost.Builder(new Dictionary<string, string?>
        {
            ["Sluice:FlushInterval"] = "00:05",
            ["Sluice:ShutdownTimeout"] = "00:30",
            ["Sluice:RetryMaxDelay"] = "1:00:00", // an hour, hours, minutes and seconds written: not a problem
        });
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Sluice:FlushInterval must be a duration such as 00:00:05 (was '00:05').", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:ShutdownTimeout must be a duration such as 00:00:10 (was '00:30').", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("RetryMaxDelay", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_section_that_does_not_exist_is_named_in_the_message()
    {
        // A misspelt section name (or an appsettings.json left out of the output) reported only what every setting lacked.
        var builder = TestHost.Builder();
        builder.Services.AddSluice(builder.Configuration.GetSection("Analytics:Sluice"));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.StartsWith("The Sluice engine 'default' is not configured correctly: The configuration has no section 'Analytics:Sluice', where these settings were to be read "
            + "(Analytics:Sluice:Endpoint, Analytics:Sluice:Credentials:…, or the environment variables Analytics__Sluice__…). Format ThriveStack needs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_section_that_does_not_exist_is_no_problem_when_code_configures_the_engine()
    {
        var builder = TestHost.Builder();
        builder.Services.AddSluice("orders", builder.Configuration.GetSection("Orders"), o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9");
            o.Credentials.Token = "track-token";
        });
        using var host = builder.Build();

        await host.StartAsync();

        Assert.Equal(new Uri("http://127.0.0.1:9/api/track"), host.Services.GetRequiredKeyedService<EngineHost>("orders").Transport.EndpointFor("/api/track"));
        await host.StopAsync();
    }

    [Fact]
    public async Task The_whole_configuration_given_instead_of_its_Sluice_section_is_one_problem_saying_so()
    {
        // Every environment variable was "not a Sluice setting", dozens of them, the Sluice section among them.
        var builder = TestHost.Builder(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information", ["AllowedHosts"] = "*" });
        builder.Services.AddSluice(builder.Configuration);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Sluice is a section, not a setting: pass that section to AddSluice (configuration.GetSection(\"Sluice\")), not the configuration that holds it.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("is not a Sluice setting", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spool_directory_that_cannot_be_opened_fails_the_start_naming_the_engine_and_the_setting()
    {
        // The file system's message alone ("Could not find file …", "Access to the path … is denied") named neither.
        string file = Path.GetTempFileName(); // a file where the directory should be
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            var settings = TestHost.SendingTo(collector);
            settings["Sluice:Spool:DirectoryPath"] = file;
            var builder = TestHost.Builder(settings);
            builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
            using var host = builder.Build();

            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

            Assert.StartsWith($"The Sluice engine 'default' cannot use its spool directory '{file}' (Spool:DirectoryPath): ", ex.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<IOException>(ex.InnerException);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Adding_two_engines_whose_names_differ_only_in_case_is_refused()
    {
        // Their health checks, "sluice:Orders" and "sluice:orders", are one name to the health check service: the host failed to start.
        var services = new ServiceCollection();
        services.AddSluice("orders", o => o.Endpoint = new Uri("https://example.com"));
        var ex = Assert.Throws<InvalidOperationException>(() => services.AddSluice("Orders", o => o.Endpoint = new Uri("https://example.org")));
        Assert.Equal("A Sluice engine named 'orders' is already added; give each engine its own name (names that differ only in case are one).", ex.Message);
    }

    [Fact]
    public void Adding_two_engines_with_one_name_is_refused()
    {
        var services = new ServiceCollection();
        services.AddSluice("orders", o => o.Endpoint = new Uri("https://example.com"));
        var ex = Assert.Throws<InvalidOperationException>(() => services.AddSluice("orders", o => o.Endpoint = new Uri("https://example.org")));
        Assert.Contains("A Sluice engine named 'orders' is already added", ex.Message, StringComparison.Ordinal);
    }
}
