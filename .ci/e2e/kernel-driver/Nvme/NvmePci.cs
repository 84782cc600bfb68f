using System;
using P2PDma.Addresses;
using P2PDma.Mapping;
using P2PDma.P2P;
using P2PDma.Pci;

namespace KernelDriver.Nvme;

[Flags]
public enum NvmeIodFlags
{
    None = 0,
    Aborted = 1 << 0,
}

public struct NvmeDmaVec
{
    public DmaAddr Addr;
    public ulong Len;
}

// drivers/nvme/host/pci.c: struct nvme_iod, the per-request state; dma_vecs keeps what the completion must unmap.
public sealed class NvmeIod
{
    public Request Req = null!;
    public NvmeIodFlags Flags;
    public NvmeDmaVec[] DmaVecs = new NvmeDmaVec[8];
    public int NrDmaVecs;
    public ulong TotalLen;
}

public static class NvmePci
{
    private const int CmbBar = 0;

    // nvme_map_cmb: the controller memory buffer becomes P2P memory other devices can use
    public static int MapCmb(PciDevice pdev, ulong size)
    {
        if (PciP2PDma.AddResource(pdev, CmbBar, size, 0) != DmaError.None)
        {
            return -22;
        }

        PciP2PDma.Publish(pdev);
        return 0;
    }

    // nvme_pci_setup_data_prp: each mapped segment is remembered for the completion
    private static void SetupDataPrp(NvmeIod iod, BlkDmaIter iter)
    {
        iod.DmaVecs[iod.NrDmaVecs].Addr = iter.Addr;
        iod.DmaVecs[iod.NrDmaVecs].Len = iter.Len;
        iod.NrDmaVecs++;
        iod.TotalLen += iter.Len;
    }

    // nvme_map_data
    public static int MapData(PciDevice dev, NvmeIod iod)
    {
        var iter = new BlkDmaIter();
        if (!BlkMqDma.MapIterStart(iod.Req, dev, iter))
        {
            return iter.Status;
        }

        SetupDataPrp(iod, iter);
        return 0;
    }
}

public static class NvmeCompletion
{
    // nvme_free_prps
    private static void FreePrps(PciDevice dev, NvmeIod iod)
    {
        for (int i = 0; i < iod.NrDmaVecs; i++)
        {
            Dma.UnmapPage(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir);
        }
    }

    // nvme_unmap_data, called from the completion (nvme_pci_complete_rq)
    public static void UnmapData(PciDevice dev, NvmeIod iod) => FreePrps(dev, iod);
}
