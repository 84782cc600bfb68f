namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// nvme-pci's data mapping on the block layer's P2P-aware iterator: blk_rq_dma_map_iter_start (block/blk-mq-dma.c)
/// classifies each segment with pci_p2pdma_state and hands back a bus address for switch-local peers; nvme_map_data
/// (drivers/nvme/host/pci.c) keeps the addresses in the request's iod, and the completion (nvme_unmap_data) unmaps them.
/// The fix was IOD_P2P_BUS_ADDR: a bit in iod->flags, set when the iterator said BUS_ADDR, that skips the unmap.
/// </summary>
public sealed class NvmeTests
{
    // block/blk-mq-dma.c: struct blk_dma_iter and blk_rq_dma_map_iter_start for one bio_vec.
    internal const string BlkMqDma = """
        sealed class BioVec
        {
            public Page Page = null!;
            public ulong Offset;
            public ulong Len;
        }

        sealed class Request
        {
            public BioVec[] Bvecs = Array.Empty<BioVec>();
            public DmaDirection Dir;
        }

        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public int Status;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
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
        """;

    // struct nvme_iod: the per-request state; dma_vecs keeps what the completion must unmap.
    private const string Iod = """
        [Flags]
        enum NvmeIodFlags
        {
            None = 0,
            Aborted = 1 << 0,
            P2PBusAddr = 1 << 3,   // IOD_P2P_BUS_ADDR
        }

        struct NvmeDmaVec
        {
            public DmaAddr Addr;
            public ulong Len;
        }

        sealed class NvmeIod
        {
            public Request Req = null!;
            public NvmeIodFlags Flags;
            public NvmeDmaVec[] DmaVecs = new NvmeDmaVec[8];
            public int NrDmaVecs;
            public ulong TotalLen;
        }
        """;

    private const string MapData = """
        static class NvmePci
        {
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

                %FLAG%
                SetupDataPrp(iod, iter);
                return 0;
            }
        }
        """;

    [Fact]
    public Task NvmeUnmapData_BeforeIodP2PBusAddr_UnmapsBusAddressesFromBlkRqDmaMapIterStart_Reports() => KernelVerify.RunAsync(
        BlkMqDma,
        Iod,
        MapData.Replace("%FLAG%", ""),
        """
        static class NvmeCompletion
        {
            // nvme_free_prps
            private static void FreePrps(PciDevice dev, NvmeIod iod)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    {|P2P0013:Dma.UnmapPage(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir)|};
                }
            }

            // nvme_unmap_data, before the flag: every segment unmapped
            public static void UnmapData(PciDevice dev, NvmeIod iod) => FreePrps(dev, iod);
        }
        """);

    [Fact]
    public Task NvmeUnmapData_WithIodP2PBusAddrFlagBit_NoDiagnostic() => KernelVerify.RunAsync(
        BlkMqDma,
        Iod,
        MapData.Replace("%FLAG%", """
            if (iter.P2PDma.Map == P2PMapType.BusAddr)
                {
                    iod.Flags |= NvmeIodFlags.P2PBusAddr;
                }

        """),
        """
        static class NvmeCompletion
        {
            // blk_rq_dma_unmap: bus addresses were never mapped; true when nothing is left to unmap
            private static bool BlkRqDmaUnmap(bool isP2P) => isP2P;

            private static void FreePrps(PciDevice dev, NvmeIod iod)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    Dma.UnmapPage(dev, iod.DmaVecs[i].Addr, iod.DmaVecs[i].Len, iod.Req.Dir);
                }
            }

            // nvme_unmap_data: if (!blk_rq_dma_unmap(req, dma_dev, &iod->dma_state, iod->total_len, iod->flags & IOD_P2P_BUS_ADDR))
            public static void UnmapData(PciDevice dev, NvmeIod iod)
            {
                if (!BlkRqDmaUnmap((iod.Flags & NvmeIodFlags.P2PBusAddr) != 0))
                {
                    FreePrps(dev, iod);
                }
            }
        }
        """);

    // nvme_map_cmb before "nvme-pci: Use PCI bus address for data/queues in CMB": the CMB's CPU address is kept as the
    // DMA address the controller is given for queues in the CMB (nvme_alloc_sq_cmds, adapter_alloc_sq).
    [Fact]
    public Task NvmeMapCmb_PciResourceStartAsCmbDmaAddr_UsedByNvmeAllocSqCmds_Reports() => KernelVerify.RunAsync(MapCmbV49, AllocSqCmds);

    internal const string MapCmbV49 = """
        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public uint CmbLoc;
            public ulong CmbSize;
            public DmaAddr CmbDmaAddr;
        }

        static class NvmeCmb
        {
            // nvme_map_cmb (v4.9)
            public static void MapCmb(NvmeDev dev, ulong offset, ulong size)
            {
                int bir = (int)(dev.CmbLoc & 0x7);
                ulong dmaAddr = dev.Pdev.Bar(bir).CpuStart.Raw + offset;
                dev.CmbSize = size;
                dev.CmbDmaAddr = {|P2P0001:DmaAddr.FromRaw(dmaAddr)|};
            }
        }
        """;

    internal const string AllocSqCmds = """
        sealed class NvmeQueue
        {
            public DmaAddr SqDmaAddr;
        }

        static class NvmeQueues
        {
            // nvme_alloc_sq_cmds: a submission queue in the CMB is addressed by the controller at cmb_dma_addr + offset
            public static void AllocSqCmds(NvmeDev dev, NvmeQueue nvmeq, ulong offset) => nvmeq.SqDmaAddr = dev.CmbDmaAddr + offset;
        }
        """;

    [Fact]
    public Task NvmeMapCmb_WithPciBusAddress_UsedByNvmeAllocSqCmds_NoDiagnostic() => KernelVerify.RunAsync(
        """
        sealed class NvmeDev
        {
            public PciDevice Pdev = null!;
            public uint CmbLoc;
            public ulong CmbSize;
            public PciBusAddr CmbBusAddr;
        }

        static class NvmeCmb
        {
            // nvme_map_cmb: dev->cmb_bus_addr = pci_bus_address(pdev, bar) + offset
            public static void MapCmb(NvmeDev dev, ulong offset, ulong size)
            {
                int bar = (int)(dev.CmbLoc & 0x7);
                dev.CmbSize = size;
                dev.CmbBusAddr = dev.Pdev.Bar(bar).BusStart + offset;
            }
        }
        """,
        """
        sealed class NvmeQueue
        {
            public DmaAddr SqDmaAddr;
        }

        static class NvmeQueues
        {
            // nvme_alloc_sq_cmds: the controller reaches its own CMB by bus address
            public static void AllocSqCmds(NvmeDev dev, NvmeQueue nvmeq, ulong offset) =>
                nvmeq.SqDmaAddr = DmaAddr.FromRaw(dev.CmbBusAddr.Raw + offset);
        }
        """);
}
