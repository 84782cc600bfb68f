using System;
using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace P2PDma.Tests;

/// <summary>
/// dma-buf export, attach and map, and the proper exporter helper dma_buf_phys_vec_to_sgt / dma_buf_free_sgt.
/// </summary>
public sealed class DmaBufTests
{
    private static readonly DmaBufImportOps P2PImporter = new() { AllowPeer2Peer = true };

    private static PhysRange Range(ulong start, ulong size) => new(PhysAddr.FromRaw(start), size);

    [Fact]
    public void Export_KeepsOpsSizeAndPriv_AndRejectsBadArguments()
    {
        PciTopology t = Topologies.SwitchSiblings();
        var ops = new PhysVecExporter(Topologies.GpuProvider(t), new[] { Range(Topologies.GpuBar, 0x1000) });
        object priv = new();

        DmaBuffer buf = DmaBuffer.Export(ops, 0x1000, priv);

        Assert.Same(ops, buf.Ops);
        Assert.Equal(0x1000UL, buf.Size);
        Assert.Same(priv, buf.Priv);
        Assert.Empty(buf.Attachments);
        Assert.Throws<ArgumentNullException>(() => DmaBuffer.Export(null!, 0x1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaBuffer.Export(ops, 0));
    }

    [Fact]
    public void StaticAttach_CannotTakePeerMemory_SoAP2PExporterRefusesIt()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));

        DmaResult<DmaBufAttachment> result = buf.Attach(t.Device("nic"));

        Assert.True(result.Failed);
        Assert.Equal(DmaError.NotSupported, result.Error);
        Assert.Empty(buf.Attachments);
        Assert.Equal(1, ((PhysVecExporter)buf.Ops).Attaches);
    }

    [Fact]
    public void DynamicAttach_WithPeer2Peer_IsAccepted_AndListed()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));
        object importerPriv = new();

        DmaResult<DmaBufAttachment> result = buf.DynamicAttach(t.Device("nic"), P2PImporter, importerPriv);

        Assert.False(result.Failed);
        DmaBufAttachment attach = result.Value;
        Assert.True(attach.Peer2Peer);
        Assert.Same(t.Device("nic"), attach.Device);
        Assert.Same(importerPriv, attach.ImporterPriv);
        Assert.Same(buf, attach.DmaBuf);
        Assert.Equal(new[] { attach }, buf.Attachments);
    }

    [Fact]
    public void DynamicAttach_WithoutPeer2Peer_IsRefusedByAP2PExporter()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));

        DmaResult<DmaBufAttachment> result = buf.DynamicAttach(t.Device("nic"), new DmaBufImportOps { AllowPeer2Peer = false });

        Assert.True(result.Failed);
        Assert.Equal(DmaError.NotSupported, result.Error);
        Assert.Throws<InvalidOperationException>(() => result.Value);
    }

    [Fact]
    public void Exporter_MayClearPeer2Peer_DuringAttach()
    {
        PciTopology t = Topologies.AcrossRootPorts(); // unlisted host bridge: distance -1
        var ops = new MapResourceExporter(Range(Topologies.GpuBar, 0x1000));
        DmaBuffer buf = DmaBuffer.Export(ops, 0x1000);

        DmaBufAttachment attach = buf.DynamicAttach(t.Device("nic"), P2PImporter).Value;

        Assert.False(attach.Peer2Peer);
    }

    [Fact]
    public void Detach_RemovesTheAttachment_CallsTheExporter_AndEndsItsUse()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));
        DmaBufAttachment attach = buf.DynamicAttach(t.Device("nic"), P2PImporter).Value;

        attach.Detach();

        Assert.True(attach.IsDetached);
        Assert.Empty(buf.Attachments);
        Assert.Equal(1, ((PhysVecExporter)buf.Ops).Detaches);
        Assert.Throws<InvalidOperationException>(() => attach.Map(DmaDirection.ToDevice));
        Assert.Throws<InvalidOperationException>(() => attach.Detach());
    }

    [Fact]
    public void MoveNotify_ReachesEveryLiveDynamicImporter_NotDetachedOnes()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));
        var notified = new List<DmaBufAttachment>();
        var ops = new DmaBufImportOps { AllowPeer2Peer = true, MoveNotify = notified.Add };
        DmaBufAttachment a = buf.DynamicAttach(t.Device("nic"), ops).Value;
        DmaBufAttachment b = buf.DynamicAttach(t.Device("gpu"), ops).Value;
        DmaBufAttachment gone = buf.DynamicAttach(t.Device("nic"), ops).Value;
        gone.Detach();

        buf.MoveNotify();

        Assert.Equal(new[] { a, b }, notified);
    }

    [Fact]
    public void MapPhysList_DefaultExporter_IsNotSupported()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000));
        DmaBufAttachment attach = buf.DynamicAttach(t.Device("nic"), P2PImporter).Value;

        DmaResult<DmaBufPhysList> list = attach.MapPhysList();

        Assert.True(list.Failed);
        Assert.Equal(DmaError.NotSupported, list.Error);
    }

    [Fact]
    public void MapPhysList_OfferingExporter_GivesRangesAndProvider_ForTheImporterToMapWithMapP2P()
    {
        PciTopology t = Topologies.BusOffsetSwitch();
        P2PProvider provider = Topologies.GpuProvider(t);
        var ops = new PhysVecExporter(provider, new[] { Range(0x9000_0000, 0x1000) }, offerPhysList: true);
        DmaBufAttachment attach = DmaBuffer.Export(ops, 0x1000).DynamicAttach(t.Device("nic"), P2PImporter).Value;

        DmaBufPhysList list = attach.MapPhysList().Value;
        P2PDmaMapping m = Dma.MapP2P(attach.Device, list.Provider, list.Ranges[0].Start, list.Ranges[0].Size, DmaDirection.ToDevice);

        Assert.Same(provider, list.Provider);
        Assert.False(m.Failed);
        Assert.Equal(0x5000_0000UL, m.Address.Raw);
        m.Unmap();
        attach.UnmapPhysList(list);
    }

    [Fact]
    public void AttachMap_ReturnsTheExportersTable_AndUnmapGivesItBack()
    {
        PciTopology t = Topologies.SwitchSiblings(Ids.PlainHost(iommu: true));
        PciDevice nic = t.Device("nic");
        DmaBuffer buf = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x2000));
        DmaBufAttachment attach = buf.DynamicAttach(nic, P2PImporter).Value;

        DmaResult<SgTable> mapped = attach.Map(DmaDirection.Bidirectional);

        Assert.False(mapped.Failed);
        SgTable table = mapped.Value;
        Assert.Equal(1, table.Nents);
        Assert.Equal(Topologies.GpuBar, table[0].DmaAddress.Raw); // switch-local: the bus address (identity window)
        attach.Unmap(table, DmaDirection.Bidirectional);
        Assert.Throws<ArgumentException>(() => DmaBufMapping.FreeSgt(attach, table, DmaDirection.Bidirectional)); // already freed
    }

    [Fact]
    public void PhysVecToSgt_BusAddr_OneBusAddressEntryPerRange_PagesNull_OrigNentsZero()
    {
        PciTopology t = Topologies.BusOffsetSwitch(iommu: true);
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
            .DynamicAttach(nic, P2PImporter).Value;
        PhysRange[] ranges = { Range(0x9000_0000, 0x2000), Range(0x9800_0000, 0x1000) };

        DmaResult<SgTable> result = DmaBufMapping.PhysVecToSgt(attach, provider, ranges, 0x3000, DmaDirection.ToDevice);

        SgTable table = result.Value;
        Assert.Equal(0, table.OrigNents);
        Assert.Equal(2, table.Nents);
        Assert.Equal(0x5000_0000UL, table[0].DmaAddress.Raw);
        Assert.Equal(0x2000UL, table[0].DmaLength);
        Assert.Equal(0x5800_0000UL, table[1].DmaAddress.Raw);
        Assert.Equal(0x1000UL, table[1].DmaLength);
        Assert.All(table, sg => Assert.Null(sg.Page));
        Assert.Equal(0, nic.IommuDomain!.MappedPages);

        DmaBufMapping.FreeSgt(attach, table, DmaDirection.ToDevice);
        Assert.Equal(0, nic.IommuDomain.MappedPages);
    }

    [Fact]
    public void PhysVecToSgt_ThruHostBridgeWithIommu_LinksEveryRangeIntoOneIovaEntry()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost(iommu: true));
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
            .DynamicAttach(nic, P2PImporter).Value;
        PhysRange[] ranges = { Range(Topologies.GpuBar + 0x10_0000, 0x2000), Range(Topologies.GpuBar, 0x1000) };

        SgTable table = DmaBufMapping.PhysVecToSgt(attach, provider, ranges, 0x3000, DmaDirection.Bidirectional).Value;

        Assert.Equal(1, table.Nents);
        Assert.Equal(0x3000UL, table[0].DmaLength);
        DmaAddr iova = table[0].DmaAddress;
        Assert.True(nic.IommuDomain!.TryTranslate(iova, out PhysAddr p0, out IommuProt prot));
        Assert.Equal(ranges[0].Start, p0);
        Assert.True((prot & IommuProt.Mmio) != 0);
        Assert.True(nic.IommuDomain.TryTranslate(iova + 0x2000, out PhysAddr p1, out _));
        Assert.Equal(ranges[1].Start, p1);

        DmaBufMapping.FreeSgt(attach, table, DmaDirection.Bidirectional);
        Assert.Equal(0, nic.IommuDomain.MappedPages);
    }

    [Fact]
    public void PhysVecToSgt_ThruHostBridgeWithoutIommu_MapsEachRangeAsMmio_AtItsPhysicalAddress()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.SkylakeHost());
        t.DmaDebug.Enabled = true;
        PciDevice nic = t.Device("nic");
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
            .DynamicAttach(nic, P2PImporter).Value;
        PhysRange[] ranges = { Range(Topologies.GpuBar + 0x10_0000, 0x2000), Range(Topologies.GpuBar, 0x1000) };

        SgTable table = DmaBufMapping.PhysVecToSgt(attach, provider, ranges, 0x3000, DmaDirection.Bidirectional).Value;

        Assert.Equal(2, table.Nents);
        Assert.Equal(ranges[0].Start.Raw, table[0].DmaAddress.Raw);
        Assert.Equal(ranges[1].Start.Raw, table[1].DmaAddress.Raw);
        Assert.Equal(2, t.DmaDebug.LiveMappings(nic));

        DmaBufMapping.FreeSgt(attach, table, DmaDirection.Bidirectional);
        Assert.Equal(0, t.DmaDebug.LiveMappings(nic));
        Assert.Empty(t.DmaDebug.Findings);
    }

    [Fact]
    public void PhysVecToSgt_NotSupported_IsInvalid()
    {
        PciTopology t = Topologies.AcrossRootPorts(Ids.PlainHost(iommu: true));
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
            .DynamicAttach(t.Device("nic"), P2PImporter).Value;

        DmaResult<SgTable> result = DmaBufMapping.PhysVecToSgt(attach, provider, new[] { Range(Topologies.GpuBar, 0x1000) }, 0x1000, DmaDirection.ToDevice);

        Assert.True(result.Failed);
        Assert.Equal(DmaError.Invalid, result.Error);
        Assert.Equal(0, t.Device("nic").IommuDomain!.MappedPages);
    }

    [Fact]
    public void PhysVecToSgt_RangesOutsideTheProviderOrNotAddingUp_Throw()
    {
        PciTopology t = Topologies.SwitchSiblings();
        P2PProvider provider = Topologies.GpuProvider(t);
        DmaBufAttachment attach = DmaBuffer.Export(new PhysVecExporter(provider, Array.Empty<PhysRange>()), 1)
            .DynamicAttach(t.Device("nic"), P2PImporter).Value;

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            DmaBufMapping.PhysVecToSgt(attach, provider, new[] { Range(Topologies.NicBar, 0x1000) }, 0x1000, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            DmaBufMapping.PhysVecToSgt(attach, provider, new[] { Range(Topologies.GpuBar, 0x1000) }, 0x2000, DmaDirection.ToDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            DmaBufMapping.PhysVecToSgt(attach, provider, Array.Empty<PhysRange>(), 0, DmaDirection.ToDevice));
        Assert.Throws<ArgumentNullException>(() =>
            DmaBufMapping.PhysVecToSgt(attach, null!, new[] { Range(Topologies.GpuBar, 0x1000) }, 0x1000, DmaDirection.ToDevice));
    }

    [Fact]
    public void FreeSgt_OfATableNotMadeByPhysVecToSgt_Throws()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBufAttachment attach = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000))
            .DynamicAttach(t.Device("nic"), P2PImporter).Value;

        Assert.Throws<ArgumentException>(() => DmaBufMapping.FreeSgt(attach, SgTable.Alloc(1), DmaDirection.ToDevice));
    }

    [Fact]
    public void ImportedTable_HasNoValidPages_ForTheImporter()
    {
        PciTopology t = Topologies.SwitchSiblings();
        DmaBufAttachment attach = PhysVecExporter.Export(Topologies.GpuProvider(t), Range(Topologies.GpuBar, 0x1000))
            .DynamicAttach(t.Device("nic"), P2PImporter).Value;

        SgTable table = attach.Map(DmaDirection.ToDevice).Value;

        Assert.Null(table[0].Page);
        Assert.Throws<InvalidOperationException>(() => table[0].Phys);
        Assert.True(table.DmaSegments.All(sg => sg.DmaLength == 0x1000));
    }
}
