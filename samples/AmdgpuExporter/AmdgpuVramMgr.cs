using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace Samples.AmdgpuExporter;

/// <summary>
/// amdgpu_vram_mgr.c: the VRAM manager builds the table an exporter hands out, from the aperture cached at probe, with
/// dma_map_resource() of each block's CPU physical address and no pages.
/// </summary>
public sealed class AmdgpuVramMgr
{
    private readonly AmdgpuDevice _adev;

    public AmdgpuVramMgr(AmdgpuDevice adev) => _adev = adev;

    /// <summary>amdgpu_vram_mgr_alloc_sgt: one entry per VRAM block (the resource cursor), mapped as if through the host bridge.</summary>
    public DmaResult<SgTable> AllocSgt(IReadOnlyList<(ulong Start, ulong Size)> cursor, PciDevice dev, DmaDirection dir)
    {
        SgTable sgt = SgTable.Alloc(cursor.Count);
        for (int i = 0; i < cursor.Count; i++)
        {
            // phys = cursor.start + adev->gmc.aper_base
            PhysAddr phys = _adev.Gmc.AperBase + cursor[i].Start;
            ulong size = cursor[i].Size;
            DmaAddr addr = Dma.MapResource(dev, phys, size, dir, DmaAttrs.SkipCpuSync);
            if (Dma.MappingError(dev, addr))
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
    public static void FreeSgt(PciDevice dev, DmaDirection dir, SgTable sgt)
    {
        foreach (Scatterlist sg in sgt.DmaSegments)
        {
            Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
        }
    }
}
