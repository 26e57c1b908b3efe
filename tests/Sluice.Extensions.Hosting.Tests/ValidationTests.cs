using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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
        Assert.Contains("Format Segment needs Credentials:WriteKey: it authenticates the batch API.", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:Endpoint must be an absolute http or https address (was 'not a url').", failure, StringComparison.Ordinal);
        Assert.Contains("MaxBatchEvents must be between 1 and 100,000 (was 0).", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:FlushInterval must be a duration such as 00:00:05 (was 'soon').", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:WireFormat is not a setting: the wire format is chosen by Format", failure, StringComparison.Ordinal);
        Assert.Contains("Sluice:Credentials:Password is not a credential", failure, StringComparison.Ordinal);
        Assert.Contains("Headers: Authorization is written by the transport itself", failure, StringComparison.Ordinal);
        foreach (string secret in new[] { "config-track-token", "config-page-key", "config-client-id", "config-access-token", "hunter2", "header-secret" })
            Assert.DoesNotContain(secret, failure, StringComparison.Ordinal);
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

    [Fact]
    public void Adding_two_engines_with_one_name_is_refused()
    {
        var services = new ServiceCollection();
        services.AddSluice("orders", o => o.Endpoint = new Uri("https://example.com"));
        var ex = Assert.Throws<InvalidOperationException>(() => services.AddSluice("orders", o => o.Endpoint = new Uri("https://example.org")));
        Assert.Contains("A Sluice engine named 'orders' is already added", ex.Message, StringComparison.Ordinal);
    }
}
