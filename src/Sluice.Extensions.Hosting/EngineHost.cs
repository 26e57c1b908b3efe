using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// One named engine of the container and what it owns: its HTTP transport (over the named client of
/// <see cref="IHttpClientFactory"/>) and its diagnostic log. Created on first use (the hosted service uses every one
/// at start); disposed by the container after the engine has shut down.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly HttpTransport _transport;

    // Written and read under _expiryLock by health checks: the Expired counter last seen, and when it last grew.
    private readonly Lock _expiryLock = new();
    private long _gaveUpSeen;
    private long? _gaveUpGrewAt;

    public EngineHost(string name, IServiceProvider services)
    {
        Name = name;
        var options = services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().Get(name);
        Logger = services.GetService<ILoggerFactory>()?.CreateLogger<SluiceEngine>() ?? NullLogger<SluiceEngine>.Instance;

        // The container's clock and meter factory unless the options name their own. The engine and the transport
        // copy their options when created, so the options object is left as it was.
        var engine = options.Engine;
        var (time, meters, onDiagnostic, httpTime) = (engine.TimeProvider, engine.MeterFactory, engine.OnDiagnostic, options.Http.TimeProvider);
        Time = time == TimeProvider.System ? services.GetService<TimeProvider>() ?? TimeProvider.System : time;
        Diagnostics = new DiagnosticLog(Logger, name, Time);
        var log = Diagnostics;
        try
        {
            engine.TimeProvider = Time;
            engine.MeterFactory = meters ?? services.GetService<IMeterFactory>();
            engine.OnDiagnostic = onDiagnostic is null ? log.Write : d =>
            {
                log.Write(d);
                onDiagnostic(d);
            };
            options.Http.TimeProvider = httpTime == TimeProvider.System ? Time : httpTime;
            var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(SluiceServiceOptions.HttpClientName(name));
            _transport = new HttpTransport(options.Http, client);
            Engine = new SluiceEngine(engine, _transport);
        }
        finally
        {
            (engine.TimeProvider, engine.MeterFactory, engine.OnDiagnostic, options.Http.TimeProvider) = (time, meters, onDiagnostic, httpTime);
        }
    }

    public string Name { get; }

    public SluiceEngine Engine { get; }

    public ILogger Logger { get; }

    public DiagnosticLog Diagnostics { get; }

    public TimeProvider Time { get; }

    /// <summary>The HTTP transport: its credentials can be rotated (<see cref="HttpTransport.Authentication"/>).</summary>
    public HttpTransport Transport => _transport;

    /// <summary>Whether <paramref name="gaveUp"/> (the events that ran out of retries: expired, or kept in the spool) grew within <paramref name="window"/> before now (each check compares with the last).</summary>
    public bool RanOutOfRetriesWithin(TimeSpan window, long gaveUp)
    {
        lock (_expiryLock)
        {
            long now = Time.GetTimestamp();
            if (gaveUp > _gaveUpSeen)
            {
                _gaveUpSeen = gaveUp;
                _gaveUpGrewAt = now;
            }

            return _gaveUpGrewAt is { } grew && Time.GetElapsedTime(grew, now) < window;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.ShutdownAsync().ConfigureAwait(false);
        _transport.Dispose();
    }
}
