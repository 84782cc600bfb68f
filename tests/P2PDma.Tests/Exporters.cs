using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace P2PDma.Tests;

/// <summary>
/// A proper P2P dma-buf exporter (the VFIO shape): keeps CPU-physical ranges and the provider, refuses importers that
/// cannot take peer memory, maps with <see cref="DmaBufMapping.PhysVecToSgt"/> and unmaps with
/// <see cref="DmaBufMapping.FreeSgt"/>.
/// </summary>
internal sealed class PhysVecExporter : DmaBufOps
{
    private readonly bool _offerPhysList;

    public PhysVecExporter(P2PProvider provider, IReadOnlyList<PhysRange> ranges, bool offerPhysList = false)
    {
        Provider = provider;
        Ranges = ranges;
        _offerPhysList = offerPhysList;
    }

    public P2PProvider Provider { get; }

    public IReadOnlyList<PhysRange> Ranges { get; }

    public ulong Size => Ranges.Aggregate(0UL, (sum, r) => sum + r.Size);

    public int Attaches { get; private set; }

    public int Detaches { get; private set; }

    public override DmaError Attach(DmaBufAttachment attach)
    {
        Attaches++;
        return attach.Peer2Peer ? DmaError.None : DmaError.NotSupported;
    }

    public override void Detach(DmaBufAttachment attach) => Detaches++;

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction) =>
        DmaBufMapping.PhysVecToSgt(attach, Provider, Ranges, Size, direction);

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
        DmaBufMapping.FreeSgt(attach, table, direction);

    public override DmaResult<DmaBufPhysList> MapPhysList(DmaBufAttachment attach) =>
        _offerPhysList ? new DmaBufPhysList(Provider, Ranges) : base.MapPhysList(attach);

    public static DmaBuffer Export(P2PProvider provider, params PhysRange[] ranges)
    {
        var ops = new PhysVecExporter(provider, ranges);
        return DmaBuffer.Export(ops, ops.Size);
    }
}

/// <summary>
/// The amdgpu / xe / habanalabs exporter habit: checks only pci_p2pdma_distance() &gt;= 0, then dma_map_resource()
/// of the CPU-physical BAR address into a hand-built page-less table.
/// </summary>
internal sealed class MapResourceExporter : DmaBufOps
{
    private readonly PhysRange _range;

    public MapResourceExporter(PhysRange range) => _range = range;

    public override DmaError Attach(DmaBufAttachment attach)
    {
        P2PDma.Pci.PciDevice owner = attach.Device.Topology.FindBar(_range.Start)!.Device;
        if (PciP2PDma.Distance(owner, attach.Device) < 0)
        {
            attach.Peer2Peer = false;
        }

        return DmaError.None;
    }

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
    {
        if (!attach.Peer2Peer)
        {
            return DmaError.Io;
        }

        DmaAddr address = Dma.MapResource(attach.Device, _range.Start, _range.Size, direction);
        if (Dma.MappingError(attach.Device, address))
        {
            return DmaError.Io;
        }

        SgTable table = SgTable.Alloc(1);
        table[0].SetPage(null, _range.Size, 0);
        table[0].DmaAddress = address;
        table[0].DmaLength = _range.Size;
        return table;
    }

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
        Dma.UnmapResource(attach.Device, table[0].DmaAddress, _range.Size, direction);
}
