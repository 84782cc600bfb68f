using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;

namespace P2PDma.Pci;

/// <summary>
/// A host bridge (<c>struct pci_host_bridge</c>): the root complex a PCI hierarchy hangs from. Its vendor and device
/// IDs are the identity the P2PDMA allowlist checks; its windows translate CPU physical to PCI bus addresses.
/// </summary>
public sealed class PciHostBridge
{
    private readonly List<PciDevice> _rootBusDevices = new();

    internal PciHostBridge(PciTopology topology, string name, int domain, int rootBus, ushort vendorId, ushort deviceId,
        bool hasIommu, long dmaOffset, IReadOnlyList<HostBridgeWindow> windows, ulong dmaLimit = 0, bool hasHostFunction = true)
    {
        DmaLimit = dmaLimit;
        HasHostFunction = hasHostFunction;
        Topology = topology;
        Name = name;
        Domain = domain;
        RootBus = rootBus;
        VendorId = vendorId;
        DeviceId = deviceId;
        HasIommu = hasIommu;
        DmaOffset = dmaOffset;
        Windows = windows;
    }

    /// <summary>The system the bridge belongs to.</summary>
    public PciTopology Topology { get; }

    /// <summary>The name the topology description gave the bridge.</summary>
    public string Name { get; }

    /// <summary>The PCI domain (segment) number.</summary>
    public int Domain { get; }

    /// <summary>The root bus number.</summary>
    public int RootBus { get; }

    /// <summary>
    /// Vendor ID of the host bridge function at devfn 00.0 of the root bus (when <see cref="HasHostFunction"/>), the
    /// device the P2PDMA allowlist checks (<c>pci_host_bridge_dev</c>).
    /// </summary>
    public ushort VendorId { get; }

    /// <summary>Device ID of the host bridge function at devfn 00.0 (when <see cref="HasHostFunction"/>).</summary>
    public ushort DeviceId { get; }

    /// <summary>
    /// True when the root bus has a host bridge function at devfn 00.0 with <see cref="VendorId"/>:<see cref="DeviceId"/>
    /// (description field <c>host-function</c>, default yes). PCI does not require one: on e.g. Intel Skylake-SP the
    /// first function on a root bus is a root port, and that is what the allowlist then checks.
    /// </summary>
    public bool HasHostFunction { get; }

    /// <summary>
    /// The bus addressing limit of the functions below (<c>dev-&gt;bus_dma_limit</c>, from firmware's DMA ranges);
    /// 0 means none. <c>dma_capable</c> and the IOVA allocator use <c>min_not_zero(dma_mask, bus_dma_limit)</c>.
    /// </summary>
    public ulong DmaLimit { get; }

    /// <summary>
    /// The identity the P2PDMA allowlist checks (<c>pci_host_bridge_dev</c>): the first function on the root bus if it
    /// sits at devfn 00.0 (the host bridge function, or a declared function when there is none) or is a root port;
    /// null otherwise (then no entry can match, and the host bridge does not forward P2P).
    /// </summary>
    public (ushort VendorId, ushort DeviceId)? AllowlistIdentity
    {
        get
        {
            if (HasHostFunction)
            {
                return (VendorId, DeviceId);
            }

            PciDevice? first = _rootBusDevices.OrderBy(d => d.Bdf).FirstOrDefault();
            return first is not null && ((first.Bdf.Device == 0 && first.Bdf.Function == 0) || first.Kind == PciDeviceKind.RootPort)
                ? (first.VendorId, first.DeviceId)
                : null;
        }
    }

    /// <summary>True when an IOMMU translates DMA from the functions below (each gets its own DMA domain).</summary>
    public bool HasIommu { get; }

    /// <summary>
    /// Inbound translation under dma-direct: a device reaches RAM at <c>phys + DmaOffset</c>
    /// (<c>dev-&gt;dma_range_map</c>; zero on most systems).
    /// </summary>
    public long DmaOffset { get; }

    /// <summary>Outbound memory windows; none declared means bus addresses equal CPU physical addresses.</summary>
    public IReadOnlyList<HostBridgeWindow> Windows { get; }

    /// <summary>The functions on the root bus: root ports and integrated endpoints.</summary>
    public IReadOnlyList<PciDevice> RootBusDevices => _rootBusDevices;

    /// <summary>Every function below this host bridge.</summary>
    public IEnumerable<PciDevice> Devices => Topology.Devices.Where(d => d.HostBridge == this);

    /// <summary>
    /// Translates a CPU physical range to the PCI bus (<c>pcibios_resource_to_bus</c>); false when no window holds
    /// the whole range.
    /// </summary>
    public bool TryCpuToBus(PhysAddr cpu, ulong size, out PciBusAddr bus)
    {
        if (Windows.Count == 0)
        {
            bus = PciBusAddr.FromRaw(cpu.Raw);
            return true;
        }

        foreach (HostBridgeWindow w in Windows)
        {
            if (w.CpuRange.Contains(cpu, size))
            {
                bus = w.BusStart + (cpu - w.CpuStart);
                return true;
            }
        }

        bus = default;
        return false;
    }

    internal void AddRootBusDevice(PciDevice device) => _rootBusDevices.Add(device);

    /// <summary>E.g. <c>hb0 (domain 0000, 8086:2030)</c>, or <c>hb0 (domain 0000, no host function)</c>.</summary>
    public override string ToString() => HasHostFunction
        ? $"{Name} (domain {Domain:x4}, {VendorId:x4}:{DeviceId:x4})"
        : $"{Name} (domain {Domain:x4}, no host function)";
}
