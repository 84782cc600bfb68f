using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace P2PDma.Pci;

/// <summary>
/// One PCI function (the kernel's <c>struct pci_dev</c>, and its embedded <c>struct device</c> for the DMA API):
/// a root port, a switch port or an endpoint function, with its BARs, ACS control, DMA mask and IOMMU domain.
/// </summary>
public sealed class PciDevice : Device
{
    private readonly List<PciDevice> _children = new();
    private readonly PciDevice? _upstream;
    private PciBar[] _bars = Array.Empty<PciBar>();

    internal PciDevice(PciTopology topology, PciHostBridge hostBridge, PciDevice? upstream, string name, PciDeviceKind kind,
        PciBdf bdf, ushort vendorId, ushort deviceId, AcsControl acs, ulong dmaMask)
    {
        Topology = topology;
        HostBridge = hostBridge;
        _upstream = upstream;
        Name = name;
        Kind = kind;
        Bdf = bdf;
        VendorId = vendorId;
        DeviceId = deviceId;
        Acs = acs;
        DmaMask = dmaMask;
        P2P = new P2PDeviceState(this);
        upstream?._children.Add(this);
    }

    /// <summary>The system the function belongs to.</summary>
    public PciTopology Topology { get; }

    /// <summary>The name the topology description gave the function (e.g. <c>gpu0</c>).</summary>
    public override string Name { get; }

    /// <summary>The bridge above (<see cref="Upstream"/>); null on a root bus, where the parent would be the host bridge.</summary>
    public override Device? Parent => Upstream;

    /// <summary>Root port, switch port or endpoint.</summary>
    public PciDeviceKind Kind { get; }

    /// <summary>The function's address.</summary>
    public PciBdf Bdf { get; }

    /// <summary>PCI vendor ID.</summary>
    public ushort VendorId { get; }

    /// <summary>PCI device ID.</summary>
    public ushort DeviceId { get; }

    /// <summary>The ACS Control register (<c>PCI_ACS_CTRL</c>); <see cref="AcsControl.None"/> without the capability.</summary>
    public AcsControl Acs { get; }

    /// <summary>True when ACS redirects peer traffic up to the root complex (<c>pci_bridge_has_acs_redir</c>: RR, CR or EC).</summary>
    public bool HasAcsRedirect => (Acs & AcsControl.RedirectMask) != 0;

    /// <summary>
    /// The bridge directly above (<c>pci_upstream_bridge</c>); null on a host bridge's root bus. For an SR-IOV virtual
    /// function it is the bridge above its physical function (<c>pci_physfn</c>): a VF's own bus may be a virtual one
    /// with no bridge device, so the kernel walks up from the PF's bus.
    /// </summary>
    public PciDevice? Upstream => PhysFn is PciDevice pf ? pf.Upstream : _upstream;

    /// <summary>The physical function of an SR-IOV virtual function (<c>pci_physfn</c>); null for any other function.</summary>
    public PciDevice? PhysFn { get; internal set; }

    /// <summary>True for an SR-IOV virtual function (<c>dev-&gt;is_virtfn</c>).</summary>
    public bool IsVirtualFunction => PhysFn is not null;

    /// <summary>The host bridge the function's hierarchy hangs from (<c>pci_find_host_bridge</c>).</summary>
    public PciHostBridge HostBridge { get; }

    /// <summary>The functions directly below this bridge.</summary>
    public IReadOnlyList<PciDevice> Children => _children;

    /// <summary>True for root ports and switch ports.</summary>
    public bool IsBridge => Kind != PciDeviceKind.Endpoint;

    /// <summary>The function's memory BARs, by index.</summary>
    public IReadOnlyList<PciBar> Bars => _bars;

    /// <summary>
    /// The DMA addressing limit (<c>*dev->dma_mask</c>): 32 bits until the driver calls
    /// <see cref="Dma.SetMaskAndCoherent"/>, unless the description set another.
    /// </summary>
    public ulong DmaMask { get; internal set; }

    /// <summary>The IOMMU domain translating this function's DMA, or null under dma-direct.</summary>
    public IommuDomain? IommuDomain { get; internal set; }

    /// <summary>True while a driver is bound; <see cref="Unbind"/> ends it and checks for leaked mappings.</summary>
    public bool IsBound { get; private set; } = true;

    internal P2PDeviceState P2P { get; }

    /// <summary>The memory BAR with index <paramref name="index"/> (<c>pci_resource_start(pdev, index)</c> and friends).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The function has no memory BAR with that index.</exception>
    public PciBar Bar(int index) =>
        _bars.FirstOrDefault(b => b.Index == index)
        ?? throw new ArgumentOutOfRangeException(nameof(index), $"{Name} ({Bdf}) has no memory BAR {index}.");

    /// <summary>
    /// Unbinds the driver: with DMA debugging on, every mapping still live is reported
    /// ("pending DMA allocations while released from device"), and then forgotten by the debug tracker, so a later
    /// unbind (after <see cref="Bind"/>) reports only what the new driver leaks.
    /// </summary>
    /// <remarks>
    /// <c>CONFIG_DMA_API_DEBUG</c> (<c>dma_debug_device_change</c> on <c>BUS_NOTIFY_UNBOUND_DRIVER</c>) prints one
    /// warning with the count and keeps the entries, so a later unbind would count them again; in practice
    /// <c>err_printk</c> prints only the first error unless <c>all_errors</c> is set. The model forgets them
    /// instead: the driver that could unmap them is gone, and blaming the next driver for them would mislead. The
    /// leaked IOMMU mappings themselves stay in place, as on real hardware.
    /// </remarks>
    public void Unbind()
    {
        IsBound = false;
        Topology.DmaDebug.OnUnbind(this);
    }

    /// <summary>Binds a driver again after <see cref="Unbind"/>.</summary>
    public void Bind() => IsBound = true;

    /// <summary>The walk up to the root bus, starting with this function.</summary>
    internal IEnumerable<PciDevice> SelfAndUpstream()
    {
        for (PciDevice? d = this; d is not null; d = d.Upstream)
        {
            yield return d;
        }
    }

    internal void SetBars(PciBar[] bars) => _bars = bars;

    /// <summary>E.g. <c>gpu0 (0000:03:00.0)</c>.</summary>
    public override string ToString() => $"{Name} ({Bdf})";
}
