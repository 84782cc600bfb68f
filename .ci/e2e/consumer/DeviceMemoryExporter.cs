using P2PDma.Addresses;
using P2PDma.DmaBuf;
using P2PDma.Mapping;
using P2PDma.P2P;

namespace Consumer;

// The 2021 habanalabs dma-buf exporter: the BAR's CPU address straight into the table.
public sealed class DeviceMemoryExporter : DmaBufOps
{
    private readonly P2PProvider _dramBar;
    private readonly ulong _size;

    public DeviceMemoryExporter(P2PProvider dramBar, ulong size)
    {
        _dramBar = dramBar;
        _size = size;
    }

    public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
    {
        SgTable sgt = SgTable.Alloc(1);
        for (int i = 0; i < 1; i++)
        {
            ulong barAddress = _dramBar.Bar.CpuStart.Raw;
            sgt[i].SetPage(null, _size, 0);
            sgt[i].DmaAddress = DmaAddr.FromRaw(barAddress);
            sgt[i].DmaLength = _size;
        }

        return sgt;
    }

    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
    {
    }
}
