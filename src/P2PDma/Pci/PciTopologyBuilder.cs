using System;
using P2PDma.Addresses;
using P2PDma.Pci.Description;

namespace P2PDma.Pci;

/// <summary>
/// Builds a <see cref="PciTopology"/> in code. Declarations name their parent, as the text description does;
/// <see cref="Build"/> validates everything at once and throws <see cref="TopologyException"/> listing every problem.
/// </summary>
/// <example>
/// <code>
/// PciTopology topology = new PciTopologyBuilder()
///     .HostBridge("hb0", hb => hb.Iommu())
///     .RootPort("rp0", parent: "hb0")
///     .SwitchUpstreamPort("sw0", parent: "rp0")
///     .SwitchDownstreamPort("sw0.0", parent: "sw0")
///     .SwitchDownstreamPort("sw0.1", parent: "sw0")
///     .Endpoint("gpu", parent: "sw0.0", f => f.Bar(0, cpu: 0x80_0000_0000, size: 0x1000_0000))
///     .Endpoint("nic", parent: "sw0.1")
///     .Build();
/// </code>
/// </example>
public sealed class PciTopologyBuilder
{
    private readonly TopologySpec _spec = new();

    /// <summary>
    /// Sets the boot CPU (default: a generic CPU without P2P forwarding); a later call replaces an earlier one. The
    /// family must lie in 0..0xff, as in a description (checked by <see cref="Build"/>).
    /// </summary>
    public PciTopologyBuilder Cpu(CpuVendor vendor, int family)
    {
        _spec.Cpu = new CpuInfo(vendor, family);
        return this;
    }

    /// <summary>Adds a range of system RAM (default when none is added: 2 GiB at 0).</summary>
    public PciTopologyBuilder Ram(ulong start, ulong size)
    {
        _spec.Ram.Add(new PhysRange(PhysAddr.FromRaw(start), size));
        _spec.RamLines.Add(null);
        return this;
    }

    /// <summary>Adds a host bridge (root complex).</summary>
    public PciTopologyBuilder HostBridge(string name, Action<HostBridgeOptions>? configure = null)
    {
        var spec = new HostBridgeSpec { Name = name, Order = _spec.NextOrder() };
        configure?.Invoke(new HostBridgeOptions(spec));
        _spec.HostBridges.Add(spec);
        return this;
    }

    /// <summary>Adds a root port below host bridge <paramref name="parent"/>.</summary>
    public PciTopologyBuilder RootPort(string name, string parent, Action<FunctionOptions>? configure = null) =>
        Function(PciDeviceKind.RootPort, name, parent, configure);

    /// <summary>Adds a switch upstream port below a root port or a switch downstream port.</summary>
    public PciTopologyBuilder SwitchUpstreamPort(string name, string parent, Action<FunctionOptions>? configure = null) =>
        Function(PciDeviceKind.SwitchUpstreamPort, name, parent, configure);

    /// <summary>Adds a switch downstream port below a switch upstream port.</summary>
    public PciTopologyBuilder SwitchDownstreamPort(string name, string parent, Action<FunctionOptions>? configure = null) =>
        Function(PciDeviceKind.SwitchDownstreamPort, name, parent, configure);

    /// <summary>
    /// Adds an endpoint function below a root port, a switch downstream port or (integrated) a host bridge.
    /// Endpoints with the same parent and slot are functions of one device.
    /// </summary>
    public PciTopologyBuilder Endpoint(string name, string parent, Action<FunctionOptions>? configure = null) =>
        Function(PciDeviceKind.Endpoint, name, parent, configure);

    /// <summary>Validates the declarations and assembles the topology.</summary>
    /// <exception cref="TopologyException">Something is inconsistent; every problem is listed.</exception>
    public PciTopology Build() => TopologyAssembler.Assemble(_spec);

    internal TopologySpec Spec => _spec;

    private PciTopologyBuilder Function(PciDeviceKind kind, string name, string parent, Action<FunctionOptions>? configure)
    {
        var spec = new FunctionSpec { Name = name, Kind = kind, Parent = parent, Order = _spec.NextOrder() };
        configure?.Invoke(new FunctionOptions(spec));
        _spec.Functions.Add(spec);
        return this;
    }
}

/// <summary>Details of a host bridge declared with <see cref="PciTopologyBuilder.HostBridge"/>.</summary>
public sealed class HostBridgeOptions
{
    private readonly HostBridgeSpec _spec;

