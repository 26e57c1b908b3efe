using Sluice.Batching;
using Sluice.Delivery;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>One endpoint's pause: who may send, who is parked (up to the capacity), who waits, and the resume.</summary>
public class EndpointPauseTests
{
    private static DeliveryJob Job(int sequence) => new(Seal(Memory(), ["{}"], sequence: sequence));

    [Fact]
    public void An_open_endpoint_admits_every_job()
    {
        var pause = new EndpointPause(capacity: 2);
        Assert.False(pause.IsPaused);
        Assert.Equal(Admission.Open, pause.Admit(Job(0), out var resumed));
        Assert.True(resumed.IsCompleted);
    }

    [Fact]
    public void A_paused_endpoint_parks_up_to_its_capacity_then_makes_senders_wait_for_the_resume()
    {
        var pause = new EndpointPause(capacity: 2);
        Assert.True(pause.Pause(Job(0)));       // the first refusal pauses: that job becomes the probe
        Assert.True(pause.IsPaused);
        var first = Job(1);
        var second = Job(2);
        Assert.Equal(Admission.Parked, pause.Admit(first, out _));
        Assert.Equal(Admission.Parked, pause.Admit(second, out _));
        Assert.Equal(Admission.Wait, pause.Admit(Job(3), out var resumed));
        Assert.False(resumed.IsCompleted);

        var parked = pause.Resume();

        Assert.Equal([first, second], parked);  // oldest first
        Assert.True(resumed.IsCompleted);
        Assert.False(pause.IsPaused);
        Assert.Equal(Admission.Open, pause.Admit(Job(4), out _));
    }

    [Fact]
    public void A_job_refused_while_already_paused_is_parked_even_beyond_the_capacity()
    {
        var pause = new EndpointPause(capacity: 1);
        Assert.True(pause.Pause(Job(0)));
        Assert.Equal(Admission.Parked, pause.Admit(Job(1), out _));
        var inFlight = Job(2);
        Assert.False(pause.Pause(inFlight));   // it was already sent when the pause began: kept, not dropped

        Assert.Equal(2, pause.TakeParked().Count);
        Assert.Empty(pause.TakeParked());
        Assert.True(pause.IsPaused);            // taking the parked jobs at the deadline does not resume
    }
}
