using System.Collections.Concurrent;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// The engines of a container built so far, by name: a health check run before the host starts reports an engine not
/// built yet without building it (which opens its spool and creates its HTTP client).
/// </summary>
internal sealed class BuiltEngines
{
    // Written by the keyed EngineHost factory, once per engine; read by the health checks.
    private readonly ConcurrentDictionary<string, EngineHost> _hosts = new(StringComparer.Ordinal);

    public EngineHost Add(EngineHost host)
    {
        _hosts[host.Name] = host;
        return host;
    }

    public EngineHost? Find(string name) => _hosts.GetValueOrDefault(name);
}
