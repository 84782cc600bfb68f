using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.Fabric;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.Pci.Description;

namespace P2PDma.Pci;

/// <summary>
/// A whole simulated system: the CPU, RAM, host bridges and every PCI function, plus the runtime state the DMA API
/// works on (memory contents, IOMMU domains, DMA debugging) and the <see cref="Fabric"/> that routes device DMA.
/// Built with <see cref="PciTopologyBuilder"/> or from a text description with <see cref="Parse"/>.
/// The structure is fixed once built; the runtime state is thread-safe.
/// </summary>
public sealed class PciTopology
{
    private readonly List<PciHostBridge> _hostBridges = new();
    private PciDevice[] _devices = Array.Empty<PciDevice>();
    private Dictionary<string, PciDevice> _byName = new(StringComparer.Ordinal);

    internal PciTopology(CpuInfo cpu, IReadOnlyList<PhysRange> ram)
    {
        Cpu = cpu;
        Ram = ram;
        Memory = new SystemMemory(this);
        Fabric = new DmaFabric(this);
        DmaDebug = new DmaDebug();
    }

    /// <summary>The boot CPU, whose vendor and family decide <c>cpu_supports_p2pdma</c>.</summary>
    public CpuInfo Cpu { get; }

    /// <summary>System RAM ranges.</summary>
    public IReadOnlyList<PhysRange> Ram { get; }

    /// <summary>The host bridges, in declaration order.</summary>
    public IReadOnlyList<PciHostBridge> HostBridges => _hostBridges;

    /// <summary>Every PCI function, ordered by address.</summary>
    public IReadOnlyList<PciDevice> Devices => _devices;

    /// <summary>RAM and BAR contents, as the CPU sees them.</summary>
    public SystemMemory Memory { get; }

    /// <summary>Routes DMA issued by devices and moves its bytes.</summary>
    public DmaFabric Fabric { get; }

    /// <summary>The DMA API debug checks (<c>CONFIG_DMA_API_DEBUG</c>, <c>CONFIG_DMABUF_DEBUG</c>); off until enabled.</summary>
    public DmaDebug DmaDebug { get; }

    /// <summary>Loads a topology from its text description (format: docs/topology-format.md).</summary>
    /// <exception cref="TopologyException">The description is malformed or inconsistent; every problem is listed with its line and field.</exception>
    public static PciTopology Parse(string description) => TopologyParser.Parse(description);

    /// <summary>Loads a topology description from a file.</summary>
    /// <exception cref="TopologyException">The description is malformed or inconsistent.</exception>
    public static PciTopology Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Writes the topology back as a text description that <see cref="Parse"/> reads to an equal topology.</summary>
    public string Describe() => TopologyWriter.Write(this);

    /// <summary>The function declared as <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No function has that name.</exception>
    public PciDevice Device(string name) =>
        _byName.TryGetValue(name, out PciDevice? device)
            ? device
            : throw new KeyNotFoundException($"The topology has no PCI function named '{name}' (known: {string.Join(", ", _byName.Keys)}).");

    /// <summary>Looks a function up by name.</summary>
    public bool TryGetDevice(string name, out PciDevice device)
    {
        bool found = _byName.TryGetValue(name, out PciDevice? d);
        device = d!;
        return found;
    }

    /// <summary>The host bridge declared as <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No host bridge has that name.</exception>
    public PciHostBridge HostBridge(string name) =>
        _hostBridges.FirstOrDefault(h => h.Name == name)
        ?? throw new KeyNotFoundException($"The topology has no host bridge named '{name}'.");

    /// <summary>The BAR whose CPU physical range holds <paramref name="address"/>, if any.</summary>
    public PciBar? FindBar(PhysAddr address) =>
        _devices.SelectMany(d => d.Bars).FirstOrDefault(b => b.Contains(address));

    /// <summary>True when <paramref name="address"/> is system RAM.</summary>
    public bool IsRam(PhysAddr address, ulong length = 1) => Ram.Any(r => r.Contains(address, length));

    internal void AddHostBridge(PciHostBridge bridge) => _hostBridges.Add(bridge);

    internal void Seal(IEnumerable<PciDevice> devices)
    {
        _devices = devices.OrderBy(d => d.Bdf).ToArray();
        _byName = _devices.ToDictionary(d => d.Name, StringComparer.Ordinal);
        foreach (PciDevice device in _devices.Where(d => d.HostBridge.HasIommu))
        {
            device.IommuDomain = new IommuDomain(device);
        }
    }
}
