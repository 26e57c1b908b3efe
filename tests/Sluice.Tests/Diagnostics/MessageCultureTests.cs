using System.Collections.Concurrent;
using System.Text;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Diagnostics;

/// <summary>
/// Messages write their numbers as the docs and the command line do, whatever the current culture: a German one wrote
/// "1.000 bytes" (read as one byte in English) beside the command line's own "1,000".
/// </summary>
public class MessageCultureTests
{
    [Fact]
    public async Task An_oversize_event_and_an_oversize_line_are_reported_with_invariant_numbers_under_a_german_culture()
    {
        using var german = CurrentCulture.Set("de-DE"); // flows to the engine's threads, started below
        var diagnostics = new ConcurrentQueue<DiagnosticEvent>();
        var errors = new List<IngestError>();
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 1_000, OnDiagnostic = diagnostics.Enqueue }, new InMemoryTransport()))
        {
            engine.Track("u", "e", new Dictionary<string, object?> { ["big"] = new string('x', 1_500) });
            string line = $$$"""{"user_id":"u","event_name":"e","properties":{"big":"{{{new string('x', 2_000)}}}"}}""" + "\n";
            await engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(line)), errors.Add);
        }

        var oversize = Assert.Single(diagnostics, d => d.Kind == DiagnosticKind.EventOversize);
        Assert.EndsWith("exceeds the batch limit of 1,000 bytes and was not sent.", oversize.Message, StringComparison.Ordinal);
        Assert.Equal("The line is 2,056 bytes long, over the batch limit of 1,000 bytes (MaxBatchBytes).", Assert.Single(errors).Message);
    }
}
