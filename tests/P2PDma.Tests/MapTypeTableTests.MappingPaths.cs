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
/// The mapping paths, row by row, each derived from the kernel source it names (current mainline; the PCI tree for
/// drivers/pci/p2pdma.c). A row states one behaviour; docs/fidelity.md lists which library rule each row catches when
/// broken. Rows that need more than a few lines live in <c>MapTypeTableTests.Mapping.cs</c>.
/// </summary>
public sealed partial class MapTypeTableTests
{
    private static readonly Dictionary<string, Action> MappingRules = new(StringComparer.Ordinal)
    {
        ["DirectSg_ThruHostBridge_MapsLikeRam_PhysToDmaApplies"] = () =>
        {
            // No inbound offset: phys_to_dma is the identity, the CPU physical address, no bus-address mark.
            (PciTopology t, SgTable table, Page p2p) = HostBridgePeerTable(dmaOffset: 0);
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(p2p.Phys, PhysAddr.FromRaw(table[0].DmaAddress.Raw));
            Assert.False(table[0].IsDmaBusAddress);

            // An inbound offset (a dma_range_map for RAM): a BAR has no translation, so phys_to_dma fails: -EIO. As
            // MMIO (dma_direct_map_phys with DMA_ATTR_MMIO) it would have kept its physical address.
            (PciTopology offset, SgTable peer, _) = HostBridgePeerTable(dmaOffset: 0x100_0000);
            Assert.Equal(DmaError.Io, Dma.MapSgTable(offset.Device("nic"), peer, DmaDirection.ToDevice));
        },
        ["DirectSg_BusAddr_GetsBusAddressAndMark"] = () =>
        {
            PciTopology t = Topologies.BusOffsetSwitch();
            SgTable table = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t, 0x2000) });
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(Topologies.OffsetGpuBarCpu + 0x2000 - 0x4000_0000, table[0].DmaAddress.Raw);
            Assert.True(table[0].IsDmaBusAddress);
            Assert.Equal(0x1000UL, table[0].DmaLength);
        },
        ["DirectSg_NotSupported_IsRemoteIo"] = () =>
        {
            PciTopology t = Topologies.AcrossRootPorts();
            SgTable table = SgTable.FromPages(new[] { t.Memory.AllocPages(1)[0], Topologies.GpuP2PPage(t) });
            Assert.Equal(DmaError.RemoteIo, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
        },
        ["DirectSg_UnreachablePage_IsIo"] = () =>
        {
            PciTopology t = new PciTopologyBuilder().Ram(0x1_0000_0000, 0x1000_0000).HostBridge("hb0").RootPort("rp0", "hb0").Endpoint("nic", "rp0").Build();
            Assert.Equal(DmaError.Io, Dma.MapSgTable(t.Device("nic"), SgTable.FromPages(t.Memory.AllocPages(1)), DmaDirection.ToDevice));
        },
        ["IommuSg_OneIovaAllocationForTheWholeList"] = () =>
        {
            PciTopology t = Topologies.SingleDevice(iommu: true);
            PciDevice nic = t.Device("nic");
            Page a = t.Memory.AllocPages(1)[0];
            t.Memory.AllocPages(3);
            Page b = t.Memory.AllocPages(1)[0];
            SgTable table = SgTable.FromPages(new[] { a, b });
            Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));
            Assert.True(nic.IommuDomain!.TryTranslate(table[0].DmaAddress + 0x1000, out PhysAddr second, out _));
            Assert.Equal(b.Phys, second); // the second page follows the first in IOVA space, whatever their physical gap
        },
        ["IommuSg_FinaliseSg_TwoContiguousRamPages_OneSegment"] = () =>
        {
            PciTopology t = Topologies.SingleDevice(iommu: true);
            SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(1, table.Nents);
            Assert.Equal(0x2000UL, table[0].DmaLength);
            Assert.Equal((DmaAddr.MappingError, 0UL), (table[1].DmaAddress, table[1].DmaLength));
        },
        ["IommuSg_FinaliseSg_BusPageThenTwoRamPages_TwoSegments"] = () =>
        {
            PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
            Page[] ram = t.Memory.AllocPages(2);
            SgTable table = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t), ram[0], ram[1] });
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(2, table.Nents);
            Assert.True(table[0].IsDmaBusAddress);
            Assert.Equal((Topologies.OffsetGpuBarCpu - 0x4000_0000, 0x1000UL), (table[0].DmaAddress.Raw, table[0].DmaLength));
            Assert.False(table[1].IsDmaBusAddress);
            Assert.Equal(0x2000UL, table[1].DmaLength);
            Assert.Equal(0UL, table[2].DmaLength);
        },
        ["IommuSg_FinaliseSg_BusEntryEndsTheSegmentBeforeIt_ThreeSegments"] = () =>
        {
            // [RAM, bus, RAM, RAM]: the bus entry is a segment of its own and the RAM after it starts a new one.
            PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
            Page[] ram = t.Memory.AllocPages(3);
            SgTable table = SgTable.FromPages(new[] { ram[0], Topologies.GpuP2PPage(t), ram[1], ram[2] });
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(3, table.Nents);
            Assert.Equal(new[] { false, true, false, false }, table.Select(sg => sg.IsDmaBusAddress));
            Assert.Equal(new[] { 0x1000UL, 0x1000UL, 0x2000UL, 0UL }, table.Select(sg => sg.DmaLength));
            Assert.Equal(table[0].DmaAddress + 0x1000, table[2].DmaAddress); // one IOVA range, the bus entry takes none of it
        },
        ["IommuSg_ThruHostBridge_UsesTheCallersAttributes"] = () =>
        {
            PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
            PciDevice nic = t.Device("nic");
            SgTable plain = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t) });
            SgTable mmio = SgTable.FromPages(new[] { t.Memory.PhysToPage(t.Device("gpu").Bar(0).CpuStart + 0x1000) });
            Assert.Equal(DmaError.None, Dma.MapSgTable(nic, plain, DmaDirection.ToDevice));
            Assert.Equal(DmaError.None, Dma.MapSgTable(nic, mmio, DmaDirection.ToDevice, DmaAttrs.Mmio));
            Assert.True(nic.IommuDomain!.TryTranslate(plain[0].DmaAddress, out _, out IommuProt plainProt));
            Assert.True(nic.IommuDomain.TryTranslate(mmio[0].DmaAddress, out _, out IommuProt mmioProt));
            Assert.Equal((IommuProt.Read, IommuProt.Read | IommuProt.Mmio), (plainProt, mmioProt));
        },
        ["IommuSg_NoIovaSpace_IsNoMemory"] = () =>
        {
            PciTopology t = new PciTopologyBuilder().HostBridge("hb0", hb => hb.Iommu().Window(0x10_0000_0000, 0xFFF0_0000, 0x10_0000))
                .RootPort("rp0", "hb0").Endpoint("nic", "rp0").Build();
            KernelBuffer big = t.Memory.Kmalloc(0x20_0000);
            SgTable table = SgTable.Alloc(1);
            table[0].SetPage(big.Page, 0x20_0000, 0);
            Assert.Equal(DmaError.NoMemory, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
        },
        ["IommuSg_NotSupported_IsRemoteIo_NothingMapped"] = () =>
        {
            PciTopology t = Topologies.AcrossRootPorts(Ids.PlainHost(iommu: true));
            SgTable table = SgTable.FromPages(new[] { t.Memory.AllocPages(1)[0], Topologies.GpuP2PPage(t) });
            Assert.Equal(DmaError.RemoteIo, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal(0, t.Device("nic").IommuDomain!.MappedPages);
        },
        ["MapSg_IsTheP2PAwarePath_BusAddrGetsBusAddress"] = () =>
        {
            PciTopology t = Topologies.BusOffsetSwitch();
            SgTable table = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t) });
            Assert.Equal(1, Dma.MapSg(t.Device("nic"), table, 1, DmaDirection.ToDevice));
            Assert.True(table[0].IsDmaBusAddress);
            Assert.Equal(Topologies.OffsetGpuBarCpu - 0x4000_0000, table[0].DmaAddress.Raw);
        },
        ["MapSg_NotSupported_ReturnsZero"] = () =>
        {
            PciTopology t = Topologies.AcrossRootPorts();
            SgTable table = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t) });
            Assert.Equal(0, Dma.MapSg(t.Device("nic"), table, 1, DmaDirection.ToDevice));
        },
        ["UnmapSg_SkipsAndClearsBusAddressEntries"] = () =>
        {
            PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
            t.DmaDebug.Enabled = true;
            PciDevice nic = t.Device("nic");
            SgTable table = SgTable.FromPages(new[] { Topologies.GpuP2PPage(t), t.Memory.AllocPages(1)[0] });
            Assert.Equal(2, Dma.MapSg(nic, table, 2, DmaDirection.ToDevice));
            Dma.UnmapSg(nic, table, 2, DmaDirection.ToDevice);
            Assert.False(table[0].IsDmaBusAddress);
            Assert.Equal(0, nic.IommuDomain!.MappedPages);
            Assert.Empty(t.DmaDebug.Findings);
        },
        ["MapSgTable_SetsNentsToTheSegmentCount"] = () =>
        {
            PciTopology t = Topologies.SingleDevice(iommu: true);
            SgTable table = SgTable.FromPages(t.Memory.AllocPages(3));
            Assert.Equal(DmaError.None, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
            Assert.Equal((1, 3), (table.Nents, table.OrigNents));
        },
    };

    /// <summary>Row name and the kernel source it follows.</summary>
    public static TheoryData<string, string> MappingTable => new()
    {
        { "DirectSg_ThruHostBridge_MapsLikeRam_PhysToDmaApplies", "kernel/dma/direct.c dma_direct_map_sg (THRU_HOST_BRIDGE falls through to dma_direct_map_phys); include/linux/dma-direct.h translate_phys_to_dma" },
        { "DirectSg_BusAddr_GetsBusAddressAndMark", "kernel/dma/direct.c dma_direct_map_sg; include/linux/pci-p2pdma.h pci_p2pdma_bus_addr_map" },
        { "DirectSg_NotSupported_IsRemoteIo", "kernel/dma/direct.c dma_direct_map_sg (default: -EREMOTEIO)" },
        { "DirectSg_UnreachablePage_IsIo", "kernel/dma/direct.c dma_direct_map_sg (DMA_MAPPING_ERROR: -EIO)" },
        { "IommuSg_OneIovaAllocationForTheWholeList", "drivers/iommu/dma-iommu.c iommu_dma_map_sg (one iommu_dma_alloc_iova of iova_len)" },
        { "IommuSg_FinaliseSg_TwoContiguousRamPages_OneSegment", "drivers/iommu/dma-iommu.c __finalise_sg" },
        { "IommuSg_FinaliseSg_BusPageThenTwoRamPages_TwoSegments", "drivers/iommu/dma-iommu.c __finalise_sg (bus-address segment, cur_len = 0)" },
        { "IommuSg_FinaliseSg_BusEntryEndsTheSegmentBeforeIt_ThreeSegments", "drivers/iommu/dma-iommu.c __finalise_sg (bus-address segment; dma_addr not advanced)" },
        { "IommuSg_ThruHostBridge_UsesTheCallersAttributes", "drivers/iommu/dma-iommu.c iommu_dma_map_sg (prot = dma_info_to_prot(dir, coherent, attrs))" },
        { "IommuSg_NoIovaSpace_IsNoMemory", "drivers/iommu/dma-iommu.c iommu_dma_map_sg (!iova: -ENOMEM)" },
        { "IommuSg_NotSupported_IsRemoteIo_NothingMapped", "drivers/iommu/dma-iommu.c iommu_dma_map_sg (default: -EREMOTEIO, out_restore_sg)" },
        { "MapSg_IsTheP2PAwarePath_BusAddrGetsBusAddress", "kernel/dma/mapping.c dma_map_sg_attrs -> __dma_map_sg_attrs (v6.2+)" },
        { "MapSg_NotSupported_ReturnsZero", "kernel/dma/mapping.c dma_map_sg_attrs (ret < 0: return 0)" },
        { "UnmapSg_SkipsAndClearsBusAddressEntries", "kernel/dma/direct.c dma_direct_unmap_sg; drivers/iommu/dma-iommu.c iommu_dma_unmap_sg" },
        { "MapSgTable_SetsNentsToTheSegmentCount", "kernel/dma/mapping.c dma_map_sgtable (sgt->nents = nents)" },
        { "DmaBuf_MappingError_IsNoMemory", "drivers/dma-buf/dma-buf-mapping.c dma_buf_phys_vec_to_sgt (ret = dma_mapping_error())" },
        { "Iova_FewerThan32Pages_RoundedUpToAPowerOfTwo", "drivers/iommu/iova.c alloc_iova_fast (roundup_pow_of_two)" },
        { "Iova_RangeAlignedToItsSize", "drivers/iommu/iova.c __alloc_and_insert_iova_range (align_mask <<= fls_long(size - 1))" },
        { "DmaCapable_HonoursBusDmaLimit", "include/linux/dma-direct.h dma_capable (min_not_zero(*dev->dma_mask, dev->bus_dma_limit))" },
        { "IovaLimit_HonoursBusDmaLimit", "drivers/iommu/dma-iommu.c iommu_dma_alloc_iova (min_not_zero(dma_limit, dev->bus_dma_limit))" },
        { "MapTypeCache_OnlyForInitialisedProviders", "drivers/pci/p2pdma.c calc_map_type_and_dist (xa_store only if provider->p2pdma)" },
        { "BusAddrMap_AddsTheOffset_WithoutARangeCheck", "include/linux/pci-p2pdma.h pci_p2pdma_bus_addr_map (paddr + bus_offset)" },
        { "NonPciClient_MapType_IsNotSupported_EvenBelowAPciPeer", "drivers/pci/p2pdma.c pci_p2pdma_map_type (!dev_is_pci(dev))" },
        { "NonPciClient_Distance_IsMeasuredFromItsNearestPciParent", "drivers/pci/p2pdma.c pci_p2pdma_distance_many, find_parent_pci_dev" },
        { "FindMany_PicksThePublishedProviderClosestToAllClients", "drivers/pci/p2pdma.c pci_p2pmem_find_many" },
        { "FindMany_SkipsUnpublishedAndUnsupported_TiesArePicked", "drivers/pci/p2pdma.c pci_p2pmem_find_many, pci_has_p2pmem, pci_p2pmem_publish" },
        { "DmaMapResource_OfMemoryWithStructPages_RefusedUnderDebug", "kernel/dma/mapping.c dma_map_resource (CONFIG_DMA_API_DEBUG && pfn_valid)" },
        { "DmaMapPage_OfZoneDevicePage_RefusedUnderDebug_MmioAlways", "kernel/dma/mapping.c dma_map_page_attrs (DMA_ATTR_MMIO; CONFIG_DMA_API_DEBUG && is_zone_device_page)" },
    };

    [Theory]
    [MemberData(nameof(MappingTable))]
    public void KernelMappingRule_Holds(string rule, string kernelSource)
    {
        Assert.False(string.IsNullOrWhiteSpace(kernelSource));
        (MappingRules.TryGetValue(rule, out Action? check) ? check
            : MoreMappingRules.TryGetValue(rule, out Action? more) ? more
            : ClientRules[rule])();
    }

    [Fact]
    public void MappingTable_CoversEveryRuleExactlyOnce()
    {
        var names = MappingTable.Select(row => (string)row[0]).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(MappingRules.Keys.Concat(MoreMappingRules.Keys).Concat(ClientRules.Keys).OrderBy(k => k), names.OrderBy(k => k));
    }

    /// <summary>hb0 (Skylake-E, no IOMMU, inbound offset) - { rp0 - gpu, rp1 - nic }; a table of one gpu P2P page.</summary>
    private static (PciTopology, SgTable, Page) HostBridgePeerTable(long dmaOffset)
    {
        PciTopology t = Topologies.AcrossRootPorts(hb => hb.Identity(Ids.Intel, Ids.SkylakeE).DmaOffset(dmaOffset));
        Page p2p = Topologies.GpuP2PPage(t, 0x1000);
        return (t, SgTable.FromPages(new[] { p2p }), p2p);
    }
}
