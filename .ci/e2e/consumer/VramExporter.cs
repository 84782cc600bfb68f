using System.Collections.Generic;
using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace Consumer;

// amdgpu_vram_mgr_alloc_sgt, as a package consumer would write it.
public sealed class VramExporter : DmaBufOps
{
    private readonly PciDevice _adev;
    private readonly P2PProvider _provider;
    private readonly IReadOnlyList<(ulong Offset, ulong Size)> _blocks;

    public VramExporter(PciDevice adev, P2PProvider provider, IReadOnlyList<(ulong Offset, ulong Size)> blocks)
    {
        _adev = adev;
        _provider = provider;
        _blocks = blocks;
    }

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => AllocSgt(attach, dir);

    private DmaResult<SgTable> AllocSgt(DmaBufAttachment attach, DmaDirection dir)
    {
        SgTable sgt = SgTable.Alloc(_blocks.Count);
        for (int i = 0; i < _blocks.Count; i++)
        {
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

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
    {
        foreach (Scatterlist sg in table.DmaSegments)
        {
            Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
        }
    }
}
