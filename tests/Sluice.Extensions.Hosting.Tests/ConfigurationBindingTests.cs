using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Collector;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Spooling;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Every option from appsettings.json, each by its own name; the format and credentials chosen there reach the server.</summary>
public class ConfigurationBindingTests
{
    /// <summary>What configuration cannot hold (objects and callbacks): set in code, or taken from the container.</summary>
    private static readonly string[] NotFromConfiguration =
    [
        nameof(SluiceOptions.WireFormat), nameof(SluiceOptions.TimeProvider), nameof(SluiceOptions.OnDiagnostic), nameof(SluiceOptions.OnBatchSettled), nameof(SluiceOptions.MeterFactory),
        nameof(HttpTransportOptions.BaseAddress), nameof(HttpTransportOptions.Authentication),
    ];

    [Fact]
    public void Every_option_in_appsettings_binds_by_its_own_name()
    {
        var options = Bound();
        var engine = options.Engine;

        Assert.Equal(250, engine.MaxBatchEvents);
        Assert.Equal(1_048_576, engine.MaxBatchBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), engine.FlushInterval);
        Assert.Equal(4096, engine.QueueCapacity);
        Assert.Equal(FullMode.Wait, engine.FullMode);
        Assert.Equal(TimeSpan.FromMilliseconds(250), engine.FullModeWaitTimeout);
        Assert.Equal(3, engine.MaxConcurrentSends);
        Assert.Equal(TimeSpan.FromSeconds(7), engine.ShutdownTimeout);
        Assert.Equal(5, engine.MaxSendAttempts);
        Assert.Equal(TimeSpan.FromSeconds(90), engine.RetryBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(200), engine.RetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), engine.RetryMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(45), engine.UnauthorizedProbeInterval);
        Assert.Equal("from-config", engine.Name);
        Assert.Equal("""{"library":{"name":"hosting-tests","version":"1.0.0"}}""", engine.DefaultContext);
        Assert.True(options.Http.Gzip);
        Assert.Equal(TimeSpan.FromSeconds(12), options.Http.RequestTimeout);
        Assert.Equal("hosting-tests/1.0.0", options.Http.UserAgent);
        Assert.Equal("acme", options.Http.Headers["X-Tenant"]);

        Assert.Equal("PrimeData", options.Format);
        Assert.Equal(new Uri("http://127.0.0.1:9/"), options.Endpoint);
        Assert.Equal(new Uri("http://127.0.0.1:9/"), options.Http.BaseAddress);
        Assert.Equal("config-client-id", Assert.IsType<PrimeDataFormat>(engine.WireFormat).ClientId);
        Assert.Equal(("config-track-token", "config-page-key", "config-write-key", "config-client-id", "config-access-token"),
            (options.Credentials.Token, options.Credentials.ApiKey, options.Credentials.WriteKey, options.Credentials.ClientId, options.Credentials.ClientAccessToken));
    }

    [Fact]
    public void Every_public_option_has_a_configuration_key_and_appsettings_sets_each_to_a_value_other_than_its_default()
    {
        var options = Bound();
        var checkedOptions = new (object Bound, object Default)[] { (options.Engine, new SluiceOptions()), (options.Http, new HttpTransportOptions()) };
        var names = new List<string>();
        foreach (var (bound, fresh) in checkedOptions)
        {
            foreach (var property in bound.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => !NotFromConfiguration.Contains(p.Name)))
            {
                names.Add(property.Name);
                Assert.Contains(property.Name, SluiceConfiguration.Keys);
                object? value = property.GetValue(bound), defaultValue = property.GetValue(fresh);
                if (value is IDictionary<string, string> dictionary)
                    Assert.NotEmpty(dictionary);
                else if (property.Name == nameof(SluiceOptions.Spool))
                    Assert.Null(value); // on for every host built from appsettings.json if set there: its own test below
                else
                    Assert.False(Equals(value, defaultValue), $"{property.Name} still has its default value {defaultValue}: appsettings.json should set it");
            }
        }

        // And nothing else: each key is an option, or Format, Endpoint or Credentials.
        Assert.Equal([.. names.Append("Format").Append("Endpoint").Append("Credentials").Order()], SluiceConfiguration.Keys.Order());
    }

    [Theory]
    [InlineData("ThriveStack")]
    [InlineData("segment")]
    [InlineData("PRIMEDATA")]
    public async Task The_format_and_credentials_from_configuration_are_the_ones_the_server_accepts(string format)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var host = await TestHost.StartSendingToAsync(collector, ("Sluice:Format", format));
        var engine = host.Engine();
        for (int i = 0; i < 3; i++)
            engine.Track($"user-{i}", "signed_up", new Dictionary<string, object?> { ["seq"] = i });

        await host.StopAsync();

        var api = format.ToUpperInvariant() switch
        {
            "THRIVESTACK" => CollectorApi.ThriveStackTrack,
            "SEGMENT" => CollectorApi.Segment,
            _ => CollectorApi.PrimeData,
        };
        var received = collector.Received(api);
        Assert.Equal(3, received.EventCount);
        Assert.All(received.Requests, r => Assert.Equal(200, r.Status));
        Assert.All(received.Requests, r => Assert.True(r.Gzip)); // "Gzip": true in appsettings.json
        Assert.Equal(3, engine.GetCounters().Delivered);
    }

    [Fact]
    public void Configuration_keys_are_case_insensitive_as_environment_variables_need()
    {
        var options = Bound(new Dictionary<string, string?> { ["SLUICE:MAXBATCHEVENTS"] = "42", ["sluice:credentials:writekey"] = "from-env", ["Sluice:fullmode"] = "dropoldest" });
        Assert.Equal(42, options.Engine.MaxBatchEvents);
        Assert.Equal("from-env", options.Credentials.WriteKey);
        Assert.Equal(FullMode.DropOldest, options.Engine.FullMode);
    }

    [Fact]
    public void A_spool_section_turns_the_spool_on_with_each_of_its_settings_and_reports_unknown_or_bad_keys()
    {
        var options = Bound(new Dictionary<string, string?>
        {
            ["Sluice:Spool:DirectoryPath"] = "/var/spool/app",
            ["Sluice:Spool:MaxBytes"] = "104857600",
            ["Sluice:Spool:Sync"] = "interval",
            ["Sluice:Spool:SyncInterval"] = "00:00:02",
            ["Sluice:Spool:SegmentBytes"] = "1048576",
        });
        var spool = Assert.IsType<SpoolOptions>(options.Engine.Spool);
        Assert.Equal(("/var/spool/app", 104_857_600L, SpoolSync.Interval, TimeSpan.FromSeconds(2), 1_048_576L),
            (spool.DirectoryPath, spool.MaxBytes, spool.Sync, spool.SyncInterval, spool.SegmentBytes));
        Assert.Empty(options.ConfigurationProblems);

        var bad = Assert.Throws<OptionsValidationException>(() => Bound(new Dictionary<string, string?> { ["Sluice:Spool:Directory"] = "/x", ["Sluice:Spool:Sync"] = "sometimes", ["Sluice:Spool:MaxBytes"] = "1 GB", ["Sluice:Spool:SegmentBytes"] = "1", ["Sluice:Spool:Enabled"] = "yes" }));
        Assert.Contains("Sluice:Spool:Enabled must be true or false (was 'yes').", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Spool:MaxBytes must be a whole number of bytes (was '1 GB').", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Spool:Sync must be one of PerBatch, Interval, None (was 'sometimes').", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Spool:Directory is not a spool setting (known: Enabled, DirectoryPath, MaxBytes, Sync, SyncInterval, SegmentBytes).", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Spool:DirectoryPath is required.", bad.Message, StringComparison.Ordinal); // the engine's own check, in the same message, named as the key
        Assert.Contains("Spool:SegmentBytes must be between", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Spool.", bad.Message, StringComparison.Ordinal); // as the code names them, not as configuration does
    }

    [Fact]
    public void A_section_given_as_one_value_is_reported_rather_than_ignored()
    {
        // Sluice__Spool=/var/spool/app from the environment: without the check the spool stayed off and batches lived in memory only.
        var bad = Assert.Throws<OptionsValidationException>(() => Bound(new Dictionary<string, string?>
        {
            ["Sluice:Spool"] = "/var/spool/app",
            ["Sluice:Headers"] = "X-Tenant: acme",
            ["Sluice:Credentials"] = "secret-as-one-value",
            ["Sluice:Headers:X-Team:Id"] = "42", // a header as a section: it went out empty
            ["Sluice:MaxBatchEvents"] = null, // not the value appsettings.json gives it, but
            ["Sluice:MaxBatchEvents:Value"] = "500", // a section: its default was used
            ["Sluice:Credentials:WriteKey"] = null,
            ["Sluice:Credentials:WriteKey:Primary"] = "secret-in-a-section",
        }));
        Assert.Contains("Sluice:Spool must be a section of spool settings (Sluice:Spool:DirectoryPath, …), not a value.", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Headers must be a section of headers (Sluice:Headers:X-Tenant, …), not a value.", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Credentials must be a section of credentials (Sluice:Credentials:Token, …), not a value.", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Headers:X-Team must be a header's value, not a section.", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:MaxBatchEvents must be a value, not a section.", bad.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice:Credentials:WriteKey must be a value, not a section.", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-in-a-section", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-as-one-value", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/spool/app", bad.Message, StringComparison.Ordinal);

        // An empty value (an empty JSON object, Sluice__Spool= ) is nothing set.
        Assert.Null(Bound(new Dictionary<string, string?> { ["Sluice:Spool"] = "", ["Sluice:Headers"] = "" }).Engine.Spool);
    }

    [Theory]
    [InlineData("FullMode", "DropNewest,Wait", "one of DropNewest, DropOldest, Wait")] // read as DropNewest | Wait, which is Wait
    [InlineData("FullMode", "+2", "one of DropNewest, DropOldest, Wait")] // a number after all: Wait
    [InlineData("Spool:Sync", "PerBatch, None", "one of PerBatch, Interval, None")] // PerBatch | None is None: no fsync at all
    public void An_enum_setting_takes_one_of_its_names_not_a_list_or_a_signed_number(string key, string value, string expected)
    {
        // Enum.TryParse reads "A,B" as the flags A | B and "+2" as 2: a value that named no mode chose one silently.
        var bad = Assert.Throws<OptionsValidationException>(() => Bound(new Dictionary<string, string?>
        {
            ["Sluice:Spool:DirectoryPath"] = "spool",
            [$"Sluice:{key}"] = value,
        }));
        Assert.Contains($"Sluice:{key} must be {expected} (was '{value}').", bad.Message, StringComparison.Ordinal);
    }

    private static SluiceServiceOptions Bound(Dictionary<string, string?>? overrides = null)
    {
        var builder = TestHost.Builder(overrides);
        builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<SluiceServiceOptions>>().Value; // the default engine's
    }
}
