using System.Buffers;
using System.Text;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Tests.Support;

/// <summary>
/// Answers each send with what a rule decides from the body and the attempt number, and records every
/// attempt (a copy of the body and the answer). Thread-safe; answers at once unless the rule is async.
/// </summary>
public sealed class ScriptedTransport(Func<ScriptedTransport.Attempt, SendResult> rule) : IBatchTransport
{
    private readonly Lock _lock = new();
    private readonly List<Attempt> _attempts = [];

    public IReadOnlyList<Attempt> Attempts
    {
        get
        {
            lock (_lock)
                return _attempts.ToArray();
        }
    }

    public int AttemptCount
    {
        get
        {
            lock (_lock)
                return _attempts.Count;
        }
    }

    /// <summary>The bodies answered Delivered, in order.</summary>
    public IReadOnlyList<ReceivedBatch> Delivered => Attempts.Where(a => a.Result.Outcome == SendOutcome.Delivered).Select(a => a.Batch).ToList();

    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        var copy = new ReceivedBatch(batch.Sequence, batch.Partition, batch.EndpointPath, batch.EventCount, batch.Body.ToArray());
        Attempt attempt;
        lock (_lock)
        {
            attempt = new Attempt(_attempts.Count, copy, default);
            _attempts.Add(attempt);
        }

        var result = rule(attempt);
        lock (_lock)
            _attempts[attempt.Number] = attempt with { Result = result };
        return new ValueTask<SendResult>(result);
    }

    /// <summary>One send: its number from 0, the body, and the answer given.</summary>
    public sealed record Attempt(int Number, ReceivedBatch Batch, SendResult Result)
    {
        public string Text => Encoding.UTF8.GetString(Batch.Body);

        public bool Contains(string s) => Text.Contains(s, StringComparison.Ordinal);
    }
}
