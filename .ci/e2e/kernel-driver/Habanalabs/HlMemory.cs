using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.Pci;

namespace KernelDriver.Habanalabs;

// memory.c: struct hl_vm_phys_pg_pack, the device pages behind an allocation handle.
public sealed class HlVmPhysPgPack
{
    public ulong[] Pages = Array.Empty<ulong>();
    public ulong PageSize;
}

// habanalabs.h: struct hl_dmabuf_priv, what an exported dma-buf keeps.
public sealed class HlDmabufPriv
{
    public HlDevice Hdev = null!;
    public HlVmPhysPgPack? PhysPgPack;
    public ulong DevicePhysAddr;
    public ulong Size;
    public ulong Offset;
}

public static class HlMemory
{
    // set_dma_sg: maps the BAR address it is handed for the importer
    public static int SetDmaSg(Scatterlist sg, ulong barAddress, ulong chunkSize, PciDevice dev, DmaDirection dir)
    {
        DmaAddr addr = Dma.MapResource(dev, PhysAddr.FromRaw(barAddress), chunkSize, dir, DmaAttrs.SkipCpuSync);
        if (Dma.MappingError(dev, addr))
        {
            return -12;
        }

        sg.SetPage(null, chunkSize, 0);
        sg.DmaAddress = addr;
        sg.DmaLength = chunkSize;
        return 0;
    }

    // alloc_sgt_from_device_pages: bar_address = dram_pci_bar_start + (page - dram_base_address) + offset
    public static SgTable? AllocSgtFromDevicePages(HlDevice hdev, ulong[] pages, int npages, ulong pageSize, ulong exportedSize, ulong offset, PciDevice dev, DmaDirection dir)
    {
        AsicFixedProperties prop = hdev.AsicProp;
        int nents = npages;
        SgTable sgt = SgTable.Alloc(nents);
        ulong left = exportedSize;
        int curPage = 0;
        foreach (Scatterlist sg in sgt)
        {
            ulong chunkSize = Math.Min(pageSize - offset, left);
            ulong barAddress = hdev.DramPciBarStart + (pages[curPage] - prop.DramBaseAddress) + offset;
            if (SetDmaSg(sg, barAddress, chunkSize, dev, dir) != 0)
            {
                goto errUnmap;
            }

            left -= chunkSize;
            offset = 0;
            curPage++;
        }

        return sgt;

    errUnmap:
        foreach (Scatterlist sg in sgt.DmaSegments)
        {
            if (sg.DmaLength == 0)
            {
                continue;
            }

            Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
        }

        return null;
    }
}
