// A worker service that reports product events through Sluice. Everything about the engine comes from
// the "Sluice" section of appsettings.json (or Sluice__* environment variables: Sluice__Credentials__Token).
using Sluice.Samples.Worker;

// appsettings.json is read from beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSluice(builder.Configuration.GetSection("Sluice"));
builder.Services.AddHostedService<SignupWorker>();

var host = builder.Build();
await host.RunAsync().ConfigureAwait(false);
