using Sluice.Delivery;

namespace Sluice.Tests.Delivery;

public class LatestTimeTests
{
    [Fact]
    public void A_later_time_replaces_an_earlier_one_and_never_the_reverse()
    {
        long latest = 0;
        LatestTime.Raise(ref latest, 10);
        Assert.Equal(10, latest);
        LatestTime.Raise(ref latest, 5);
        Assert.Equal(10, latest);
        LatestTime.Raise(ref latest, 10);
        Assert.Equal(10, latest);
        LatestTime.Raise(ref latest, 11);
        Assert.Equal(11, latest);
    }

    [Fact]
    public void Writers_racing_leave_the_latest_of_all_their_times()
    {
        // Each writer raises to times of its own (writer w: w, w + 4, w + 8, ...), all at once, and reads the latest back:
        // it is never earlier than its own. A writer whose exchange failed must try again, or its time is lost to an
        // earlier one another wrote in between.
        const int Writers = 4, Each = 50_000;
        long behind = 0;
        for (int round = 0; round < 10; round++)
        {
            long latest = 0;
            using var start = new Barrier(Writers);
            var threads = Enumerable.Range(1, Writers).Select(w => new Thread(() =>
            {
                start.SignalAndWait();
                for (long i = 0; i < Each; i++)
                {
                    long time = w + (i * Writers);
                    LatestTime.Raise(ref latest, time);
                    if (Volatile.Read(ref latest) < time)
                        Interlocked.Increment(ref behind);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Equal(Writers + ((Each - 1L) * Writers), latest);
        }

        Assert.Equal(0, behind);
    }
}