    internal HostBridgeOptions(HostBridgeSpec spec) => _spec = spec;

    /// <summary>Sets the PCI domain (default 0) and, optionally, the root bus number (default: the next free one).</summary>
    public HostBridgeOptions Domain(int domain, int? rootBus = null)
    {
        _spec.Domain = domain;
        _spec.RootBus = rootBus;
        return this;
    }

    /// <summary>Sets the vendor and device IDs of the root complex, which the P2PDMA allowlist checks.</summary>
    public HostBridgeOptions Identity(ushort vendorId, ushort deviceId)
    {
        _spec.VendorId = vendorId;
        _spec.DeviceId = deviceId;
        return this;
    }

    /// <summary>
    /// Says whether the root bus has a host bridge function at devfn 00.0 carrying the <see cref="Identity"/> (default:
    /// it has). Without one, the P2PDMA allowlist checks the first function on the root bus instead, if it is at 00.0
    /// or a root port (<c>pci_host_bridge_dev</c>), and slot 0 is free for a declared function.
    /// </summary>
    public HostBridgeOptions HostFunction(bool present)
    {
        _spec.HostFunction = present;
        return this;
    }

    /// <summary>Sets the bus addressing limit of the functions below (<c>bus_dma_limit</c>); 0 means none.</summary>
    public HostBridgeOptions DmaLimit(ulong limit)
    {
        _spec.DmaLimit = limit;
        return this;
    }

    /// <summary>Puts an IOMMU at this root complex: every function below gets its own DMA domain.</summary>
    public HostBridgeOptions Iommu(bool enabled = true)
    {
        _spec.Iommu = enabled;
        return this;
    }

    /// <summary>Sets the inbound dma-direct offset: devices reach RAM at <c>phys + offset</c>.</summary>
    public HostBridgeOptions DmaOffset(long offset)
    {
        _spec.DmaOffset = offset;
        return this;
    }

    /// <summary>Adds an outbound window: CPU <paramref name="cpu"/>.. appears on the bus at <paramref name="bus"/>...</summary>
    public HostBridgeOptions Window(ulong cpu, ulong size, ulong bus)
    {
        _spec.Windows.Add(new WindowSpec { CpuStart = cpu, Size = size, BusStart = bus });
        return this;
    }
}

/// <summary>Details of a function declared with the <see cref="PciTopologyBuilder"/> port and endpoint methods.</summary>
public sealed class FunctionOptions
{
    private readonly FunctionSpec _spec;

    internal FunctionOptions(FunctionSpec spec) => _spec = spec;

    /// <summary>Sets the vendor and device IDs.</summary>
    public FunctionOptions Identity(ushort vendorId, ushort deviceId)
    {
        _spec.VendorId = vendorId;
        _spec.DeviceId = deviceId;
        return this;
    }

    /// <summary>Sets the slot (device number) and function number; by default slots are assigned in order, function 0.</summary>
    public FunctionOptions Address(int? slot, int function = 0)
    {
        _spec.Slot = slot;
        _spec.Function = function;
        return this;
    }

    /// <summary>
    /// Makes this endpoint an SR-IOV virtual function of endpoint <paramref name="physFn"/>, declared below the same
    /// parent (give it a free function number): its upstream bridge is the one above the physical function
    /// (<c>pci_physfn</c>).
    /// </summary>
    public FunctionOptions VirtualFunctionOf(string physFn)
    {
        _spec.PhysFn = physFn;
        return this;
    }

    /// <summary>Sets the ACS Control register.</summary>
    public FunctionOptions Acs(AcsControl acs)
    {
        _spec.Acs = acs;
        return this;
    }

    /// <summary>Sets the DMA mask the function starts with, in bits (default 32, the kernel's default).</summary>
    public FunctionOptions DmaMaskBits(int bits)
    {
        _spec.DmaMaskBits = bits;
        return this;
    }

    /// <summary>Adds a memory BAR at CPU physical address <paramref name="cpu"/>; its bus address comes from the host bridge.</summary>
    public FunctionOptions Bar(int index, ulong cpu, ulong size, bool prefetchable = true)
    {
        _spec.Bars.Add(new BarSpec { Index = index, CpuStart = cpu, Size = size, Prefetchable = prefetchable });
        return this;
    }
}
