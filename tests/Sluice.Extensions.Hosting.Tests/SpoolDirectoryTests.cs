using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Collector;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Where the spool of a hosted engine lives.</summary>
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
}
