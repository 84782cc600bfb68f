using System;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// The scatterlist calls: legacy dma_map_sg (every page as RAM; IOMMU merging) and the P2P-aware dma_map_sgtable
/// (bus address and mark for BUS_ADDR, MMIO for THRU_HOST_BRIDGE, -EREMOTEIO for NOT_SUPPORTED).
/// </summary>
public sealed class SgTableMappingTests
{
    [Fact]
    public void MapSg_DmaDirect_MapsEveryEntry_ReturnsNents()
    {
        PciTopology t = Topologies.SingleDevice(dmaOffset: 0x1000_0000);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(3);
        SgTable table = SgTable.FromPages(pages);

        int count = Dma.MapSg(nic, table, 3, DmaDirection.ToDevice);

        Assert.Equal(3, count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(pages[i].Phys.Raw + 0x1000_0000, table[i].DmaAddress.Raw);
            Assert.Equal(0x1000UL, table[i].DmaLength);
        }
    }

    [Fact]
    public void LegacyMapSg_MapsAP2PPageAsRam()
    {
        // Before P2P-aware mapping, a P2P page got phys_to_dma like RAM: its CPU physical address, not its bus address.
        PciTopology t = Topologies.BusOffsetSwitch();
        Page p2p = Topologies.GpuP2PPage(t);
        SgTable table = SgTable.FromPages(new[] { p2p });

        Assert.Equal(1, Dma.LegacyMapSg(t.Device("nic"), table, 1, DmaDirection.ToDevice));
        Assert.Equal(Topologies.OffsetGpuBarCpu, table[0].DmaAddress.Raw); // the bus address would be 0x5000_0000
        Assert.False(table[0].IsDmaBusAddress);
    }

    [Fact]
    public void MapSg_BehindIommu_MergesContiguousPageAlignedEntries_IntoOneSegment()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(4);
        SgTable table = SgTable.FromPages(pages);

        int count = Dma.MapSg(nic, table, 4, DmaDirection.Bidirectional);

