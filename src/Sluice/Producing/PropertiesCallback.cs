namespace Sluice.Producing;

/// <summary>
/// Writes an event's properties (or context) into <paramref name="writer"/>; called synchronously
/// inside Track/Page. Pass a static lambda and a state argument and the call allocates nothing.
/// </summary>
public delegate void PropertiesCallback<in TState>(ref PropertiesWriter writer, TState state);
