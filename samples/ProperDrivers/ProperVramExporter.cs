using System.Collections.Generic;
using System.Linq;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace Samples.ProperDrivers;

/// <summary>
/// The amdgpu/xe VRAM exporter and the habanalabs device-memory exporter done properly, as VFIO exports a BAR
/// (vfio_pci_dmabuf.c): keep the CPU physical ranges and the BAR's provider; dma_buf_phys_vec_to_sgt asks the map type
/// for each importer and produces the DMA addresses; dma_buf_free_sgt never unmaps a bus address.
/// </summary>
public sealed class ProperVramExporter : DmaBufOps
{
    private readonly P2PProvider _provider;
    private readonly IReadOnlyList<PhysRange> _ranges;

    public ProperVramExporter(P2PProvider provider, IReadOnlyList<(ulong Offset, ulong Size)> blocks)
    {
        _provider = provider;
        _ranges = blocks.Select(b => new PhysRange(provider.Bar.CpuStart + b.Offset, b.Size)).ToList();
    }

    public ulong Size => _ranges.Aggregate(0UL, (total, r) => total + r.Size);

    /// <summary>Only importers that accept peer memory may attach.</summary>
    public override DmaError Attach(DmaBufAttachment attach) => attach.Peer2Peer ? DmaError.None : DmaError.NotSupported;

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) =>
        DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, Size, dir);

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) =>
        DmaBufMapping.FreeSgt(attach, table, dir);
}
