using System.Diagnostics.Metrics;

namespace Sluice.Tests.Support;

/// <summary>An <see cref="IMeterFactory"/> whose meters carry it as their scope, so a test's collectors see only its own engine.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public IReadOnlyList<Meter> Meters
    {
        get
        {
            lock (_meters)
                return [.. _meters];
        }
    }

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
            _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in Meters)
            meter.Dispose();
    }
}
