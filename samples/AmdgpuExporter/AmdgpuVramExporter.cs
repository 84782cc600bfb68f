using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace Samples.AmdgpuExporter;

/// <summary>
/// A VRAM dma-buf exporter written as amdgpu and xe write theirs (amdgpu_dma_buf.c, amdgpu_vram_mgr.c,
/// xe_ttm_vram_mgr.c): "is P2P possible?" at attach time, then dma_map_resource() of each block's CPU physical address
/// and a hand-built table with no pages.
/// </summary>
public sealed class AmdgpuVramExporter : DmaBufOps
{
    private readonly PciDevice _adev;
    private readonly P2PProvider _provider;
    private readonly IReadOnlyList<(ulong Offset, ulong Size)> _blocks;

    /// <param name="adev">The GPU.</param>
    /// <param name="provider">The P2P provider of its VRAM BAR (pcim_p2pdma_provider).</param>
    /// <param name="blocks">The buffer's VRAM blocks: offsets into the BAR and sizes.</param>
    public AmdgpuVramExporter(PciDevice adev, P2PProvider provider, IReadOnlyList<(ulong Offset, ulong Size)> blocks)
    {
        _adev = adev;
        _provider = provider;
        _blocks = blocks;
    }

    /// <summary>amdgpu_dma_buf_attach: the distance says P2P is possible, not how to map it.</summary>
    public override DmaError Attach(DmaBufAttachment attach)
    {
        if (PciP2PDma.Distance(_adev, attach.Device) < 0)
        {
            attach.Peer2Peer = false;
        }

        return DmaError.None;
    }

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) =>
        attach.Peer2Peer ? AllocSgt(attach, dir) : DmaError.NotSupported;

    /// <summary>amdgpu_vram_mgr_alloc_sgt: one entry per VRAM block, mapped as if through the host bridge.</summary>
    private DmaResult<SgTable> AllocSgt(DmaBufAttachment attach, DmaDirection dir)
    {
        SgTable sgt = SgTable.Alloc(_blocks.Count);
        for (int i = 0; i < _blocks.Count; i++)
        {
            // phys = cursor.start + adev->gmc.aper_base: the block's CPU physical address in the VRAM BAR.
            PhysAddr phys = _adev.Bar(0).CpuStart + _blocks[i].Offset;
            ulong size = _blocks[i].Size;
            DmaAddr addr = Dma.MapResource(attach.Device, phys, size, dir, DmaAttrs.SkipCpuSync);
            if (Dma.MappingError(attach.Device, addr))
            {
                return DmaError.NoMemory;
            }

            sgt[i].SetPage(null, size, 0);
            sgt[i].DmaAddress = addr;
            sgt[i].DmaLength = size;
        }

        return sgt;
    }

    /// <summary>amdgpu_vram_mgr_free_sgt.</summary>
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
    {
        foreach (Scatterlist sg in table.DmaSegments)
        {
            Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
        }
    }
}
