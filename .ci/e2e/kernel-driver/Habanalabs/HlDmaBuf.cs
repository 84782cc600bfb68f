using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace KernelDriver.Habanalabs;

// memory.c: habanalabs_dmabuf_ops.
public sealed class HlDmaBufOps : DmaBufOps
{
    private readonly HlDmabufPriv _hlDmabuf;

    public HlDmaBufOps(HlDmabufPriv hlDmabuf) => _hlDmabuf = hlDmabuf;

    // hl_dmabuf_attach: a negative distance clears peer2peer
    public override DmaError Attach(DmaBufAttachment attachment)
    {
        if (PciP2PDma.Distance(_hlDmabuf.Hdev.Pdev, attachment.Device) < 0)
        {
            attachment.Peer2Peer = false;
        }

        return DmaError.None;
    }

    // hl_map_dmabuf: refused without peer2peer (-EPERM), else the table of the exported pages
    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
    {
        HlDevice hdev = _hlDmabuf.Hdev;
        if (!attachment.Peer2Peer)
        {
            return DmaError.NotSupported; // -EPERM: DmaError has no EPERM
        }

        SgTable? sgt = _hlDmabuf.PhysPgPack is { } pack
            ? HlMemory.AllocSgtFromDevicePages(hdev, pack.Pages, pack.Pages.Length, pack.PageSize, _hlDmabuf.Size, _hlDmabuf.Offset, attachment.Device, dir)
            : HlMemory.AllocSgtFromDevicePages(hdev, new[] { _hlDmabuf.DevicePhysAddr }, 1, _hlDmabuf.Size, _hlDmabuf.Size, 0, attachment.Device, dir);
        if (sgt is null)
        {
            return DmaError.NoMemory;
        }

        return sgt;
    }

    // hl_unmap_dmabuf
    public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
    {
        foreach (Scatterlist sg in sgt.DmaSegments)
        {
            Dma.UnmapResource(attachment.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
        }
    }
}

public static class HlDmaBufExport
{
    // export_dmabuf_from_addr: the device memory [addr, addr + size) as a dma-buf
    public static DmaBuffer ExportFromAddr(HlDevice hdev, ulong deviceAddr, ulong size) =>
        DmaBuffer.Export(new HlDmaBufOps(new HlDmabufPriv { Hdev = hdev, DevicePhysAddr = deviceAddr, Size = size }), size);
}
