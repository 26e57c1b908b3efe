using Sluice.Delivery;

namespace Sluice.Tests.Delivery;

/// <summary>
/// What an endpoint's answers leave behind: the last failure, and when the latest request it accepted was sent, which tells a
/// 403 for a batch's content (a request sent after the refusal was accepted) from refused credentials.
/// </summary>
public class LastFailuresTests
{
    [Fact]
    public void The_latest_send_time_of_an_accepted_request_is_kept_whatever_order_the_answers_come_in()
    {
        var failures = new LastFailures(partitions: 2);
        Assert.Equal(0, failures.AcceptedSentAt(0));

        failures.Record(0, cause: null, retried: false, sentAt: 500);
        failures.Record(0, cause: null, retried: false, sentAt: 300); // sent earlier, answered later: the refusal in between was not after it
        Assert.Equal(500, failures.AcceptedSentAt(0));

        failures.Record(0, "403: Forbidden", retried: false, sentAt: 900); // a failure is not an acceptance
        Assert.Equal(500, failures.AcceptedSentAt(0));
        Assert.Equal("403: Forbidden", failures.Of(0));
        Assert.Equal(0, failures.AcceptedSentAt(1)); // each endpoint its own

        failures.Record(0, cause: null, retried: false, sentAt: 700);
        Assert.Equal(700, failures.AcceptedSentAt(0));
        Assert.Null(failures.Of(0));
    }
}
