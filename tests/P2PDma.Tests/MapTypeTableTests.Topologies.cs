using System;
using System.Linq;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>The topologies the table's rows are built from.</summary>
public sealed partial class MapTypeTableTests
{
    /// <summary>hb0 - rp0 - sw0 - sw0.dp0 - {gpu (fn 0), gpu.1 (fn 1)}; sw0.dp1 - nic.</summary>
    private static PciTopology MultiFunction(AcsControl portAcs = AcsControl.None, AcsControl clientFunctionAcs = AcsControl.None) =>
        new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0", f => f.Acs(portAcs))
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Acs(clientFunctionAcs).Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("gpu.1", "sw0.dp0", f => f.Address(null, 1).Bar(0, 0xD000_0000, 0x100_0000))
            .Endpoint("nic", "sw0.dp1")
            .Build();

    /// <summary>hb0 - rp0 - sw0 - { sw0.dp0 - sw1 - { sw1.dp0 - gpu, sw1.dp1 - gpu2 }, sw0.dp1 - nic }.</summary>
    private static PciTopology NestedSwitches() =>
        new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .SwitchUpstreamPort("sw1", "sw0.dp0")
            .SwitchDownstreamPort("sw1.dp0", "sw1")
            .SwitchDownstreamPort("sw1.dp1", "sw1")
            .Endpoint("gpu", "sw1.dp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("gpu2", "sw1.dp1", f => f.Bar(0, 0xD000_0000, 0x1000_0000))
            .Endpoint("nic", "sw0.dp1")
            .Build();

    /// <summary>Integrated endpoints ie0 (fn 0 and fn 1) and ie1 on hb0's root bus, plus nic below root port rp0.</summary>
    private static PciTopology IntegratedEndpoints() => IntegratedEndpoints(Ids.PlainHost());

    private static PciTopology IntegratedEndpoints(Action<HostBridgeOptions> host) =>
        new PciTopologyBuilder()
            .HostBridge("hb0", host)
            .Endpoint("ie0", "hb0", f => f.Address(1).Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("ie0.1", "hb0", f => f.Address(1, 1))
            .Endpoint("ie1", "hb0", f => f.Address(2))
            .RootPort("rp0", "hb0", f => f.Address(3))
            .Endpoint("nic", "rp0")
            .Build();

    /// <summary>gpu deep below a switch on hb0, nic directly below a root port of hb1; both bridges Skylake-E.</summary>
    private static PciTopology DeepAndShallowOnTwoBridges() =>
        new PciTopologyBuilder()
            .HostBridge("hb0", Ids.SkylakeHost())
            .HostBridge("hb1", Ids.SkylakeHost())
            .RootPort("rp0", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .RootPort("rp1", "hb1")
            .Endpoint("nic", "rp1")
            .Build();

    /// <summary>
    /// hb0 (with or without its 00.0 host function) - { [integrated endpoint at slot n], rp0 - gpu, rp1 - nic }: which
    /// root-bus device the allowlist checks. The root ports take the automatic slots after any integrated endpoint.
    /// </summary>
    private static PciTopology RootBusFirst(
        bool hostFunction = false,
        (ushort Vendor, ushort Device)? host = null,
        (int Slot, ushort Vendor, ushort Device)? integrated = null,
        (ushort Vendor, ushort Device)? firstRootPort = null)
    {
        var b = new PciTopologyBuilder().HostBridge("hb0", hb =>
        {
            hb.HostFunction(hostFunction);
            if (host is (ushort v, ushort d))
            {
                hb.Identity(v, d);
            }
        });
        if (integrated is (int slot, ushort iv, ushort id))
        {
            b.Endpoint("ie", "hb0", f => f.Address(slot).Identity(iv, id));
        }

        return b.RootPort("rp0", "hb0", f => f.Address(5).Identity(firstRootPort?.Vendor ?? 0x1b36, firstRootPort?.Device ?? 0x000c))
            .RootPort("rp1", "hb0", f => f.Address(6))
            .Endpoint("gpu", "rp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("nic", "rp1", f => f.Bar(0, Topologies.NicBar, Topologies.NicBarSize))
            .Build();
    }

    /// <summary>hb0 - rp0 - nic (PF, function 0) with virtual functions nic.vf0 (function 1) and nic.vf1 (function 2).</summary>
    private static PciTopology Sriov(AcsControl pfAcs = AcsControl.None) =>
        new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0", f => f.Acs(pfAcs).Bar(0, Topologies.NicBar, Topologies.NicBarSize))
            .Endpoint("nic.vf0", "rp0", f => f.Address(null, 1).VirtualFunctionOf("nic").Bar(0, 0xD000_0000, 0x10_0000))
            .Endpoint("nic.vf1", "rp0", f => f.Address(null, 2).VirtualFunctionOf("nic"))
            .Build();
}
