using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Memory;
using P2PDma.P2P;
using P2PDma.Pci;

namespace KernelDriver.Nvme;

// include/linux/bvec.h, blk-mq.h: the request's data, one bio_vec here.
public sealed class BioVec
{
    public Page Page = null!;
    public ulong Offset;
    public ulong Len;
}

public sealed class Request
{
    public BioVec[] Bvecs = Array.Empty<BioVec>();
    public DmaDirection Dir;
}

// include/linux/blk-mq-dma.h: struct blk_dma_iter.
public sealed class BlkDmaIter
{
    public DmaAddr Addr;
    public ulong Len;
    public int Status;
    public P2PMapState P2PDma = new();
}

public static class BlkMqDma
{
    // blk_rq_dma_map_iter_start: the canonical switch on the map type
    public static bool MapIterStart(Request req, PciDevice dmaDev, BlkDmaIter iter)
    {
        BioVec vec = req.Bvecs[0];
        PhysAddr paddr = vec.Page.Phys + vec.Offset;
        DmaAttrs attrs = DmaAttrs.None;
        switch (PciP2PDma.State(iter.P2PDma, dmaDev, vec.Page))
        {
            case P2PMapType.BusAddr:
                // blk_dma_map_bus
                iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, paddr);
                iter.Len = vec.Len;
                return true;
            case P2PMapType.ThruHostBridge:
                attrs |= DmaAttrs.Mmio;
                break;
            case P2PMapType.None:
                break;
            default:
                iter.Status = -121;
                return false;
        }

        // blk_dma_map_direct
        iter.Addr = Dma.MapPhys(dmaDev, paddr, vec.Len, req.Dir, attrs);
        if (Dma.MappingError(dmaDev, iter.Addr))
        {
            iter.Status = -5;
            return false;
        }

        iter.Len = vec.Len;
        return true;
    }
}
