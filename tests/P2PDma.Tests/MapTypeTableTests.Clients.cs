using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// Rows for clients that are not PCI functions, <c>pci_p2pmem_find_many</c>, and the refusals the DMA API makes
/// under <c>CONFIG_DMA_API_DEBUG</c> (kernel sources in <see cref="MappingTable"/>).
/// </summary>
public sealed partial class MapTypeTableTests
{
    private static readonly Dictionary<string, Action> ClientRules = new(StringComparer.Ordinal)
    {
        ["NonPciClient_MapType_IsNotSupported_EvenBelowAPciPeer"] = () =>
        {
            PciTopology t = Topologies.SwitchSiblings();
            var ns = new PlatformDevice("nvme0n1", t.Device("nic"));
            Assert.Equal(P2PMapType.NotSupported, PciP2PDma.MapType(Topologies.GpuProvider(t), ns));
            Assert.Equal(P2PMapType.BusAddr, PciP2PDma.MapType(Topologies.GpuProvider(t), t.Device("nic")));
        },
        ["NonPciClient_Distance_IsMeasuredFromItsNearestPciParent"] = () =>
        {
            PciTopology t = Topologies.SwitchSiblings();
            var ulp = new PlatformDevice("rdma0", new PlatformDevice("nic-aux", t.Device("nic")));
            Assert.Equal(4, PciP2PDma.Distance(t.Device("gpu"), ulp));
            Assert.Equal(-1, PciP2PDma.Distance(t.Device("gpu"), new PlatformDevice("platform0")));
            Assert.Equal(-1, PciP2PDma.DistanceMany(t.Device("gpu"), new Device[] { ulp, new PlatformDevice("platform0") }));
        },
        ["FindMany_PicksThePublishedProviderClosestToAllClients"] = () =>
        {
            // gpu (switch-local to nic, 4) and far (across root ports, Skylake: 6) both publish; gpu wins.
            PciTopology t = FindManyTopology();
            Publish(t, "far");
            Assert.Same(t.Device("far"), PciP2PDma.FindMany(new Device[] { t.Device("nic") }));
            Publish(t, "gpu");
            Assert.Same(t.Device("gpu"), PciP2PDma.FindMany(new Device[] { t.Device("nic") }));
            Assert.Same(t.Device("gpu"), PciP2PDma.FindMany(new Device[] { t.Device("nic") }, n => n - 1)); // far is no tie
        },
        ["FindMany_SkipsUnpublishedAndUnsupported_TiesArePicked"] = () =>
        {
            PciTopology t = FindManyTopology();
            Assert.Equal(DmaError.None, PciP2PDma.AddResource(t.Device("gpu"), 0)); // pool but not published
            Assert.Null(PciP2PDma.FindMany(new Device[] { t.Device("nic") }));
            PciP2PDma.Publish(t.Device("gpu"));
            Publish(t, "gpu2");
            int ties = 0;
            Assert.Same(t.Device("gpu2"), PciP2PDma.FindMany(new Device[] { t.Device("nic") }, n => { ties = n; return 1; }));
            Assert.Equal(2, ties); // gpu and gpu2 are both 4 from nic
            Assert.Null(PciP2PDma.FindMany(new Device[] { new PlatformDevice("platform0") }));
        },
        ["DmaMapResource_OfMemoryWithStructPages_RefusedUnderDebug"] = () =>
        {
            PciTopology t = Topologies.SwitchSiblings();
            PciDevice nic = t.Device("nic");
            PhysAddr ram = t.Memory.Kmalloc(0x1000).Phys;
            Assert.False(Dma.MappingError(nic, Dma.MapResource(nic, ram, 0x1000, DmaDirection.ToDevice))); // debug off: mapped
            t.DmaDebug.Enabled = true;
            Assert.True(Dma.MappingError(nic, Dma.MapResource(nic, ram, 0x1000, DmaDirection.ToDevice)));
            Assert.True(Dma.MappingError(nic, Dma.MapResource(nic, Topologies.GpuP2PPage(t).Phys, 0x1000, DmaDirection.ToDevice)));
            Assert.False(Dma.MappingError(nic, Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.NicBar), 0x1000, DmaDirection.ToDevice)));
            Assert.Equal(2, t.DmaDebug.Findings.Count(f => f.Kind == Debugging.DmaDebugFindingKind.MapResourceOfPageMemory));
        },
        ["DmaMapPage_OfZoneDevicePage_RefusedUnderDebug_MmioAlways"] = () =>
        {
            PciTopology t = Topologies.SwitchSiblings();
            PciDevice nic = t.Device("nic");
            Page p2p = Topologies.GpuP2PPage(t);
            Page ram = t.Memory.AllocPages(1)[0];
            Assert.True(Dma.MappingError(nic, Dma.MapPage(nic, ram, 0, 0x1000, DmaDirection.ToDevice, DmaAttrs.Mmio)));
            Assert.False(Dma.MappingError(nic, Dma.MapPage(nic, p2p, 0, 0x1000, DmaDirection.ToDevice))); // debug off: legacy
            t.DmaDebug.Enabled = true;
            Assert.True(Dma.MappingError(nic, Dma.MapPage(nic, p2p, 0, 0x1000, DmaDirection.ToDevice)));
            Assert.Contains(t.DmaDebug.Findings, f => f.Kind == Debugging.DmaDebugFindingKind.MapPageOfZoneDevicePage);
        },
    };

    /// <summary>SwitchSiblings plus gpu2 beside gpu below the switch and far below a second root port (Skylake-E host).</summary>
    private static PciTopology FindManyTopology() =>
        new PciTopologyBuilder()
            .HostBridge("hb0", Ids.SkylakeHost())
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .SwitchUpstreamPort("sw0", "rp0")
            .SwitchDownstreamPort("sw0.dp0", "sw0")
            .SwitchDownstreamPort("sw0.dp1", "sw0")
            .SwitchDownstreamPort("sw0.dp2", "sw0")
            .Endpoint("gpu", "sw0.dp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("nic", "sw0.dp1", f => f.Bar(0, Topologies.NicBar, Topologies.NicBarSize))
            .Endpoint("gpu2", "sw0.dp2", f => f.Bar(0, 0xD000_0000, 0x1000_0000))
            .Endpoint("far", "rp1", f => f.Bar(0, 0xC000_0000, 0x1000_0000))
            .Build();

    private static void Publish(PciTopology t, string name)
    {
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(t.Device(name), 0));
        PciP2PDma.Publish(t.Device(name));
    }
}
