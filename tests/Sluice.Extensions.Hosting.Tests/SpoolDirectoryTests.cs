using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Where the spool of a hosted engine lives, and how a deployment turns off one configured elsewhere.</summary>
public class SpoolDirectoryTests
{
    [Fact]
    public async Task A_relative_spool_directory_is_under_the_hosts_content_root_not_the_working_directory()
    {
        // A service's working directory is not its application's (C:\Windows\System32 for a Windows service, / under
        // systemd, wherever a shell stood): "spool" from appsettings.json landed there, and a start from another directory
        // did not find the batches the last one kept ("sent at the next start").
        var contentRoot = Directory.CreateTempSubdirectory("sluice-content-root");
        string relative = "spool-" + Guid.NewGuid().ToString("N");
        string underWorkingDirectory = Path.GetFullPath(relative);
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = contentRoot.FullName, EnvironmentName = Environments.Production });
            var settings = TestHost.SendingTo(collector);
            settings["Sluice:Spool:DirectoryPath"] = relative;
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
            using (var host = builder.Build())
            {
                await host.StartAsync();
                Assert.Equal(EnqueueStatus.Accepted, host.Engine().Track("u", "signed_up").Status);
                await host.StopAsync();
                Assert.Equal(Path.Combine(contentRoot.FullName, relative), host.Engine().Options.Spool!.DirectoryPath);
            }

            Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
            Assert.True(Directory.Exists(Path.Combine(contentRoot.FullName, relative)), "the spool is under the content root");
            Assert.False(Directory.Exists(underWorkingDirectory), "nothing was made under the working directory");
        }
        finally
        {
            contentRoot.Delete(recursive: true);
            if (Directory.Exists(underWorkingDirectory))
                Directory.Delete(underWorkingDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_spool_set_in_appsettings_is_turned_off_by_a_later_source_setting_Enabled_to_false()
    {
        // A configuration source can override a key, not remove one: an empty DirectoryPath failed the start ("is
        // required"), and the spool could be turned off only by editing appsettings.json.
        var (spool, created) = await DeliverOneAsync(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Spool:Enabled"] = "false" }));
        Assert.Null(spool);
        Assert.False(created, "no spool directory was made");
    }

    [Fact]
    public async Task A_spool_set_in_appsettings_is_turned_off_by_an_environment_variable()
    {
        string prefix = $"SLUICE_TEST_{Guid.NewGuid():N}_"; // this test's own variables, whatever else the process has
        Environment.SetEnvironmentVariable(prefix + "Sluice__Spool__Enabled", "false");
        try
        {
            var (spool, created) = await DeliverOneAsync(configuration => configuration.AddEnvironmentVariables(prefix));
            Assert.Null(spool);
            Assert.False(created, "no spool directory was made");
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Sluice__Spool__Enabled", null);
        }
    }

    [Fact]
    public async Task A_spool_set_in_appsettings_stays_on_when_Enabled_is_true()
    {
        var (spool, created) = await DeliverOneAsync(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Spool:Enabled"] = "true" }));
        Assert.NotNull(spool);
        Assert.True(created, "the spool directory was made");
    }

    /// <summary>
    /// A host whose appsettings.json (a JSON source) sets a spool under a content root of its own, with <paramref name="overrides"/>
    /// added after it, as an environment's sources are: delivers one event, and says which spool the engine had and whether its directory was made.
    /// </summary>
    private static async Task<(Spooling.SpoolOptions? Spool, bool Created)> DeliverOneAsync(Action<IConfigurationBuilder> overrides)
    {
        var contentRoot = Directory.CreateTempSubdirectory("sluice-content-root");
        try
        {
            await using var collector = await ReferenceCollector.StartAsync();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = contentRoot.FullName, EnvironmentName = Environments.Production });
            builder.Configuration.AddInMemoryCollection(TestHost.SendingTo(collector));
            builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""{ "Sluice": { "Spool": { "DirectoryPath": "spool", "Sync": "None" } } }""")));
            overrides(builder.Configuration);
            builder.Logging.ClearProviders();
            builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
            Spooling.SpoolOptions? spool;
            using (var host = builder.Build())
            {
                await host.StartAsync();
                Assert.Equal(EnqueueStatus.Accepted, host.Engine().Track("u", "signed_up").Status);
                await host.StopAsync();
                spool = host.Engine().Options.Spool;
            }

            Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
            return (spool, Directory.Exists(Path.Combine(contentRoot.FullName, "spool")));
        }
        finally
        {
            contentRoot.Delete(recursive: true);
        }
    }
}
