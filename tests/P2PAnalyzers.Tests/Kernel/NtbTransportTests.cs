namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// ntb_transport (drivers/ntb/ntb_transport.c, v5.3 and later: "NTB: ntb_transport: Ensure qp->tx_mw_dma_addr is
/// initaliazed") sends through the NTB's outbound memory window with a DMA engine. ntb_transport_probe caches each
/// window's CPU address from the hardware driver's peer_mw_get_addr (here drivers/ntb/hw/amd/ntb_hw_amd.c,
/// amd_ntb_peer_mw_get_addr: pci_resource_start of the window's BAR) in nt->mw_vec[i].phys_addr;
/// ntb_transport_init_queue carves the queue's slice (qp->tx_mw_phys = mw_base + qp_offset); and
/// ntb_transport_create_queue maps it for the TX DMA channel's device with dma_map_resource. The DMA engine (IOAT, PTDMA)
/// and the NTB are two PCI functions: peer-to-peer through the NTB's BAR, and the map type is never asked, so below a
/// common switch the engine is handed an IOVA or the CPU address where it needs the bus address. ntb_async_tx_submit
/// then hands tx_mw_dma_addr + offset to device_prep_dma_memcpy, and ntb_transport_free_queue unmaps it.
/// </summary>
public sealed class NtbTransportTests
{
    // include/linux/ntb.h (struct ntb_dev, struct ntb_dev_ops, ntb_peer_mw_get_addr) and
    // drivers/ntb/hw/amd/ntb_hw_amd.c (amd_ntb_peer_mw_get_addr, ndev_mw_to_bar).
    private const string NtbHw = """
        interface INtbDevOps
        {
            int PeerMwGetAddr(NtbDev ntb, int widx, out PhysAddr baseAddr, out ulong size);
        }

        sealed class NtbDev
        {
            public PciDevice Pdev = null!;
            public INtbDevOps Ops = null!;
            public object? Ctx;

            // ntb_peer_mw_get_addr (include/linux/ntb.h)
            public int PeerMwGetAddr(int widx, out PhysAddr baseAddr, out ulong size) =>
                Ops.PeerMwGetAddr(this, widx, out baseAddr, out size);
        }

        sealed class AmdNtbDevData
        {
            public int MwCount;
            public int MwIdx;
        }

        // struct amd_ntb_dev
        sealed class AmdNtbDev : INtbDevOps
        {
            public NtbDev Ntb = new();
            public AmdNtbDevData DevData = new();
            public int MwCount;

            // ndev_mw_to_bar
            private int MwToBar(int idx)
            {
                if (idx < 0 || idx > MwCount)
                {
                    return -22;
                }

                return DevData.MwIdx << idx;
            }

            // amd_ntb_peer_mw_get_addr
            public int PeerMwGetAddr(NtbDev ntb, int idx, out PhysAddr baseAddr, out ulong size)
            {
                baseAddr = default;
                size = 0;
                int bar = MwToBar(idx);
                if (bar < 0)
                {
                    return bar;
                }

                baseAddr = Ntb.Pdev.Bar(bar).CpuStart;
                size = Ntb.Pdev.Bar(bar).Size;
                return 0;
            }
        }
        """;

    // include/linux/dmaengine.h: the parts ntb_transport uses.
    private const string DmaEngine = """
        sealed class DmaAsyncTxDescriptor
        {
            public Action<object?>? CallbackResult;
            public object? CallbackParam;
            public DmaengineUnmapData? Unmap;
        }

        sealed class DmaDevice
        {
            public PciDevice Dev = null!;      // dma_device->dev: the engine, a PCI function (IOAT, PTDMA)
            public Func<DmaChan, DmaAddr, DmaAddr, ulong, DmaAsyncTxDescriptor?> DevicePrepDmaMemcpy = null!;
            public int CopyAlign;
        }

        sealed class DmaChan
        {
            public DmaDevice Device = null!;
        }

        // struct dmaengine_unmap_data, put by dmaengine_unmap_put (drivers/dma/dmaengine.c: dmaengine_unmap)
        sealed class DmaengineUnmapData
        {
            public PciDevice Dev = null!;
            public int ToCnt;
            public ulong Len;
            public DmaAddr[] Addr = new DmaAddr[1];

            public void Put()
            {
                for (int i = 0; i < ToCnt; i++)
                {
                    Dma.UnmapPage(Dev, Addr[i], Len, DmaDirection.ToDevice);
                }
            }
        }

        static class DmaEngine
        {
            public static DmaengineUnmapData GetUnmapData(PciDevice dev, int nr) => new() { Dev = dev, Addr = new DmaAddr[nr] };

            // is_dma_copy_aligned
            public static bool IsDmaCopyAligned(DmaDevice dev, ulong off1, ulong off2, ulong len)
            {
                ulong mask = (1UL << dev.CopyAlign) - 1;
                return ((off1 | off2 | len) & mask) == 0;
            }
        }
        """;