        Assert.Equal(1, count);
        Assert.Equal(0x4000UL, table[0].DmaLength);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(nic.IommuDomain!.TryTranslate(table[0].DmaAddress + ((ulong)i * 0x1000), out PhysAddr phys, out _));
            Assert.Equal(pages[i].Phys, phys);
        }
    }

    [Fact]
    public void MapSg_BehindIommu_MergesPhysicallyScatteredPages_BecauseTheIovaIsContiguous()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page a = t.Memory.AllocPages(1)[0];
        t.Memory.AllocPages(5); // a gap
        Page b = t.Memory.AllocPages(1)[0];
        SgTable table = SgTable.FromPages(new[] { b, a });

        Assert.Equal(1, Dma.MapSg(nic, table, 2, DmaDirection.ToDevice));
        Assert.True(nic.IommuDomain!.TryTranslate(table[0].DmaAddress + 0x1000, out PhysAddr second, out _));
        Assert.Equal(a.Phys, second);
    }

    [Fact]
    public void MapSg_BehindIommu_SegmentsStopAtTheMaxSegmentSize()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(20)); // 80 KiB

        int count = Dma.MapSg(nic, table, 20, DmaDirection.ToDevice);

        Assert.Equal(2, count);
        Assert.Equal(Dma.MaxSegmentSize, table[0].DmaLength);
        Assert.Equal(0x4000UL, table[1].DmaLength);
        Assert.Equal(table[0].DmaAddress + Dma.MaxSegmentSize, table[1].DmaAddress);
    }

    [Fact]
    public void MapSg_BehindIommu_PartialPageEntries_AreNotMerged()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        Page[] pages = t.Memory.AllocPages(2);
        SgTable table = SgTable.Alloc(2);
        table[0].SetPage(pages[0], 0x800, 0);
        table[1].SetPage(pages[1], 0x800, 0);

        Assert.Equal(2, Dma.MapSg(nic, table, 2, DmaDirection.ToDevice));
        Assert.Equal(0x800UL, table[0].DmaLength);
        Assert.Equal(0x800UL, table[1].DmaLength);
    }

    [Fact]
    public void MapSg_OnlyTheFirstNentsEntriesAreMapped()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(3));

        Assert.Equal(2, Dma.MapSg(nic, table, 2, DmaDirection.ToDevice));
        Assert.Equal(default, table[2].DmaAddress);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapSg(nic, table, 4, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dma.MapSg(nic, table, 0, DmaDirection.ToDevice));
    }

    [Fact]
    public void UnmapSg_BehindIommu_RemovesEveryTranslation()
    {
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(4));
        Dma.MapSg(nic, table, 4, DmaDirection.ToDevice);
        DmaAddr iova = table[0].DmaAddress;

        Dma.UnmapSg(nic, table, 4, DmaDirection.ToDevice);

        Assert.Equal(0, nic.IommuDomain!.MappedPages);
        Assert.False(nic.IommuDomain.TryTranslate(iova, out _, out _));
    }

    [Fact]
    public void MapSgTable_BusAddrPeer_GetsTheBusAddressAndMark_NothingInTheIommu()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        PciDevice nic = t.Device("nic");
        Page ram = t.Memory.AllocPages(1)[0];
        Page p2p = Topologies.GpuP2PPage(t, 0x3000);
        SgTable table = SgTable.FromPages(new[] { ram, p2p });

        DmaError error = Dma.MapSgTable(nic, table, DmaDirection.Bidirectional);

        Assert.Equal(DmaError.None, error);
        Assert.Equal(2, table.Nents);
        Assert.False(table[0].IsDmaBusAddress);
        Assert.True(nic.IommuDomain!.TryTranslate(table[0].DmaAddress, out PhysAddr ramPhys, out _));
        Assert.Equal(ram.Phys, ramPhys);

        Assert.True(table[1].IsDmaBusAddress);
        Assert.Equal(0x5000_3000UL, table[1].DmaAddress.Raw); // cpu 0x9000_3000 + bus offset -0x4000_0000
        Assert.Equal(0x1000UL, table[1].DmaLength);
        Assert.Equal(1, nic.IommuDomain.MappedPages); // only the RAM page
    }

    [Fact]
    public void MapSgTable_ThruHostBridgeBehindIommu_MapsTheP2PPageWithTheCallersAttributes()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        Page p2p = Topologies.GpuP2PPage(t, 0x1000);
        SgTable table = SgTable.FromPages(new[] { p2p });

        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));

        Assert.False(table[0].IsDmaBusAddress);
        Assert.True(nic.IommuDomain!.TryTranslate(table[0].DmaAddress, out PhysAddr phys, out IommuProt prot));
        Assert.Equal(p2p.Phys, phys);
        Assert.Equal(IommuProt.Read, prot); // iommu_dma_map_sg: dma_info_to_prot(dir, coherent, attrs), no IOMMU_MMIO added
    }

    [Fact]
    public void MapSgTable_ThruHostBridgeDmaDirect_WithAnInboundOffset_BarHasNoTranslation_FailsWithIo()
    {
        // dma_direct_map_sg maps THRU_HOST_BRIDGE pages with phys_to_dma, like RAM; the inbound offset describes RAM
        // only (a dma_range_map), so the BAR translates to DMA_MAPPING_ERROR and the call fails with -EIO.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Identity(Ids.Intel, Ids.SkylakeE).DmaOffset(0x100_0000))
            .RootPort("rp0", "hb0")
            .RootPort("rp1", "hb0")
            .Endpoint("gpu", "rp0", f => f.Bar(0, Topologies.GpuBar, Topologies.GpuBarSize))
            .Endpoint("nic", "rp1")
            .Build();
        Page ram = t.Memory.AllocPages(1)[0];
        Page p2p = Topologies.GpuP2PPage(t);
        SgTable table = SgTable.FromPages(new[] { ram, p2p });

        Assert.Equal(DmaError.Io, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
        Assert.Equal(2, table.Nents); // untouched on failure
    }

    [Fact]
    public void MapSgTable_NotSupportedPeer_FailsWithRemoteIo_AndUndoesEarlierEntries()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        Page[] ram = t.Memory.AllocPages(2);
        Page p2p = Topologies.GpuP2PPage(t);
        SgTable table = SgTable.FromPages(new[] { ram[0], ram[1], p2p });

        DmaError error = Dma.MapSgTable(nic, table, DmaDirection.ToDevice);

        Assert.Equal(DmaError.RemoteIo, error);
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
    }

    [Fact]
    public void UnmapSgTable_SkipsAndUnmarksBusEntries_UnmapsTheRest()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        t.DmaDebug.Enabled = true;
        PciDevice nic = t.Device("nic");
        Page ram = t.Memory.AllocPages(1)[0];
        Page p2p = Topologies.GpuP2PPage(t);
        SgTable table = SgTable.FromPages(new[] { p2p, ram });
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.Bidirectional));
        Assert.True(table[0].IsDmaBusAddress);

        Dma.UnmapSgTable(nic, table, DmaDirection.Bidirectional);

        Assert.False(table[0].IsDmaBusAddress);
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
    }

    [Fact]
    public void MapSgTable_PagelessEntry_Throws()
    {
        PciTopology t = Topologies.SingleDevice();
        SgTable table = SgTable.Alloc(1);
        table[0].SetPage(null, 0x1000, 0);

        Assert.Throws<InvalidOperationException>(() => Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
    }

    [Fact]
    public void State_RamPage_IsNone_AndLeavesTheStateEmpty()
    {
        PciTopology t = Topologies.SwitchSiblings();
        var state = new P2PMapState();

        Assert.Equal(P2PMapType.None, PciP2PDma.State(state, t.Device("nic"), t.Memory.AllocPages(1)[0]));
        Assert.Null(state.Provider);
    }

    [Fact]
    public void State_P2PPage_IsTheProvidersMapType_RememberedWithItsBusOffset()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        Page page = Topologies.GpuP2PPage(t);
        var state = new P2PMapState();

        P2PMapType type = PciP2PDma.State(state, t.Device("nic"), page);

        Assert.Equal(P2PMapType.BusAddr, type);
        Assert.Same(page.Provider, state.Provider);
        Assert.Equal(P2PMapType.BusAddr, state.Map);
        Assert.Equal(Topologies.OffsetWindowBusOffset, state.BusOffset);
    }

    [Fact]
    public void State_SecondPageOfTheSameProvider_UsesTheCachedType_AnotherProviderRecomputes()
    {
        PciTopology t = Topologies.SwitchSiblings();
        Page first = Topologies.GpuP2PPage(t);
        Page second = t.Memory.PhysToPage(first.Phys + 0x1000);
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(t.Device("nic"), 0));
        Page nicPage = t.Memory.PhysToPage(PhysAddr.FromRaw(Topologies.NicBar));
        var state = new P2PMapState();
        PciDevice client = t.Device("nic");
        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.State(state, client, first));

        state.Map = P2PMapType.ThruHostBridge; // what pci_p2pdma_state would return if it trusted its cache
        Assert.Equal(P2PMapType.ThruHostBridge, PciP2PDma.State(state, client, second));

        // nic's own BAR, from nic itself: same function, BUS_ADDR, and a new provider in the state.
        Assert.Equal(P2PMapType.BusAddr, PciP2PDma.State(state, client, nicPage));
        Assert.Same(nicPage.Provider, state.Provider);
    }

    [Fact]
    public void AddResource_PublishesStructPages_ForTheGivenPartOfTheBar()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");
        PhysAddr bar = gpu.Bar(0).CpuStart;

        Assert.Throws<ArgumentException>(() => t.Memory.PhysToPage(bar));
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0, size: 0x10_0000, offset: 0x20_0000));

        Page page = t.Memory.PhysToPage(bar + 0x20_0000);
        Assert.True(page.IsP2P);
        Assert.Same(PciP2PDma.Provider(gpu, 0), page.Provider);
        Assert.Equal(bar + 0x20_0000, page.Phys);
        Assert.True(t.Memory.TryPhysToPage(bar + 0x2F_F000, out _));
        Assert.False(t.Memory.TryPhysToPage(bar + 0x30_0000, out _));
        Assert.False(t.Memory.TryPhysToPage(bar + 0x1F_F000, out _));
        Assert.False(t.Memory.PhysToPage(PhysAddr.FromRaw(0x10_0000)).IsP2P); // RAM
    }

    [Fact]
    public void AddResource_BadRequests_ReturnInvalid()
    {
        PciTopology t = Topologies.SwitchSiblings();
        PciDevice gpu = t.Device("gpu");

        Assert.Equal(DmaError.Invalid, PciP2PDma.AddResource(gpu, 3));
        Assert.Equal(DmaError.Invalid, PciP2PDma.AddResource(gpu, 0, offset: Topologies.GpuBarSize));
        Assert.Equal(DmaError.Invalid, PciP2PDma.AddResource(gpu, 0, size: Topologies.GpuBarSize, offset: 0x1000));
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0, size: 0x2000));
        Assert.Equal(DmaError.Invalid, PciP2PDma.AddResource(gpu, 0, size: 0x1000, offset: 0x1000)); // overlaps
        Assert.Equal(DmaError.None, PciP2PDma.AddResource(gpu, 0, size: 0x1000, offset: 0x2000));
    }

    [Fact]
    public void Alloc_SetsNentsAndOrigNents_AsSgAllocTableDoes()
    {
        PciTopology t = Topologies.SingleDevice();

        SgTable allocated = SgTable.Alloc(3);
        SgTable fromPages = SgTable.FromPages(t.Memory.AllocPages(2));

        Assert.Equal(3, allocated.OrigNents);
        Assert.Equal(3, allocated.Nents);
        Assert.Equal(3, allocated.DmaSegments.Count());
        Assert.Equal(2, fromPages.OrigNents);
        Assert.Equal(2, fromPages.Nents);
    }

    [Fact]
    public void MapSgTable_Failure_LeavesNentsAsItWas()
    {
        // dma_map_sgtable sets sgt->nents only on success.
        PciTopology t = Topologies.AcrossRootPorts(Ids.PlainHost(iommu: true));
        Page[] ram = t.Memory.AllocPages(2);
        SgTable table = SgTable.FromPages(new[] { ram[0], ram[1], Topologies.GpuP2PPage(t) });

        Assert.Equal(DmaError.RemoteIo, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));

        Assert.Equal(3, table.Nents);
        Assert.Equal(3, table.OrigNents);
    }

    [Fact]
    public void MapSg_BehindIommu_EntriesBeyondTheMergedSegments_GetTheErrorAddressAndLengthZero()
    {
        // __finalise_sg: every entry of the nents given starts as DMA_MAPPING_ERROR / 0; only the segments are filled.
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(5));

        Assert.Equal(1, Dma.MapSg(nic, table, 4, DmaDirection.ToDevice));

        Assert.Equal(0x4000UL, table[0].DmaLength);
        for (int i = 1; i < 4; i++)
        {
            Assert.Equal(DmaAddr.MappingError, table[i].DmaAddress);
            Assert.Equal(0UL, table[i].DmaLength);
        }

        Assert.Equal(default, table[4].DmaAddress); // beyond the nents given: untouched
        Dma.UnmapSg(nic, table, 4, DmaDirection.ToDevice);
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
    }

    [Fact]
    public void Next_WalksEveryEntry_PastTheMappedSegments()
    {
        // sg_next visits the entries, not the DMA segments: behind an IOMMU a walk to the end reads error addresses.
        PciTopology t = Topologies.SingleDevice(iommu: true);
        PciDevice nic = t.Device("nic");
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(3));
        int count = Dma.MapSg(nic, table, 3, DmaDirection.ToDevice);

        var walked = new System.Collections.Generic.List<Scatterlist>();
        for (Scatterlist? sg = table[0]; sg != null; sg = sg.Next())
        {
            walked.Add(sg);
        }

        Assert.Equal(new[] { 0, 1, 2 }, walked.Select(e => e.Index));
        Assert.Equal(1, count);
        Assert.Equal(DmaAddr.MappingError, walked[2].DmaAddress);
        Assert.Null(table[2].Next());
        Dma.UnmapSg(nic, table, 3, DmaDirection.ToDevice);
    }

    [Fact]
    public void MapSgTable_OutOfIovaSpace_FailsWithNoMemory()
    {
        // iommu_dma_map_sg returns -ENOMEM when the IOVA allocation fails. Below 4 GiB only the first MiB is free.
        PciTopology t = new PciTopologyBuilder()
            .HostBridge("hb0", hb => hb.Iommu().Window(0x10_0000_0000, 0xFFF0_0000, 0x10_0000))
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0")
            .Build();
        PciDevice nic = t.Device("nic");
        Page first = t.Memory.AllocPages(1)[0];
        KernelBuffer big = t.Memory.Kmalloc(0x20_0000);
        SgTable table = SgTable.Alloc(2);
        table[0].SetPage(first, 0x1000, 0);
        table[1].SetPage(big.Page, 0x20_0000, 0);

        Assert.Equal(DmaError.NoMemory, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));
        Assert.Equal(0, nic.IommuDomain!.MappedPages); // the first entry was undone
    }

    [Fact]
    public void MapSgTable_DmaDirectBeyondTheMask_FailsWithIo()
    {
        // dma_direct_map_sg: a page the device cannot address is -EIO, not -ENOMEM.
        PciTopology t = new PciTopologyBuilder()
            .Ram(0x1_0000_0000, 0x1000_0000)
            .HostBridge("hb0")
            .RootPort("rp0", "hb0")
            .Endpoint("nic", "rp0")
            .Build();
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(1));

        Assert.Equal(DmaError.Io, Dma.MapSgTable(t.Device("nic"), table, DmaDirection.ToDevice));
    }
}
