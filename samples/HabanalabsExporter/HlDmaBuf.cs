using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;

namespace Samples.HabanalabsExporter;

/// <summary>
/// memory.c as the 2021 habanalabs P2P patch wrote it: the exporter builds the table in its own helper and hands each
/// entry to set_dma_sg() with the DRAM BAR's CPU physical address: pages NULL, nothing mapped.
/// </summary>
public sealed class HlDmaBuf : DmaBufOps
{
    private readonly HlDevice _hdev;
    private readonly ulong _offset;
    private readonly ulong _size;

    /// <param name="hdev">The device, probed (<see cref="HlPci.Init"/> has run).</param>
    /// <param name="offset">The buffer's offset in device memory.</param>
    /// <param name="size">The buffer's size.</param>
    public HlDmaBuf(HlDevice hdev, ulong offset, ulong size)
    {
        _hdev = hdev;
        _offset = offset;
        _size = size;
    }

    /// <summary>hl_dmabuf_map.</summary>
    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) => AllocSgtFromDevicePages(1);

    /// <summary>hl_dmabuf_unmap: nothing was mapped, so nothing is unmapped.</summary>
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
    {
    }

    /// <summary>alloc_sgt_from_device_pages: one entry per device-memory chunk.</summary>
    private SgTable AllocSgtFromDevicePages(int npages)
    {
        SgTable sgt = SgTable.Alloc(npages);
        for (int i = 0; i < npages; i++)
        {
            // bar_address = hdev->dram_pci_bar_start + (pages[i] - prop->dram_base_address)
            ulong barAddress = _hdev.DramPciBarStart + _offset;
            SetDmaSg(sgt[i], barAddress, _size);
        }

        return sgt;
    }

    /// <summary>set_dma_sg: sg_dma_address(sg) = bar_address; sg_dma_len(sg) = chunk_size.</summary>
    private static void SetDmaSg(Scatterlist sg, ulong barAddress, ulong chunkSize)
    {
        sg.SetPage(null, chunkSize, 0);
        sg.DmaAddress = DmaAddr.FromRaw(barAddress);
        sg.DmaLength = chunkSize;
    }
}
