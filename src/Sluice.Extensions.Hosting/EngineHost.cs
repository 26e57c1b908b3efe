using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Delivery.Transports.Http;
using Sluice.Diagnostics;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// One named engine of the container and what it owns: its HTTP transport (over the named client of
/// <see cref="IHttpClientFactory"/>) and its diagnostic log. Created on first use (the hosted service uses every one
/// at start); disposed by the container after the engine has shut down.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable, IDisposable
{
    private readonly HttpTransport _transport;

    // Written and read under _terminalLock by health checks and diagnostics: the events that ran out of retries (expired or
    // kept in the spool), those that failed for good and those the spool lost (SpoolEvicted), each as last seen and when it last grew.
    private readonly Lock _terminalLock = new();
    private Growth _gaveUp;
    private Growth _failed;
    private Growth _spoolEvicted;

    // 1 once the shutdown's result has been logged (Report), by the host's stop or the container's disposal.
    private int _reported;

    // The engine, for the diagnostics callback once the constructor has returned (diagnostics may come before).
    private SluiceEngine? _engine;

    public EngineHost(string name, IServiceProvider services)
    {
        Name = name;
        var options = services.GetRequiredService<IOptionsMonitor<SluiceServiceOptions>>().Get(SluiceServiceOptions.OptionsName(name));
        Logger = services.GetService<ILoggerFactory>()?.CreateLogger<SluiceEngine>() ?? NullLogger<SluiceEngine>.Instance;

        // The container's clock and meter factory unless the options name their own. The engine and the transport
        // copy their options when created, so the options object is left as it was.
        var engine = options.Engine;
        var (time, meters, onDiagnostic, httpTime, spool) = (engine.TimeProvider, engine.MeterFactory, engine.OnDiagnostic, options.Http.TimeProvider, engine.Spool);
        Time = time == TimeProvider.System ? services.GetService<TimeProvider>() ?? TimeProvider.System : time;
        Diagnostics = new DiagnosticLog(Logger, name, Time);
        var log = Diagnostics;
        try
        {
            engine.TimeProvider = Time;
            // A relative spool directory is the application's, as Kestrel's certificate paths are: under the content root,
            // not the working directory (System32 for a Windows service, / under systemd), where a start from elsewhere
            // did not find the batches the last one kept. A copy (the options are validated): the options stay as given.
            if (spool is { DirectoryPath: { Length: > 0 } directory } && !Path.IsPathFullyQualified(directory) && services.GetService<IHostEnvironment>() is { } environment)
            {
                engine.Spool = spool.Validated();
                engine.Spool.DirectoryPath = Path.GetFullPath(directory, environment.ContentRootPath);
            }

            engine.MeterFactory = meters ?? services.GetService<IMeterFactory>();
            engine.OnDiagnostic = d =>
            {
                NoteTerminal(d);
                log.Write(d);
                if (onDiagnostic is null)
                    return;
                try
                {
                    onDiagnostic(d);
                }
                catch (Exception ex)
                {
                    // The engine writes this to System.Diagnostics.Trace, which a hosted application does not read: the
                    // callback stopped doing its work unseen. Logged as a failed callback (rate-limited with its kind),
                    // never handed back to the callback that threw.
                    log.Write(new DiagnosticEvent(DiagnosticKind.CallbackFailed,
                        $"The OnDiagnostic callback threw for the {d.Kind} diagnostic: {ex.GetType().Name}: {ex.Message}. The engine goes on.", d.EventCount, ex));
                }
            };
            options.Http.TimeProvider = httpTime == TimeProvider.System ? Time : httpTime;
            string clientName = SluiceServiceOptions.HttpClientName(name);
            HttpClient client;
            try
            {
                client = services.GetRequiredService<IHttpClientFactory>().CreateClient(clientName);
            }
            catch (Exception ex)
            {
                // A handler of the application's that cannot be built (one added with AddHttpMessageHandler<T> and T not
                // registered, one that throws) failed the start with its own words alone, the engine and client unnamed.
                throw new InvalidOperationException($"The Sluice engine '{name}' cannot create its HTTP client '{clientName}' (IHttpClientFactory): {ex.Message}", ex);
            }

            _transport = new HttpTransport(options.Http, client);
            try
            {
                Engine = new SluiceEngine(engine, _transport);
            }
            catch (Exception ex)
            {
                _transport.Dispose();
                // The spool's directory is opened here, as the host starts: a path it cannot create or lock failed the
                // start with the file system's words alone ("Could not find file '/var/lib/…'"), the setting unnamed.
                if (engine.Spool is { } opened && ex is IOException or UnauthorizedAccessException)
                    throw new InvalidOperationException($"The Sluice engine '{name}' cannot use its spool directory '{opened.DirectoryPath}' (Spool:DirectoryPath): {ex.Message}", ex);
                throw;
            }

            Volatile.Write(ref _engine, Engine);
            // What the spool deleted as it opened came before the engine could be noted by its diagnostic: dated now, not at the first check.
            lock (_terminalLock)
                Seen(Engine.GetCounters(), Time.GetTimestamp());
        }
        finally
        {
            (engine.TimeProvider, engine.MeterFactory, engine.OnDiagnostic, options.Http.TimeProvider, engine.Spool) = (time, meters, onDiagnostic, httpTime, spool);
        }
    }

    public string Name { get; }

    public SluiceEngine Engine { get; }

    public ILogger Logger { get; }

    public DiagnosticLog Diagnostics { get; }

    public TimeProvider Time { get; }

    /// <summary>The HTTP transport: its credentials can be rotated (<see cref="HttpTransport.Authentication"/>).</summary>
    public HttpTransport Transport => _transport;

    /// <summary>
    /// Whether, within <paramref name="window"/> before now, events ran out of retries (expired, or were kept in the spool),
    /// whether events failed for good (a permanent failure such as a 404, or an event that could not be written), and whether
    /// the spool lost batches not yet delivered (its byte cap, or files deleted under it): since they were last seen, in <paramref name="counters"/> by a
    /// check or by the diagnostic that reported them.
    /// </summary>
    public (bool RanOutOfRetries, bool Failed, bool SpoolEvicted) GaveUpWithin(TimeSpan window, SluiceCounters counters)
    {
        lock (_terminalLock)
        {
            long now = Time.GetTimestamp();
            Seen(counters, now);
            return (_gaveUp.GrewWithin(window, now, Time), _failed.GrewWithin(window, now, Time), _spoolEvicted.GrewWithin(window, now, Time));
        }
    }

    /// <summary>
    /// Notes when events give up or fail, as they do: the health check is run when someone asks, perhaps long after, and
    /// comparing with the last check alone would date an old expiry or failure to that first check.
    /// </summary>
    private void NoteTerminal(DiagnosticEvent diagnostic)
    {
        // BatchFailed is an expiry or a permanent failure; Spooled is also what the shutdown deadline leaves.
        if (diagnostic.Kind is not (DiagnosticKind.BatchFailed or DiagnosticKind.Spooled or DiagnosticKind.EventFailed or DiagnosticKind.SpoolEvicted)
            || Volatile.Read(ref _engine) is not { } engine)
            return;
        var counters = engine.GetCounters();
        lock (_terminalLock)
            Seen(counters, Time.GetTimestamp());
    }

    private void Seen(SluiceCounters counters, long now)
    {
        _gaveUp.Note(counters.Expired + counters.Spooled, now);
        _failed.Note(counters.Failed, now);
        _spoolEvicted.Note(counters.SpoolEvicted, now);
    }

    /// <summary>
    /// Shuts the engine down, its drain ended early should <paramref name="deadline"/> be cancelled, and logs the result.
    /// The task completes once the result is logged.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken deadline) => Report(await Engine.ShutdownAsync(deadline).ConfigureAwait(false));

    /// <summary>
    /// For a container disposed without the host having stopped (disposed after a failed start, or a host never run): the
    /// engine shuts down within its own deadline, and the result is logged as a stopping host would.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Report(await Engine.ShutdownAsync().ConfigureAwait(false));
        _transport.Dispose();
    }

    /// <summary>For a container disposed synchronously (a <c>using</c> around <c>BuildServiceProvider()</c>): blocks until the engine has shut down.</summary>
    public void Dispose()
    {
        Engine.Dispose();
        // Dispose returns without waiting when called from one of the engine's own callbacks.
        if (Engine.ShutdownAsync() is { IsCompletedSuccessfully: true } shutdown)
            Report(shutdown.Result);
        _transport.Dispose();
    }

    /// <summary>Logs the shutdown's result, once, whoever saw it first: the host as it stopped, or the container as it was disposed.</summary>
    private void Report(ShutdownResult result)
    {
        if (Interlocked.Exchange(ref _reported, 1) != 0)
            return;
        Diagnostics.ReportSuppressed();
        var c = result.Counters;
        if (c.Delivered == c.Accepted + c.Replayed) // replayed: accepted by an earlier run and left in the spool
        {
            Log.ShutdownCompleted(Logger, Name, c.Delivered, c.Accepted, c.Replayed);
        }
        else
        {
            Log.ShutdownIncomplete(Logger, Name, c.Accepted, c.Replayed, c.Delivered, c.LeftInSpool, c.LostAtShutdown, c.OutcomeUnknown, c.Failed,
                c.RejectedByServer + c.RejectedOversize, c.Expired, c.Evicted, result.TimedOut);
        }

        // A refused call is no diagnostic (the caller gets QueueFull and it is counted): without this, nothing in the logs
        // told of events the application dropped, and a shutdown that delivered all it accepted read as no loss at all.
        if (c.Refused > 0)
            Log.CallsRefused(Logger, Name, c.Refused, c.RefusedQueueFull, c.RefusedShutdown);
    }

    /// <summary>A count that only grows, as last seen, and when it last grew.</summary>
    private struct Growth
    {
        private long _seen;
        private long? _grewAt;

        public void Note(long value, long now)
        {
            if (value > _seen)
                (_seen, _grewAt) = (value, now);
        }

        public readonly bool GrewWithin(TimeSpan window, long now, TimeProvider time) => _grewAt is { } grew && time.GetElapsedTime(grew, now) < window;
    }
}
