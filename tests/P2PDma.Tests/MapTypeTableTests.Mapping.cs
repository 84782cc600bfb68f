using System;
using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The rest of the mapping rows (their kernel sources are in <see cref="MappingTable"/>): dma-buf errors, IOVA
/// rounding and alignment, the bus DMA limit, the map-type cache and the bus-address map.
/// </summary>
public sealed partial class MapTypeTableTests
{
    private const ulong HighGpuBar = 0x40_0000_0000;

    private static readonly Dictionary<string, Action> MoreMappingRules = new(StringComparer.Ordinal)
    {
        ["DmaBuf_MappingError_IsNoMemory"] = () =>
        {
            // THRU_HOST_BRIDGE under dma-direct: dma_map_phys of a BAR above the importer's 32-bit mask fails.
            PciTopology t = new PciTopologyBuilder()
                .HostBridge("hb0", hb => hb.Identity(Ids.Intel, Ids.SkylakeE))
                .RootPort("rp0", "hb0").RootPort("rp1", "hb0")
                .Endpoint("gpu", "rp0", f => f.Bar(0, HighGpuBar, 0x1000_0000))
                .Endpoint("nic", "rp1")
                .Build();
            P2PProvider provider = Topologies.GpuProvider(t);
            DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
                .DynamicAttach(t.Device("nic"), new DmaBufImportOps { AllowPeer2Peer = true }).Value;
            PhysRange[] ranges = { new(PhysAddr.FromRaw(HighGpuBar), 0x1000) };

            DmaResult<SgTable> result = DmaBufMapping.PhysVecToSgt(attach, provider, ranges, 0x1000, DmaDirection.ToDevice);

            Assert.Equal(DmaError.NoMemory, result.Error);
        },
        ["Iova_FewerThan32Pages_RoundedUpToAPowerOfTwo"] = () =>
        {
            // 3 pages take 4: the next page-sized IOVA lands below the whole 4-page block, not in its last page.
            PciTopology t = Topologies.SingleDevice(iommu: true);
            PciDevice nic = t.Device("nic");
            DmaAddr three = Dma.MapSingle(nic, t.Memory.Kmalloc(0x3000), 0, 0x3000, DmaDirection.ToDevice);
            DmaAddr one = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
            Assert.Equal(0xFFFF_C000UL, three.Raw);
            Assert.Equal(0xFFFF_B000UL, one.Raw);
        },
        ["Iova_RangeAlignedToItsSize"] = () =>
        {
            // After one page at the top, two pages go to the next 2-page-aligned slot (0xffffc000), not 0xffffd000.
            PciTopology t = Topologies.SingleDevice(iommu: true);
            PciDevice nic = t.Device("nic");
            DmaAddr one = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
            DmaAddr two = Dma.MapSingle(nic, t.Memory.Kmalloc(0x2000), 0, 0x2000, DmaDirection.ToDevice);
            Assert.Equal(0xFFFF_F000UL, one.Raw);
            Assert.Equal(0xFFFF_C000UL, two.Raw);
        },
        ["DmaCapable_HonoursBusDmaLimit"] = () =>
        {
            // RAM at 2 GiB.. is inside the 32-bit mask but above a 1 GiB bus limit: dma-direct cannot reach it.
            PciTopology t = new PciTopologyBuilder().Ram(0x8000_0000, 0x1000_0000)
                .HostBridge("hb0", hb => hb.DmaLimit(0x3FFF_FFFF)).RootPort("rp0", "hb0").Endpoint("nic", "rp0").Build();
            DmaAddr address = Dma.MapSingle(t.Device("nic"), t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
            Assert.True(Dma.MappingError(t.Device("nic"), address));
        },
        ["IovaLimit_HonoursBusDmaLimit"] = () =>
        {
            PciTopology t = new PciTopologyBuilder()
                .HostBridge("hb0", hb => hb.Iommu().DmaLimit(0x3FFF_FFFF)).RootPort("rp0", "hb0").Endpoint("nic", "rp0").Build();
            DmaAddr iova = Dma.MapSingle(t.Device("nic"), t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
            Assert.Equal(0x3FFF_F000UL, iova.Raw);
        },
        ["MapTypeCache_OnlyForInitialisedProviders"] = () =>
        {
            PciTopology t = Topologies.SwitchSiblings();
            PciDevice gpu = t.Device("gpu");
            PciDevice nic = t.Device("nic");
            PciP2PDma.Describe(gpu, nic);
            Assert.False(gpu.P2P.IsCached(nic)); // no pdev->p2pdma yet: nothing stored
            PciP2PDma.Init(gpu);
            P2PPath first = PciP2PDma.Describe(gpu, nic);
            Assert.True(gpu.P2P.IsCached(nic));
            Assert.Same(first, PciP2PDma.Describe(gpu, nic));
        },
        ["BusAddrMap_AddsTheOffset_WithoutARangeCheck"] = () =>
        {
            PciTopology t = Topologies.BusOffsetSwitch();
            P2PProvider provider = Topologies.GpuProvider(t);
            Assert.Equal(0x9000_1000UL - 0x4000_0000, PciP2PDma.BusAddrMap(provider, PhysAddr.FromRaw(0x9000_0000 + 0x1000)).Raw);
            Assert.Equal(Topologies.OffsetVictimBarCpu - 0x4000_0000, PciP2PDma.BusAddrMap(provider, PhysAddr.FromRaw(Topologies.OffsetVictimBarCpu)).Raw);
        },
    };
}
