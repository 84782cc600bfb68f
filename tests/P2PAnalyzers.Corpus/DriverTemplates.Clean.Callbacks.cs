namespace P2PAnalyzers.Corpus;

/// <summary>
/// Correct driver code split around its callbacks: mainline's P2P unmap decided by the map type a helper is handed, and
/// an ops table's function pointer keeping a mapping its completion unmaps as it was mapped.
/// </summary>
internal static partial class CleanTemplates
{
    // Mainline blk_rq_dma_unmap (true for PCI_P2PDMA_MAP_BUS_ADDR) and nvme_unmap_iter: the iterator's segment is
    // unmapped only when it was mapped.
    private static string NvmeUnmapIterMapType(string c, Rng r) => $$"""
        public sealed class {{c}}DmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public P2PMapState P2PDma = new();
        }

        public static class {{c}}IterBlkMqDma
        {
            // blk_dma_map_iter_start (one segment)
            public static bool MapIterStart(PciDevice dev, {{c}}DmaIter iter, Page page, ulong len)
            {
                iter.Len = len;
                switch (PciP2PDma.State(iter.P2PDma, dev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                        iter.Addr = Dma.MapPhys(dev, page.Phys, len, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        return !Dma.MappingError(dev, iter.Addr);
                    case P2PMapType.None:
                        iter.Addr = Dma.MapPhys(dev, page.Phys, len, DmaDirection.ToDevice, DmaAttrs.None);
                        return !Dma.MappingError(dev, iter.Addr);
                    default:
                        return false;
                }
            }

            // blk_rq_dma_unmap: true when nothing is left for the caller to unmap
            public static bool RqDmaUnmap(PciDevice dev, ulong len, P2PMapType map)
            {
                if (map == P2PMapType.BusAddr)
                {
                    return true;
                }

                return len == {{r.Next(0, 1)}}UL;
            }

            // nvme_unmap_iter
            public static void UnmapIter(PciDevice dev, {{c}}DmaIter iter)
            {
                if (!RqDmaUnmap(dev, iter.Len, iter.P2PDma.Map))
                {
                    DmaAttrs attrs = iter.P2PDma.Map == P2PMapType.ThruHostBridge ? DmaAttrs.Mmio : DmaAttrs.None;
                    Dma.UnmapPhys(dev, iter.Addr, iter.Len, DmaDirection.ToDevice, attrs);
                }
            }
        }
        """;

    // ath10k as fixed, through its wmi_ops table: the completion unmaps DMA_TO_DEVICE what was mapped DMA_TO_DEVICE.
    private static string Ath10kWmiOpsFixed(string c, Rng r) => $$"""
        public sealed class {{c}}FixedPktAddr
        {
            public uint Len;
            public DmaAddr Paddr;
        }

        public sealed class {{c}}FixedWmiOps
        {
            public Func<{{c}}FixedAr, uint, DmaAddr, int>? GenMgmtTxSend;
        }

        public sealed class {{c}}FixedAr
        {
            public PciDevice Dev = null!;
            public {{c}}FixedWmiOps Ops = new();
            public {{c}}FixedPktAddr? Pending;
        }

        public static class {{c}}FixedWmi
        {
            public static void Attach({{c}}FixedAr ar) => ar.Ops.GenMgmtTxSend = OpGenMgmtTxSend;

            private static int OpGenMgmtTxSend({{c}}FixedAr ar, uint len, DmaAddr paddr)
            {
                ar.Pending = new {{c}}FixedPktAddr { Len = len, Paddr = paddr };
                return {{r.Next(0, 1)}};
            }

            public static int MgmtTx({{c}}FixedAr ar, KernelBuffer frame, uint len)
            {
                DmaAddr paddr = Dma.MapSingle(ar.Dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(ar.Dev, paddr))
                {
                    return -12;
                }

                return ar.Ops.GenMgmtTxSend!(ar, len, paddr);
            }

            public static void MgmtTxComp({{c}}FixedAr ar)
            {
                if (ar.Pending is {{c}}FixedPktAddr pkt)
                {
                    Dma.UnmapSingle(ar.Dev, pkt.Paddr, pkt.Len, DmaDirection.ToDevice);
                    ar.Pending = null;
                }
            }
        }
        """;
}
