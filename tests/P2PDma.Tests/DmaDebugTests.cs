using System;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.Debugging;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>Every check of the DMA API debug mode (kernel/dma/debug.c) and of CONFIG_DMABUF_DEBUG, firing and silent.</summary>
public sealed class DmaDebugTests
{
    private static readonly DmaBufImportOps P2PImporter = new() { AllowPeer2Peer = true };

    private static (PciTopology T, PciDevice Nic) Debugged(bool iommu = false)
    {
        PciTopology t = Topologies.SingleDevice(iommu);
        t.DmaDebug.Enabled = true;
        return (t, t.Device("nic"));
    }

    private static DmaDebugFinding Only(PciTopology t, DmaDebugFindingKind kind)
    {
        DmaDebugFinding finding = Assert.Single(t.DmaDebug.Findings);
        Assert.Equal(kind, finding.Kind);
        return finding;
    }

    [Fact]
    public void UnmapWithoutCheckingTheMappingError_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        KernelBuffer buffer = t.Memory.Kmalloc(0x1000);
        DmaAddr dma = Dma.MapSingle(nic, buffer, 0, 0x1000, DmaDirection.ToDevice);

        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.ToDevice);

        DmaDebugFinding f = Only(t, DmaDebugFindingKind.MappingErrorNotChecked);
        Assert.Same(nic, f.Device);
        Assert.Equal(dma, f.Address);
        Assert.Contains("failed to check map error", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapOfAnAddressNeverMapped_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();

        Dma.UnmapSingle(nic, DmaAddr.FromRaw(0x12_3000), 0x1000, DmaDirection.ToDevice);

        Assert.Contains("has not allocated", Only(t, DmaDebugFindingKind.UnmapNotMapped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapTwice_IsReportedAsAlreadyFreed()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, dma));
        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.ToDevice);
        Assert.Empty(t.DmaDebug.Findings);

        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.ToDevice);

        Assert.Contains("already freed", Only(t, DmaDebugFindingKind.UnmapNotMapped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void P2PMappingUnmappedTwice_IsReportedAsAlreadyFreed()
    {
        PciTopology t = Topologies.SwitchSiblings();
        t.DmaDebug.Enabled = true;
        P2PDmaMapping m = Dma.MapP2P(t.Device("nic"), Topologies.GpuProvider(t), PhysAddr.FromRaw(Topologies.GpuBar), 0x1000, DmaDirection.ToDevice);
        Assert.False(m.Failed);
        m.Unmap();

        m.Unmap();

        Assert.Contains("already freed", Only(t, DmaDebugFindingKind.UnmapNotMapped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapOfTheMappingErrorValue_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();

        Dma.UnmapPage(nic, DmaAddr.MappingError, 0x1000, DmaDirection.ToDevice);

        Only(t, DmaDebugFindingKind.UnmapOfMappingError);
    }

    [Fact]
    public void UnmapWithAnotherSize_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x2000), 0, 0x2000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.ToDevice);

        Assert.Contains("size=0x2000", Only(t, DmaDebugFindingKind.UnmapSizeMismatch).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapWithAnotherDirection_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.FromDevice);

        Only(t, DmaDebugFindingKind.UnmapDirectionMismatch);
    }

    [Fact]
    public void UnmapOfAResourceThroughUnmapPage_IsTheSamePhyFamily_AsInMainline()
    {
        // Since 6.17 dma_map_resource is dma_map_phys(.., DMA_ATTR_MMIO) and dma_unmap_page is dma_unmap_phys: debug.c
        // records both as "phy" and has nothing to report.
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.NicBar), 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.UnmapPage(nic, dma, 0x1000, DmaDirection.ToDevice);

        Assert.Empty(t.DmaDebug.Findings);
    }

    [Fact]
    public void CoherentMemoryUnmappedAsAStreamingMapping_IsReportedAsTheWrongFunction()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        Assert.NotNull(Dma.AllocCoherent(nic, 0x1000, out DmaAddr handle));

        Dma.UnmapSingle(nic, handle, 0x1000, DmaDirection.Bidirectional);

        DmaDebugFinding f = Only(t, DmaDebugFindingKind.UnmapFamilyMismatch);
        Assert.Contains("Coherent", f.Message, StringComparison.Ordinal);
        Assert.Contains("Phys", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapSgWithTheMappedCountInsteadOfNents_IsReported_WhenTheIommuMerged()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(4));
        int count = Dma.MapSg(nic, table, 4, DmaDirection.ToDevice);
        Assert.Equal(1, count); // merged, so the two counts differ

        Dma.UnmapSg(nic, table, count, DmaDirection.ToDevice);

        DmaDebugFinding f = Only(t, DmaDebugFindingKind.UnmapNentsMismatch);
        Assert.Contains("map count=4", f.Message, StringComparison.Ordinal);
        Assert.Contains("unmap count=1", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmapSgWithAnotherDirection_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));
        Dma.MapSg(nic, table, 2, DmaDirection.ToDevice);

        Dma.UnmapSg(nic, table, 2, DmaDirection.Bidirectional);

        Only(t, DmaDebugFindingKind.UnmapDirectionMismatch);
    }

    [Fact]
    public void UnmapPhysOfAMapP2PBusAddress_IsReported()
    {
        PciTopology t = Topologies.SwitchSiblings();
        t.DmaDebug.Enabled = true;
        PciDevice nic = t.Device("nic");
        P2PDmaMapping m = Dma.MapP2P(nic, Topologies.GpuProvider(t), PhysAddr.FromRaw(Topologies.GpuBar), 0x1000, DmaDirection.ToDevice);
        Assert.False(m.Failed);
        Assert.True(m.IsBusAddress);

        Dma.UnmapPhys(nic, m.Address, 0x1000, DmaDirection.ToDevice, DmaAttrs.Mmio);

        DmaDebugFinding f = Assert.Single(t.DmaDebug.Findings, x => x.Kind == DmaDebugFindingKind.UnmapBusAddress);
        Assert.Equal(m.Address, f.Address);
        Assert.Contains("never mapped", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LegacyUnmapSgOfAMapSgTableTableWithBusEntries_IsReported()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        t.DmaDebug.Enabled = true;
        PciDevice nic = t.Device("nic");
        Page ram = t.Memory.AllocPages(1)[0];
        Page p2p = Topologies.GpuP2PPage(t);
        SgTable table = SgTable.FromPages(new[] { ram, p2p });
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));

        Dma.LegacyUnmapSg(nic, table, table.OrigNents, DmaDirection.ToDevice);

        DmaDebugFinding f = Only(t, DmaDebugFindingKind.UnmapBusAddress);
        Assert.Equal(0x5000_0000UL, f.Address.Raw);
    }

    [Fact]
    public void SyncOfMemoryNeverMapped_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();

        Dma.SyncSingleForCpu(nic, DmaAddr.FromRaw(0x40_0000), 0x100, DmaDirection.FromDevice);

        Assert.Contains("never mapped", Only(t, DmaDebugFindingKind.SyncNotMapped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncAfterUnmap_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.FromDevice);
        Assert.False(Dma.MappingError(nic, dma));
        Dma.UnmapSingle(nic, dma, 0x1000, DmaDirection.FromDevice);

        Dma.SyncSingleForCpu(nic, dma, 0x1000, DmaDirection.FromDevice);

        Assert.Contains("after it was unmapped", Only(t, DmaDebugFindingKind.SyncNotMapped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncSgTableAfterUnmap_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(2));
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.FromDevice));
        Dma.SyncSgTableForCpu(nic, table, DmaDirection.FromDevice);
        Assert.Empty(t.DmaDebug.Findings);
        Dma.UnmapSgTable(nic, table, DmaDirection.FromDevice);

        Dma.SyncSgTableForDevice(nic, table, DmaDirection.FromDevice);

        Only(t, DmaDebugFindingKind.SyncNotMapped);
    }

    [Fact]
    public void SyncReachingOutsideTheMapping_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x2000), 0, 0x1000, DmaDirection.FromDevice);
        Assert.False(Dma.MappingError(nic, dma));
        Dma.SyncSingleForCpu(nic, dma + 0x800, 0x800, DmaDirection.FromDevice);
        Assert.Empty(t.DmaDebug.Findings);

        Dma.SyncSingleForCpu(nic, dma + 0x800, 0x1000, DmaDirection.FromDevice);

        Only(t, DmaDebugFindingKind.SyncOutOfRange);
    }

    [Fact]
    public void SyncInTheWrongDirection_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.SyncSingleForDevice(nic, dma, 0x1000, DmaDirection.FromDevice);

        Only(t, DmaDebugFindingKind.SyncDirectionMismatch);
    }

    [Fact]
    public void SyncSgTableInTheWrongDirection_IsReported()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        SgTable table = SgTable.FromPages(t.Memory.AllocPages(1));
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, table, DmaDirection.ToDevice));

        Dma.SyncSgTableForCpu(nic, table, DmaDirection.FromDevice);

        Only(t, DmaDebugFindingKind.SyncDirectionMismatch);
    }

    [Fact]
    public void BidirectionalMapping_MaySyncEitherWay()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.Bidirectional);
        Assert.False(Dma.MappingError(nic, dma));

        Dma.SyncSingleForCpu(nic, dma, 0x1000, DmaDirection.FromDevice);
        Dma.SyncSingleForDevice(nic, dma, 0x1000, DmaDirection.ToDevice);

        Assert.Empty(t.DmaDebug.Findings);
    }

    [Fact]
    public void UnbindWithLiveMappings_ReportsEachLeak()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        DmaAddr a = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        DmaAddr b = Dma.MapPage(nic, t.Memory.AllocPages(1)[0], 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, a));
        Assert.False(Dma.MappingError(nic, b));

        nic.Unbind();

        Assert.False(nic.IsBound);
        Assert.Equal(2, t.DmaDebug.Findings.Count);
        Assert.All(t.DmaDebug.Findings, f => Assert.Equal(DmaDebugFindingKind.LeakedAtUnbind, f.Kind));
        Assert.Contains("pending DMA allocations", t.DmaDebug.Findings[0].Message, StringComparison.Ordinal);
        nic.Bind();
        Assert.True(nic.IsBound);
    }

    [Fact]
    public void UnbindForgetsTheLeakedMappings_SoASecondUnbindReportsNothingMore()
    {
        (PciTopology t, PciDevice nic) = Debugged(iommu: true);
        DmaAddr a = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, a));
        nic.Unbind();
        Assert.Single(t.DmaDebug.Findings);

        nic.Bind();
        nic.Unbind();

        Assert.Single(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
        Assert.Equal(1, nic.IommuDomain!.MappedPages); // the IOMMU mapping itself really leaked
    }

    [Fact]
    public void ImporterReadingThePagesOfAnImportedTable_IsReported()
    {
        PciTopology t = Topologies.SwitchSiblings();
        t.DmaDebug.DmaBufChecks = true;
        PciDevice nic = t.Device("nic");
        DmaBufAttachment attach = PhysVecExporter.Export(Topologies.GpuProvider(t), new PhysRange(PhysAddr.FromRaw(Topologies.GpuBar), 0x1000))
            .DynamicAttach(nic, P2PImporter).Value;
        SgTable table = attach.Map(DmaDirection.ToDevice).Value;
        Assert.Empty(t.DmaDebug.Findings);

        _ = table[0].Page;

        DmaDebugFinding f = Only(t, DmaDebugFindingKind.DmaBufPageAccess);
        Assert.Same(nic, f.Device);
        attach.Unmap(table, DmaDirection.ToDevice);
        Assert.Single(t.DmaDebug.Findings); // the exporter's own unmap does not count
    }

    [Fact]
    public void ExporterHandingOutAnUnalignedSegment_IsReported()
    {
        PciTopology t = Topologies.SwitchSiblings();
        t.DmaDebug.DmaBufChecks = true;
        DmaBufAttachment attach = PhysVecExporter.Export(Topologies.GpuProvider(t), new PhysRange(PhysAddr.FromRaw(Topologies.GpuBar + 0x200), 0x800))
            .DynamicAttach(t.Device("nic"), P2PImporter).Value;

        SgTable table = attach.Map(DmaDirection.ToDevice).Value;

        Assert.Equal(Topologies.GpuBar + 0x200, table[0].DmaAddress.Raw);
        Only(t, DmaDebugFindingKind.DmaBufUnaligned);
    }

    [Fact]
    public void ThrowOnFinding_RaisesTheFindingAsAnException()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        t.DmaDebug.ThrowOnFinding = true;

        DmaDebugException ex = Assert.Throws<DmaDebugException>(() =>
            Dma.UnmapSingle(nic, DmaAddr.FromRaw(0x50_0000), 0x1000, DmaDirection.ToDevice));

        Assert.Equal(DmaDebugFindingKind.UnmapNotMapped, ex.Finding.Kind);
        Assert.Equal(ex.Finding.ToString(), ex.Message);
        Assert.Single(t.DmaDebug.Findings);
    }

    [Fact]
    public void DebugOff_TracksNothing_AndReportsNothing()
    {
        PciTopology t = Topologies.SingleDevice();
        PciDevice nic = t.Device("nic");

        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Dma.UnmapSingle(nic, dma, 0x2000, DmaDirection.FromDevice);
        Dma.UnmapSingle(nic, dma, 0x2000, DmaDirection.FromDevice);
        nic.Unbind();

        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
    }

    [Fact]
    public void Clear_ForgetsFindings_ButKeepsLiveMappings()
    {
        (PciTopology t, PciDevice nic) = Debugged();
        DmaAddr dma = Dma.MapSingle(nic, t.Memory.Kmalloc(0x1000), 0, 0x1000, DmaDirection.ToDevice);
        Dma.UnmapSingle(nic, DmaAddr.FromRaw(0x70_0000), 0x1000, DmaDirection.ToDevice);

        t.DmaDebug.Clear();

        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(1, t.DmaDebug.LiveMappings(nic));
        Assert.False(Dma.MappingError(nic, dma));
    }

    [Fact]
    public void CorrectCode_ProducesNoFindings()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        t.DmaDebug.Enabled = true;
        t.DmaDebug.DmaBufChecks = true;
        t.DmaDebug.ThrowOnFinding = true;
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);

        // Single mapping: map, check, sync both ways, unmap with the same size, direction and family.
        KernelBuffer buffer = t.Memory.Kmalloc(0x2000);
        DmaAddr single = Dma.MapSingle(nic, buffer, 0, 0x2000, DmaDirection.Bidirectional);
        Assert.False(Dma.MappingError(nic, single));
        Dma.SyncSingleForDevice(nic, single, 0x2000, DmaDirection.Bidirectional);
        Dma.SyncSingleForCpu(nic, single + 0x1000, 0x1000, DmaDirection.Bidirectional);
        Dma.UnmapSingle(nic, single, 0x2000, DmaDirection.Bidirectional);

        // Resource and phys mappings.
        DmaAddr resource = Dma.MapResource(nic, PhysAddr.FromRaw(Topologies.OffsetVictimBarCpu), 0x1000, DmaDirection.ToDevice);
        Assert.False(Dma.MappingError(nic, resource));
        Dma.UnmapResource(nic, resource, 0x1000, DmaDirection.ToDevice);
        DmaAddr phys = Dma.MapPhys(nic, buffer.Phys, 0x1000, DmaDirection.FromDevice);
        Assert.False(Dma.MappingError(nic, phys));
        Dma.UnmapPhys(nic, phys, 0x1000, DmaDirection.FromDevice);

        // Legacy sg with the original nents, even though the IOMMU merged.
        SgTable legacy = SgTable.FromPages(t.Memory.AllocPages(3));
        Assert.Equal(1, Dma.MapSg(nic, legacy, 3, DmaDirection.ToDevice));
        Dma.UnmapSg(nic, legacy, 3, DmaDirection.ToDevice);

        // P2P-aware sg table with a bus-address entry, unmapped with the P2P-aware call.
        SgTable mixed = SgTable.FromPages(new[] { t.Memory.AllocPages(1)[0], Topologies.GpuP2PPage(t, 0x1000) });
        Assert.Equal(DmaError.None, Dma.MapSgTable(nic, mixed, DmaDirection.Bidirectional));
        Dma.SyncSgTableForCpu(nic, mixed, DmaDirection.Bidirectional);
        Dma.UnmapSgTable(nic, mixed, DmaDirection.Bidirectional);

        // One-call P2P mapping: checked, then unmapped through the mapping.
        P2PDmaMapping p2p = Dma.MapP2P(nic, provider, PhysAddr.FromRaw(0x9000_8000), 0x1000, DmaDirection.ToDevice);
        Assert.False(p2p.Failed);
        p2p.Unmap();

        // Two-step IOVA.
        Page page = t.Memory.AllocPages(1)[0];
        var state = new DmaIovaState();
        Assert.True(Dma.IovaTryAlloc(nic, state, page.Phys, 0x1000));
        Assert.Equal(DmaError.None, Dma.IovaLink(nic, state, page.Phys, 0, 0x1000, DmaDirection.ToDevice));
        Assert.Equal(DmaError.None, Dma.IovaSync(nic, state, 0, 0x1000));
        Dma.IovaDestroy(nic, state, 0x1000, DmaDirection.ToDevice);

        // Coherent buffer.
        KernelBuffer? coherent = Dma.AllocCoherent(nic, 0x1000, out DmaAddr handle);
        Assert.NotNull(coherent);
        Dma.FreeCoherent(nic, 0x1000, coherent!, handle);

        // dma-buf through the proper exporter; the importer reads only DMA addresses.
        DmaBufAttachment attach = PhysVecExporter.Export(provider, new PhysRange(PhysAddr.FromRaw(0x9001_0000), 0x2000))
            .DynamicAttach(nic, P2PImporter).Value;
        SgTable imported = attach.Map(DmaDirection.ToDevice).Value;
        Assert.All(imported.DmaSegments, sg => Assert.True(t.Fabric.Route(nic, sg.DmaAddress, sg.DmaLength).Succeeded));
        attach.Unmap(imported, DmaDirection.ToDevice);
        attach.Detach();

        nic.Unbind();

        Assert.Empty(t.DmaDebug.Findings);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
        Assert.Equal(0, nic.IommuDomain!.MappedPages);
    }
}
