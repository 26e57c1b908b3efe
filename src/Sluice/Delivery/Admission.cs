namespace Sluice.Delivery;

/// <summary>What <see cref="EndpointPause.Admit"/> decided for a new job.</summary>
internal enum Admission
{
    /// <summary>The endpoint is open: send.</summary>
    Open,

    /// <summary>The endpoint is paused and the job was parked: the probe will deliver it.</summary>
    Parked,

    /// <summary>The endpoint is paused and the park is full: a sender's job expires; one handed back after a resume waits for the next resume, then asks again.</summary>
    Wait,
}
