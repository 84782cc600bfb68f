using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace Samples.HabanalabsExporter;

/// <summary>
/// A device-memory dma-buf exporter as the 2021 habanalabs patch wrote it: the DRAM BAR's CPU physical address goes
/// straight into sg_dma_address(), pages NULL, nothing mapped.
/// </summary>
public sealed class HabanaDeviceMemoryExporter : DmaBufOps
{
    private readonly P2PProvider _dramBar;
    private readonly ulong _offset;
    private readonly ulong _size;

    public HabanaDeviceMemoryExporter(P2PProvider dramBar, ulong offset, ulong size)
    {
        _dramBar = dramBar;
        _offset = offset;
        _size = size;
    }

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
    {
        SgTable sgt = SgTable.Alloc(1);
        for (int i = 0; i < 1; i++)
        {
            // bar_address = hdev->dram_pci_bar_start + (pages[i] - prop->dram_base_address);
            ulong barAddress = _dramBar.Bar.CpuStart.Raw + _offset;
            sgt[i].SetPage(null, _size, 0);
            sgt[i].DmaAddress = DmaAddr.FromRaw(barAddress);
            sgt[i].DmaLength = _size;
        }

        return sgt;
    }

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
    {
        // Nothing was mapped, so nothing is unmapped.
    }
}