    // drivers/ntb/ntb_transport.c
    private const string Transport = """
        sealed class NtbQueueEntry
        {
            public KernelBuffer Buf = null!;
            public ulong Len;
            public uint TxIndex;
            public NtbTransportQp Qp = null!;
        }

        sealed class NtbTransportQp
        {
            public NtbTransportCtx Transport = null!;
            public NtbDev Ndev = null!;
            public int QpNum;
            public DmaChan? TxDmaChan;
            public DmaChan? RxDmaChan;
            public PhysAddr TxMwPhys;
            public ulong TxMwSize;
            public DmaAddr TxMwDmaAddr;
            public uint TxMaxFrame;
            public uint TxMaxEntry;
            public List<NtbQueueEntry> TxFreeQ = new();
            public List<NtbQueueEntry> RxFreeQ = new();
            public int RxAllocEntry;
            public ulong TxAsync;
        }

        // struct ntb_transport_mw
        sealed class NtbTransportMw
        {
            public PhysAddr PhysAddr;
            public ulong PhysSize;
        }

        sealed class NtbTransportCtx
        {
            public NtbDev Ndev = null!;
            public NtbTransportMw[] MwVec = Array.Empty<NtbTransportMw>();
            public NtbTransportQp[] QpVec = Array.Empty<NtbTransportQp>();
            public int MwCount;
            public int QpCount;
            public ulong QpBitmapFree;
        }

        static class NtbTransport
        {
            public static ulong MaxMwSize;
            public static uint TransportMtu = 0x10000;
            public static bool UseDma;
            const int NtbQpDefNumEntries = 100;

            // ntb_transport_probe: each window's CPU address, from the hardware driver
            public static int Probe(NtbDev ndev, int mwCount)
            {
                var nt = new NtbTransportCtx { Ndev = ndev, MwCount = mwCount };
                nt.MwVec = new NtbTransportMw[mwCount];
                for (int i = 0; i < mwCount; i++)
                {
                    NtbTransportMw mw = nt.MwVec[i] = new NtbTransportMw();
                    int rc = ndev.PeerMwGetAddr(i, out mw.PhysAddr, out mw.PhysSize);
                    if (rc != 0)
                    {
                        return rc;
                    }
                }

                nt.QpCount = mwCount;
                nt.QpVec = new NtbTransportQp[nt.QpCount];
                for (int i = 0; i < nt.QpCount; i++)
                {
                    nt.QpVec[i] = new NtbTransportQp();
                    int rc = InitQueue(nt, i);
                    if (rc != 0)
                    {
                        return rc;
                    }
                }

                nt.QpBitmapFree = (1UL << nt.QpCount) - 1;
                ndev.Ctx = nt;
                return 0;
            }

            // ntb_transport_init_queue: the queue's slice of its window
            static int InitQueue(NtbTransportCtx nt, int qpNum)
            {
                int mwCount = nt.MwCount;
                int qpCount = nt.QpCount;
                int mwNum = qpNum % mwCount;   // QP_TO_MW
                NtbTransportQp qp = nt.QpVec[qpNum];
                qp.QpNum = qpNum;
                qp.Transport = nt;
                qp.Ndev = nt.Ndev;

                int numQpsMw = qpCount % mwCount != 0 && mwNum + 1 < qpCount / mwCount
                    ? qpCount / mwCount + 1
                    : qpCount / mwCount;

                PhysAddr mwBase = nt.MwVec[mwNum].PhysAddr;
                ulong mwSize = nt.MwVec[mwNum].PhysSize;
                if (MaxMwSize != 0 && mwSize > MaxMwSize)
                {
                    mwSize = MaxMwSize;
                }

                uint txSize = (uint)mwSize / (uint)numQpsMw;
                ulong qpOffset = (ulong)txSize * (ulong)(qpNum / mwCount);

                qp.TxMwSize = txSize;
                qp.TxMwPhys = mwBase + qpOffset;
                if (qp.TxMwPhys.Raw == 0)
                {
                    return -22;
                }

                txSize -= 4;   // sizeof(struct ntb_rx_info)
                qp.TxMaxFrame = Math.Min(TransportMtu, txSize / 2);
                qp.TxMaxEntry = txSize / qp.TxMaxFrame;
                return 0;
            }

            // ntb_transport_create_queue
            public static NtbTransportQp? CreateQueue(NtbDev ndev, Func<DmaChan?> dmaRequestChannel, SystemMemory mem)
            {
                var nt = (NtbTransportCtx)ndev.Ctx!;
                int freeQueue = System.Numerics.BitOperations.TrailingZeroCount(nt.QpBitmapFree) + 1;   // ffs
                if (nt.QpBitmapFree == 0)
                {
                    goto err;
                }

                freeQueue--;
                NtbTransportQp qp = nt.QpVec[freeQueue];
                ulong qpBit = 1UL << qp.QpNum;
                nt.QpBitmapFree &= ~qpBit;

                if (UseDma)
                {
                    qp.TxDmaChan = dmaRequestChannel();
                    qp.RxDmaChan = dmaRequestChannel();
                }
                else
                {
                    qp.TxDmaChan = null;
                    qp.RxDmaChan = null;
                }

                qp.TxMwDmaAddr = DmaAddr.FromRaw(0);
                if (qp.TxDmaChan is not null)
                {
                    qp.TxMwDmaAddr = {|P2P0010:Dma.MapResource(qp.TxDmaChan.Device.Dev, qp.TxMwPhys, qp.TxMwSize, DmaDirection.FromDevice, 0)|};
                    if (Dma.MappingError(qp.TxDmaChan.Device.Dev, qp.TxMwDmaAddr))
                    {
                        qp.TxMwDmaAddr = DmaAddr.FromRaw(0);
                        goto err1;
                    }
                }

                for (int i = 0; i < NtbQpDefNumEntries; i++)
                {
                    qp.RxFreeQ.Add(new NtbQueueEntry { Qp = qp });
                }

                qp.RxAllocEntry = NtbQpDefNumEntries;

                for (int i = 0; i < qp.TxMaxEntry; i++)
                {
                    qp.TxFreeQ.Add(new NtbQueueEntry { Qp = qp, Buf = mem.Kmalloc(qp.TxMaxFrame) });
                }

                return qp;

            err1:
                qp.RxAllocEntry = 0;
                qp.RxFreeQ.Clear();
                if (qp.TxMwDmaAddr.Raw != 0)
                {
                    Dma.UnmapResource(qp.TxDmaChan!.Device.Dev, qp.TxMwDmaAddr, qp.TxMwSize, DmaDirection.FromDevice, 0);
                }

                nt.QpBitmapFree |= qpBit;
            err:
                return null;
            }

            // ntb_async_tx_submit: the window slice is the memcpy's destination
            public static int AsyncTxSubmit(NtbTransportQp qp, NtbQueueEntry entry)
            {
                DmaChan chan = qp.TxDmaChan!;
                DmaDevice device = chan.Device;
                ulong len = entry.Len;

                DmaAddr dest = qp.TxMwDmaAddr + (ulong)qp.TxMaxFrame * entry.TxIndex;
                ulong buffOff = entry.Buf.Phys.PageOffset;
                ulong destOff = dest.PageOffset;

                if (!DmaEngine.IsDmaCopyAligned(device, buffOff, destOff, len))
                {
                    return -5;
                }

                DmaengineUnmapData unmap = DmaEngine.GetUnmapData(device.Dev, 1);
                unmap.Len = len;
                unmap.Addr[0] = Dma.MapPage(device.Dev, entry.Buf.Page, buffOff, len, DmaDirection.ToDevice);
                if (Dma.MappingError(device.Dev, unmap.Addr[0]))
                {
                    unmap.Put();
                    return -5;
                }

                unmap.ToCnt = 1;

                DmaAsyncTxDescriptor? txd = device.DevicePrepDmaMemcpy(chan, dest, unmap.Addr[0], len);
                if (txd is null)
                {
                    unmap.Put();
                    return -5;
                }

                txd.CallbackParam = entry;
                txd.Unmap = unmap;
                qp.TxAsync++;
                return 0;
            }

            // ntb_transport_free_queue
            public static void FreeQueue(NtbTransportQp? qp)
            {
                if (qp is null)
                {
                    return;
                }

                if (qp.TxDmaChan is not null)
                {
                    DmaChan chan = qp.TxDmaChan;
                    qp.TxDmaChan = null;
                    Dma.UnmapResource(chan.Device.Dev, qp.TxMwDmaAddr, qp.TxMwSize, DmaDirection.FromDevice, 0);
                }

                qp.RxDmaChan = null;
                qp.Transport.QpBitmapFree |= 1UL << qp.QpNum;
                qp.RxFreeQ.Clear();
                qp.TxFreeQ.Clear();
            }
        }
        """;

    [Fact]
    public Task CreateQueue_DmaMapResourceOfPeerMwPhysCachedAtProbe_Reports() => KernelVerify.RunAsync(NtbHw, DmaEngine, Transport);
}
