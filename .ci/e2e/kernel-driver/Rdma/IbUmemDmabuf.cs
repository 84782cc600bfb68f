using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace KernelDriver.Rdma;

// drivers/infiniband/core/umem_dmabuf.c: struct ib_umem_dmabuf, a memory region backed by an imported dma-buf.
public sealed class IbUmemDmabuf
{
    public DmaBufAttachment Attach = null!;
    public ulong Address;
    public ulong Length;
    public SgTable? Sgt;
    public Scatterlist? FirstSg;
    public ulong FirstSgOffset;
    public Scatterlist? LastSg;
    public ulong LastSgTrim;
    public int Nmap;

    // ib_umem_dmabuf_get: a dynamic attachment that allows peer-to-peer (ib_umem_dmabuf_attach_ops)
    public static IbUmemDmabuf? Get(PciDevice device, DmaBuffer dmabuf, ulong offset, ulong size)
    {
        DmaResult<DmaBufAttachment> attach = dmabuf.DynamicAttach(device, new DmaBufImportOps { AllowPeer2Peer = true });
        return attach.Failed ? null : new IbUmemDmabuf { Attach = attach.Value, Address = offset, Length = size };
    }

    // ib_umem_dmabuf_map_pages: only sg_dma_address/sg_dma_len of the imported table, trimmed to the region
    public int MapPages()
    {
        DmaResult<SgTable> sgt = Attach.Map(DmaDirection.Bidirectional);
        if (sgt.Failed)
        {
            return (int)sgt.Error;
        }

        ulong start = Address & ~4095UL;
        ulong end = (Address + Length + 4095) & ~4095UL;
        ulong cur = 0;
        int nmap = 0;
        foreach (Scatterlist sg in sgt.Value.DmaSegments)
        {
            if (start < cur + sg.DmaLength && cur < end)
            {
                nmap++;
            }

            if (cur <= start && start < cur + sg.DmaLength)
            {
                ulong offset = start - cur;
                FirstSg = sg;
                FirstSgOffset = offset;
                sg.DmaAddress += offset;
                sg.DmaLength -= offset;
                cur += offset;
            }

            if (cur < end && end <= cur + sg.DmaLength)
            {
                ulong trim = sg.DmaLength - (end - cur);
                LastSg = sg;
                LastSgTrim = trim;
                sg.DmaLength -= trim;
                break;
            }

            cur += sg.DmaLength;
        }

        Nmap = nmap;
        Sgt = sgt.Value;
        return 0;
    }

    // ib_umem_dmabuf_unmap_pages: restore the entries, then give the table back
    public void UnmapPages()
    {
        if (Sgt is null)
        {
            return;
        }

        if (FirstSg is not null)
        {
            FirstSg.DmaAddress -= FirstSgOffset;
            FirstSg.DmaLength += FirstSgOffset;
            FirstSg = null;
            FirstSgOffset = 0;
        }

        if (LastSg is not null)
        {
            LastSg.DmaLength += LastSgTrim;
            LastSg = null;
            LastSgTrim = 0;
        }

        Attach.Unmap(Sgt, DmaDirection.Bidirectional);
        Sgt = null;
    }
}
