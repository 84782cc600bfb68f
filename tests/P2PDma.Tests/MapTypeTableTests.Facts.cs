using System;
using System.Linq;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>Single facts about distances and paths that the table does not express.</summary>
public sealed partial class MapTypeTableTests
{
    [Fact]
    public void AcsRedirectPath_ListsTheRedirectingPortsProviderSideFirst()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.SkylakeHost(), providerPortAcs: AcsControl.RequestRedirect,
            clientPortAcs: AcsControl.RequestRedirect, upstreamPortAcs: AcsControl.RequestRedirect);

        P2PPath path = PciP2PDma.Describe(t.Device("gpu"), t.Device("nic"));

        // Provider walk: gpu, sw0.dp0, sw0 (found); client walk: nic, sw0.dp1 (stops at sw0).
        Assert.Equal(new[] { "sw0.dp0", "sw0", "sw0.dp1" }, path.AcsRedirects.Select(d => d.Name));
        Assert.Contains("ACS redirect", path.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Distance_IsNonNegativeForBothBusAddrAndThruHostBridge()
    {
        PciTopology local = Topologies.SwitchSiblings(Ids.SkylakeHost());
        PciTopology viaHost = Topologies.AcrossRootPorts(Ids.SkylakeHost());

        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.Describe(local.Device("gpu"), local.Device("nic")).MapType);
        Assert.Equal(P2PMapType.ThruHostBridge, PciP2PDma.Describe(viaHost.Device("gpu"), viaHost.Device("nic")).MapType);
        Assert.Equal(4, PciP2PDma.Distance(local.Device("gpu"), local.Device("nic")));
        Assert.Equal(4, PciP2PDma.Distance(viaHost.Device("gpu"), viaHost.Device("nic")));
    }

    [Fact]
    public void Distance_NotSupported_IsMinusOne()
    {
        PciTopology t = Topologies.AcrossRootPorts();
        Assert.Equal(-1, PciP2PDma.Distance(t.Device("gpu"), t.Device("nic")));
    }

    [Fact]
    public void DistanceMany_EmptyClientList_IsMinusOne()
    {
        PciTopology t = Topologies.SwitchSiblings();
        Assert.Equal(-1, PciP2PDma.DistanceMany(t.Device("gpu"), Array.Empty<PciDevice>()));
    }

    [Fact]
    public void DistanceMany_AllSupported_IsTheSumOfDistances()
    {
        PciTopology t = NestedSwitches();
        PciDevice gpu = t.Device("gpu");

        // gpu->gpu 0, gpu->gpu2 4 (inner switch), gpu->nic 6 (outer switch).
        Assert.Equal(0 + 4 + 6, PciP2PDma.DistanceMany(gpu, new[] { gpu, t.Device("gpu2"), t.Device("nic") }));
    }

    [Fact]
    public void DistanceMany_AnyUnsupportedClient_IsMinusOne()
    {
        // nic is switch-local to gpu (4); far sits below another root port of an unlisted host bridge.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("nic", "sw0.dp1")
            .Endpoint("far", "rp1")
            .Build();
        PciDevice gpu = t.Device("gpu");

        Assert.Equal(4, PciP2PDma.DistanceMany(gpu, new[] { t.Device("nic") }));
        Assert.Equal(-1, PciP2PDma.DistanceMany(gpu, new[] { t.Device("nic"), t.Device("far") }));
        Assert.Equal(-1, PciP2PDma.DistanceMany(gpu, new[] { t.Device("far"), t.Device("nic") }));
    }

    [Fact]
    public void Distance_NullArgumentsAndForeignTopology_Throw()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciTopology other = Topologies.SwitchSiblings();

        Assert.Throws<ArgumentNullException>(() => PciP2PDma.Distance(null!, t.Device("nic")));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.Distance(t.Device("gpu"), null!));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.DistanceMany(t.Device("gpu"), null!));
        Assert.Throws<ArgumentNullException>(() => PciP2PDma.DistanceMany(t.Device("gpu"), new PciDevice[] { null! }));
        Assert.Throws<ArgumentException>(() => PciP2PDma.Describe(t.Device("gpu"), other.Device("nic")));
    }

    [Fact]
    public void MapType_NullProvider_IsNotSupported()
    {
        PciTopology t = Topologies.SwitchSiblings();
        Assert.Equal(P2PMapType.NotSupported, PciP2PDma.MapType(null, t.Device("nic")));
    }

    [Fact]
    public void MapType_OfProvider_AsksAboutItsOwner()
    {
        PciTopology t = Topologies.SwitchSiblings();
        P2PProvider provider = Topologies.GpuProvider(t);
        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.MapType(provider, t.Device("nic")));
    }
}
