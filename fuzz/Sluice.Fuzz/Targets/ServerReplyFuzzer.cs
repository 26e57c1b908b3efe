using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Fuzz.Oracles;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Target 4: a server's reply — status code, <c>Retry-After</c> in every legal and illegal form, body —
/// through <see cref="ReplyClassifier.Classify"/>, then the wait through <see cref="RetryPolicy"/>.
/// The first bytes choose the status and the header; the rest is the body. Oracles: nothing throws;
/// the outcome is the one the failure table of docs/delivery.md gives for the status (2xx with <c>"success": false</c>
/// in a readable body is a retry, never a delivery); only a retry carries a wait, and it is what
/// the header asked (clamped to [0, 1 day]) or none; the policy never waits less than asked unless
/// the cap is lower, never more than the cap, and keeps jitter and probes within their bounds; the
/// message and warnings stay bounded.
/// </summary>
internal sealed class ServerReplyFuzzer : IFuzzer
{
    public const string TargetName = "server-reply";

    private static readonly DateTimeOffset Now = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    private static readonly int[] Statuses =
        [200, 201, 202, 204, 299, 400, 401, 403, 404, 408, 409, 413, 422, 425, 429, 500, 502, 503, 504, 599, 100, 101, 199, 300, 301, 302, 304, 307, 308, 399, 0, -1, 600, 999, int.MaxValue, int.MinValue];

    private static readonly long[] Offsets = [-400L * 86400, -1, 0, 1, 59, 120, 3600, 86399, 86400, 86401, 1_000_000_000];

    private static readonly string[] OddValues =
        ["", " ", "\t", "-1", "+30", "1.5", " 30 ", "30s", "0x10", "１２", "9999999999", "99999999999999999999", "2147483648", "0", "00000000120", "1e3", "NaN", "30, 60", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 2024 08:49:37 GMT", "Mon, 06 Nov 1994 08:49:37 GMT", "\u00a030"];

    public string Name => TargetName;

    public string? LastOutcome { get; private set; }

    public void FuzzTarget(ReadOnlySpan<byte> input)
    {
        const int Control = 12;
        var d = new FuzzData(input[..Math.Min(input.Length, Control)].ToArray());
        var body = input.Length > Control ? input[Control..] : default;

        int status = d.OneIn(4) ? d.Int(1200) - 100 : d.Pick(Statuses);
        var (retryAfter, asked) = RetryAfter(d);

        SendResult result;
        try
        {
            result = ReplyClassifier.Classify(status, retryAfter, body, Now);
        }
        catch (Exception ex)
        {
            throw new OracleFailure("throws", $"Classify({status}, {Quote(retryAfter)}, {body.Length} bytes) threw {ex.GetType().Name}: {ex.Message}");
        }

        bool? success = status is >= 200 and <= 299 ? SuccessIn(body) : null;
        var expected = Expected(status, success, RetryAfterHeader.Parse(retryAfter, Now) is not null);
        string reply = $"{status} with Retry-After {Quote(retryAfter)} and body {JsonText.Quote(Encoding.UTF8.GetString(body))}";
        OracleFailure.Check(result.Outcome == expected, "outcome", $"{reply} was classified {result.Outcome}, {expected} documented.");

        if (result.Outcome == SendOutcome.Retry)
        {
            if (result.RetryAfter is { } wait)
                OracleFailure.Check(wait >= TimeSpan.Zero && wait <= RetryAfterHeader.Ceiling, "retry-after-range", $"{reply}: a wait of {wait}.");
            if (asked.Known)
                OracleFailure.Check(result.RetryAfter == asked.Wait, "retry-after-value", $"{reply}: the wait is {result.RetryAfter?.ToString() ?? "none"}, {asked.Wait?.ToString() ?? "none"} asked.");
        }
        else
        {
            OracleFailure.Check(result.RetryAfter is null, "retry-after-outcome", $"{reply}: a {result.Outcome} carries a wait of {result.RetryAfter}.");
        }

        if (status is < 200 or > 299)
        {
            OracleFailure.Check(result.StatusCode == status, "status", $"{reply}: the result says status {result.StatusCode}.");
            OracleFailure.Check(!string.IsNullOrEmpty(result.Message), "message", $"{reply}: a failure without a message.");
        }

        OracleFailure.Check((result.Message?.Length ?? 0) <= (4 * ReplyBody.MaxTextChars) + 16, "message-length", $"{reply}: a message of {result.Message?.Length} characters.");
        OracleFailure.Check(result.Message is null || IsWholeText(result.Message), "message-split", $"{reply}: the message holds half a surrogate pair: {Quote(result.Message)}.");
        OracleFailure.Check(result.Message is null || !result.Message.AsSpan().ContainsAny('\r', '\n'), "message-lines", $"{reply}: the message spans lines: {Quote(result.Message)}.");
        OracleFailure.Check(result.Warnings is null || (result.Warnings.Count <= 100 && result.Warnings.All(w => w.Length <= ReplyBody.MaxTextChars + 1)), "warnings", $"{reply}: {result.Warnings?.Count} warnings, longest {result.Warnings?.Max(w => w.Length)}.");

        CheckPolicy(d, result.RetryAfter, reply);
        LastOutcome = $"{result.Outcome} status={status / 100} asked={asked.Known}/{asked.Wait.HasValue} wait={result.RetryAfter.HasValue} success={success} message={NdjsonEventFuzzer.Bucket(result.Message?.Length ?? 0)} warnings={NdjsonEventFuzzer.Bucket(result.Warnings?.Count ?? 0)}";
    }

    /// <summary>What the failure table of docs/delivery.md documents for a status (a 413 with a valid <c>Retry-After</c> is temporary).</summary>
    private static SendOutcome Expected(int status, bool? success, bool waitAsked) => status switch
    {
        >= 200 and <= 299 => success == false ? SendOutcome.Retry : SendOutcome.Delivered,
        400 or 422 => SendOutcome.Rejected,
        401 or 403 => SendOutcome.Unauthorized,
        413 => waitAsked ? SendOutcome.Retry : SendOutcome.TooLarge,
        408 or 425 or 429 or (>= 500 and <= 599) => SendOutcome.Retry,
        _ => SendOutcome.Failed,
    };

    /// <summary>
    /// The last boolean <c>success</c> of a body that starts with a JSON object the oracle can read
    /// (comments and trailing commas allowed, any depth, string contents not checked); null if it
    /// cannot or there is none.
    /// </summary>
    private static bool? SuccessIn(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = int.MaxValue });
        bool? success = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isSuccess = JsonText.Decode(reader.ValueSpan) == "success";
                reader.Read();
                if (isSuccess && reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                    success = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }

