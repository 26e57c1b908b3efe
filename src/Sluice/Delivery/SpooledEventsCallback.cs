namespace Sluice.Delivery;

/// <summary>The sequences of the events of a batch the spool now holds (<see cref="SluiceOptions.OnBatchSpooled"/>); the span is valid only during the call.</summary>
internal delegate void SpooledEventsCallback(ReadOnlySpan<long> sequences);
