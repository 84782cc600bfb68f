using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace FabricDemo;

/// <summary>
/// The VRAM exporter as amdgpu writes it, transliterated from <c>amdgpu_dma_buf_attach</c>,
/// <c>amdgpu_dma_buf_map</c> (drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c) and <c>amdgpu_vram_mgr_alloc_sgt</c> /
/// <c>amdgpu_vram_mgr_free_sgt</c> (amdgpu_vram_mgr.c). xe and habanalabs do the same.
/// <para>
/// The bug: it asks only whether P2P is possible (<c>pci_p2pdma_distance() &gt;= 0</c>), never how to map it (the map
/// type), and hands the importer <c>dma_map_resource()</c> of the BAR's CPU physical address. That is right only when the
/// DMA goes through the host bridge. When both devices sit below one switch (map type BusAddr) the switch decodes the
/// address as a PCI bus address: an IOVA goes past the GPU to the root complex, and a raw CPU address (dma-direct) hits
/// whatever BAR has that bus address. The BAR's bus offset is never applied.
/// </para>
/// </summary>
internal sealed class AmdgpuStyleExporter : DmaBufOps
{
    private readonly VramBuffer _vram;

    public AmdgpuStyleExporter(VramBuffer vram) => _vram = vram;

    /// <summary>
    /// <c>amdgpu_dma_buf_attach</c>: <c>if (pci_p2pdma_distance(adev-&gt;pdev, attach-&gt;dev, false) &lt; 0)
    /// attach-&gt;peer2peer = false;</c> A non-negative distance says P2P is possible, not how to map it.
    /// </summary>
    public override DmaError Attach(DmaBufAttachment attach)
    {
        if (PciP2PDma.Distance(_vram.Gpu, attach.Device) < 0)
        {
            attach.Peer2Peer = false;
        }

        return DmaError.None;
    }

    /// <summary><c>amdgpu_dma_buf_map</c> for a buffer in VRAM, which calls <c>amdgpu_vram_mgr_alloc_sgt</c>.</summary>
    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
    {
        if (!attach.Peer2Peer)
        {
            // amdgpu would have moved the buffer to system memory when it was pinned; this demo only has VRAM.
            return DmaError.NotSupported;
        }

        // amdgpu_vram_mgr_alloc_sgt: one entry per VRAM block. sg_alloc_table sets nents = orig_nents = the block
        // count, and amdgpu relies on that: it never sets nents itself.
        IReadOnlyList<PhysRange> blocks = _vram.Blocks;
        SgTable table = SgTable.Alloc(blocks.Count);
        for (int i = 0; i < blocks.Count; i++)
        {
            // phys = cursor.start + adev->gmc.aper_base: the CPU physical address of the block in the BAR.
            PhysAddr phys = blocks[i].Start;
            ulong size = blocks[i].Size;

            // addr = dma_map_resource(dev, phys, size, dir, DMA_ATTR_SKIP_CPU_SYNC): maps for the importer as if the
            // DMA went through the host bridge (an IOVA behind an IOMMU, phys itself under dma-direct).
            DmaAddr addr = Dma.MapResource(attach.Device, phys, size, direction, DmaAttrs.SkipCpuSync);
            if (Dma.MappingError(attach.Device, addr))
            {
                UnmapEntries(attach, table, direction); // error_unmap: entries still of length 0 are skipped
                return DmaError.NoMemory;
            }

            // sg_set_page(sg, NULL, size, 0); sg_dma_address(sg) = addr; sg_dma_len(sg) = size;
            // A "scatterlist" with no pages: only the DMA side means anything.
            Scatterlist sg = table[i];
            sg.SetPage(null, size, 0);
            sg.DmaAddress = addr;
            sg.DmaLength = size;
        }

        return table;
    }

    /// <summary><c>amdgpu_dma_buf_unmap</c> -> <c>amdgpu_vram_mgr_free_sgt</c>: <c>dma_unmap_resource</c> for every entry.</summary>
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
        UnmapEntries(attach, table, direction);

    private static void UnmapEntries(DmaBufAttachment attach, SgTable table, DmaDirection direction)
    {
        foreach (Scatterlist sg in table)
        {
            if (sg.Length != 0)
            {
                Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.Length, direction, DmaAttrs.SkipCpuSync);
            }
        }
    }
}