            // What follows the object does not matter: the object said what it said.
        }
        catch (JsonException)
        {
            return null;
        }

        return success;
    }

    /// <summary>The header's value, and the wait it asks for if the oracle knows it.</summary>
    private static (string? Value, (bool Known, TimeSpan? Wait) Asked) RetryAfter(FuzzData d)
    {
        long offset = d.Pick(Offsets);
        var date = Now.AddSeconds(offset);
        var wait = Clamp(TimeSpan.FromSeconds(offset));
        switch (d.Int(8))
        {
            case 0:
                return (null, (true, null));
            case 1:
                long seconds = Math.Abs(offset);
                return (seconds.ToString(CultureInfo.InvariantCulture), (true, Clamp(TimeSpan.FromSeconds(seconds))));
            case 2:
                return (date.ToString("ddd, dd MMM yyyy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture), (true, wait));
            case 3:
                // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead means the past century.
                return (date.ToString("dddd, dd-MMM-yy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture), (Math.Abs(date.Year - Now.Year) < 50, wait));
            case 4:
                return (string.Create(CultureInfo.InvariantCulture, $"{date:ddd MMM} {date.Day,2} {date:HH:mm:ss yyyy}"), (true, wait));
            case 5:
                string odd = d.Pick(OddValues);
                return (odd, Model(odd));
            default:
                var raw = Encoding.Latin1.GetString(d.Bytes(6));
                return (raw, Model(raw));
        }
    }

    /// <summary>The oracle's own reading of an odd value: delta-seconds are known; other text may or may not be a date.</summary>
    private static (bool Known, TimeSpan? Wait) Model(string value)
    {
        string text = value.Trim(' ', '\t');
        if (text.Length == 0)
            return (true, null);
        if (text.All(char.IsAsciiDigit))
        {
            var seconds = System.Numerics.BigInteger.Parse(text, CultureInfo.InvariantCulture);
            return (true, seconds >= (long)RetryAfterHeader.Ceiling.TotalSeconds ? RetryAfterHeader.Ceiling : TimeSpan.FromSeconds((long)seconds));
        }

        return (text.Any(char.IsAsciiLetter) && text.Any(char.IsAsciiDigit) ? false : true, null);
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > RetryAfterHeader.Ceiling ? RetryAfterHeader.Ceiling : wait;

    /// <summary>The policy's waits for this reply, with options drawn from the input.</summary>
    private static void CheckPolicy(FuzzData d, TimeSpan? retryAfter, string reply)
    {
        var baseDelay = TimeSpan.FromMilliseconds(1 + d.Int(10_000));
        var maxDelay = baseDelay + TimeSpan.FromSeconds(d.Pick((int[])[0, 1, 30, 3600, 86400]));
        var probe = TimeSpan.FromMilliseconds(1 + d.Int(60_000));
        var policy = new RetryPolicy(baseDelay, maxDelay, probe, new Random(d.Byte()));
        foreach (int retry in (int[])[1, 2, 3, 10, 40, 41, 63, 64, 1000, int.MaxValue])
        {
            var delay = policy.RetryDelay(retry, retryAfter);
            string what = $"{reply}: retry {retry} (base {baseDelay}, cap {maxDelay}) waits {delay}";
            OracleFailure.Check(delay >= TimeSpan.Zero && delay <= maxDelay, "policy-cap", $"{what}, outside [0, cap].");
            if (retryAfter is { } asked)
                OracleFailure.Check(delay >= (asked < maxDelay ? asked : maxDelay), "policy-retry-after", $"{what}, shorter than the {asked} asked (capped).");
            if (retryAfter is not { } longer || longer < delay)
                OracleFailure.Check(delay <= policy.BackoffCeiling(retry) && policy.BackoffCeiling(retry) <= maxDelay, "policy-jitter", $"{what}, past its ceiling {policy.BackoffCeiling(retry)}.");
        }

        foreach (int attempt in (int[])[0, 1, 3, 4, 100, int.MaxValue])
        {
            var delay = policy.ProbeDelay(attempt);
            var ceiling = policy.ProbeCeiling(attempt);
            OracleFailure.Check(ceiling <= probe * 8 && delay <= ceiling && delay >= TimeSpan.FromTicks(ceiling.Ticks / 2), "policy-probe", $"probe {attempt} (interval {probe}) waits {delay}, ceiling {ceiling}.");
        }
    }

    /// <summary>No lone surrogate: a cut never splits a character.</summary>
    private static bool IsWholeText(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            if (!Rune.TryGetRuneAt(text, i, out var rune))
                return false;
            i += rune.Utf16SequenceLength;
        }

        return true;
    }

    private static string Quote(string? value) => value is null ? "(none)" : JsonText.Quote(value);
}
