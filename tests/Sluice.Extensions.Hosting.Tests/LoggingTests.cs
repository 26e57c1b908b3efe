using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Sluice.Collector;
using Sluice.Diagnostics;

namespace Sluice.Extensions.Hosting.Tests;

/// <summary>Diagnostics as log records: level from the severity, event id from the kind, floods held back and counted, secrets never written.</summary>
public class LoggingTests
{
    [Fact]
    public void Each_diagnostic_is_logged_at_its_severity_with_its_kinds_number_and_name_as_event_id()
    {
        var logger = new FakeLogger();
        var log = new DiagnosticLog(logger, "orders", new FakeTimeProvider());
        var failure = new HttpRequestException("boom");

        log.Write(new DiagnosticEvent(DiagnosticKind.SendFailed, "attempt 1 failed: 503; retrying", 12));
        log.Write(new DiagnosticEvent(DiagnosticKind.EndpointPaused, "401 from /api/track: paused", 3, failure));
        log.Write(new DiagnosticEvent(DiagnosticKind.EndpointResumed, "resumed"));
        log.Write(new DiagnosticEvent(DiagnosticKind.InternalError, "oops"));

        var records = logger.Collector.GetSnapshot();
        Assert.Equal([(LogLevel.Warning, 3, "SendFailed"), (LogLevel.Error, 6, "EndpointPaused"), (LogLevel.Information, 7, "EndpointResumed"), (LogLevel.Critical, 11, "InternalError")],
            records.Select(r => (r.Level, r.Id.Id, r.Id.Name!)));
        Assert.Equal("Sluice engine orders: 401 from /api/track: paused", records[1].Message);
        Assert.Same(failure, records[1].Exception);
        Assert.Equal("3", records[1].GetStructuredStateValue("EventCount"));
        Assert.Equal("orders", records[1].GetStructuredStateValue("Engine"));
    }

    [Fact]
    public async Task An_OnDiagnostic_callback_that_throws_is_logged_as_a_failed_callback_with_its_exception()
    {
        // The engine writes a throwing OnDiagnostic to System.Diagnostics.Trace, which a hosted application does not
        // read: the callback silently stopped doing its work (alerting, counting) and nothing in the logs said so.
        await using var collector = await ReferenceCollector.StartAsync();
        var thrown = new InvalidOperationException("alerting is down");
        using var host = await TestHost.StartSendingToAsync(collector,
            services => services.Configure<SluiceServiceOptions>(o => o.Engine.OnDiagnostic = _ => throw thrown),
            ("Sluice:MaxBatchBytes", "1024"));

        host.Engine().Track("u", "too_big", new Dictionary<string, object?> { ["blob"] = new string('x', 4096) }); // EventOversize

        await TestHost.Eventually(() => Task.FromResult(host.SluiceLogs().Any(r => r.Id.Id == (int)DiagnosticKind.CallbackFailed)), "the callback's failure logged");
        var record = host.SluiceLogs().First(r => r.Id.Id == (int)DiagnosticKind.CallbackFailed);
        Assert.Equal((LogLevel.Error, "CallbackFailed"), (record.Level, record.Id.Name));
        Assert.Same(thrown, record.Exception);
        Assert.Equal("Sluice engine default: The OnDiagnostic callback threw for the EventOversize diagnostic: InvalidOperationException: alerting is down. The engine goes on.", record.Message);
        Assert.Single(host.SluiceLogs(), r => r.Id.Id == (int)DiagnosticKind.EventOversize); // the diagnostic itself was logged too
    }

    [Fact]
    public void A_flood_of_one_kind_is_logged_twenty_times_a_minute_and_the_rest_is_counted_in_one_record()
    {
        var logger = new FakeLogger();
        var time = new FakeTimeProvider();
        var log = new DiagnosticLog(logger, "default", time);

        for (int i = 0; i < 50; i++)
            log.Write(new DiagnosticEvent(DiagnosticKind.SendFailed, $"attempt {i} failed"));
        log.Write(new DiagnosticEvent(DiagnosticKind.EndpointPaused, "paused")); // another kind has its own allowance

        Assert.Equal(20, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3));
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 6);

        time.Advance(TimeSpan.FromSeconds(59));
        log.Write(new DiagnosticEvent(DiagnosticKind.SendFailed, "still within the minute"));
        Assert.Equal(20, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3));

        time.Advance(TimeSpan.FromSeconds(1));
        log.Write(new DiagnosticEvent(DiagnosticKind.SendFailed, "a new minute"));

        var records = logger.Collector.GetSnapshot();
        var summary = Assert.Single(records, r => r.Id.Id == 103);
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal("Sluice engine default: 31 more SendFailed diagnostics in the last 00:01:00 were not logged (at most 20 of a kind are, per window); the counters and metrics count every one.", summary.Message);
        Assert.Equal("Sluice engine default: a new minute", records[^1].Message);
    }

    [Fact]
    public void What_the_rate_limit_held_back_is_reported_at_shutdown()
    {
        var logger = new FakeLogger();
        var log = new DiagnosticLog(logger, "default", new FakeTimeProvider());
        for (int i = 0; i < 25; i++)
            log.Write(new DiagnosticEvent(DiagnosticKind.OutcomeUnknown, "no answer"));

        log.ReportSuppressed();

        Assert.Contains("5 more OutcomeUnknown diagnostics", Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 103).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_go_through_handlers_added_to_the_named_client_and_no_secret_is_ever_logged()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 503); // a retry, so failures are logged too
        var seen = new ConcurrentQueue<HttpRequestMessage>();
        using var host = await TestHost.StartSendingToAsync(collector, services => services
            .AddHttpClient(SluiceServiceOptions.HttpClientName(SluiceServiceOptions.DefaultName))
            .AddHttpMessageHandler(() => new Recorder(seen)));
        var engine = host.Engine();

        engine.Track("u1", "signed_up");
        engine.Page(null, "s1", name: "Home");
        await host.StopAsync();

        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
        Assert.Equal(1, collector.Received(CollectorApi.ThriveStackPage).EventCount);
        Assert.True(seen.Count >= 3, $"{seen.Count} requests seen"); // track (503, then again) and page
        Assert.All(seen, r =>
        {
            Assert.StartsWith("hosting-tests/1.0.0 Sluice/", r.Headers.UserAgent.ToString(), StringComparison.Ordinal);
            Assert.Equal("acme", Assert.Single(r.Headers.GetValues("X-Tenant")));
        });

        var records = host.Logs().GetSnapshot();
        Assert.Contains(host.SluiceLogs(), r => r.Id.Id == 3 && r.Message.Contains("503", StringComparison.Ordinal)); // the failure was logged
        // The factory's request logging is off for the engine's client: its structured state carries every header unredacted.
        Assert.DoesNotContain(records, r => r.Category != null && r.Category.StartsWith("System.Net.Http.HttpClient.Sluice", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Category != null && r.Category.StartsWith("Microsoft.Hosting", StringComparison.Ordinal)); // the host's own records are there
        foreach (var record in records)
        {
            string text = record.Message + string.Join(";", record.StructuredState ?? []);
            Assert.False(text.Contains(collector.Credentials.TrackToken, StringComparison.Ordinal), $"{record.Category} {record.Id}: {text}");
            Assert.False(text.Contains(collector.Credentials.PageApiKey, StringComparison.Ordinal), $"{record.Category} {record.Id}: {text}");
        }
    }

    private sealed class Recorder(ConcurrentQueue<HttpRequestMessage> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
