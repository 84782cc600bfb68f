namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// e100 (drivers/net/ethernet/intel/e100.c, mainline v6.x, written from the mainline text), correct code: the command
/// blocks come from a dma_pool (e100_alloc_cbs: dma_pool_zalloc, each cb's dma_addr and link computed from
/// nic->cbs_dma_addr; e100_clean_cbs: dma_pool_free); e100_xmit_prepare maps the skb with dma_map_single, returns
/// -ENOMEM when dma_mapping_error, and writes the address into the TBD inside the pool block; e100_tx_clean and
/// e100_clean_cbs unmap the address read back from that TBD (le32_to_cpu(cb->u.tcb.tbd.buf_addr)); e100_rx_alloc_skb
/// maps the RFD buffer DMA_BIDIRECTIONAL, checks it, links it and syncs the previous RFD for the device;
/// e100_rx_indicate syncs for the CPU, syncs back (DMA_FROM_DEVICE on a bidirectional mapping, which
/// kernel/dma/debug.c check_sync accepts) or unmaps; e100_rx_clean_list unmaps what is left. No diagnostic is expected.
/// </summary>
public sealed class CorrectE100Tests
{
    internal const string Types = """
        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong DataOffset;
            public uint Len;
            public bool NoFcs;
        }

        // struct tbd
        sealed class Tbd
        {
            [DmaAddress] public uint BufAddr;
            public ushort Size;
        }

        // struct cb (lives in nic->cbs_pool memory)
        sealed class Cb
        {
            public ushort Status;
            public ushort Command;
            [DmaAddress] public uint Link;
            [DmaAddress] public uint TbdArray;   // u.tcb.tbd_array
            public ushort TcbByteCount;
            public byte Threshold;
            public byte TbdCount;
            public Tbd Tbd = new();              // u.tcb.tbd
            public Cb Next = null!, Prev = null!;
            public DmaAddr DmaAddr;
            public SkBuff? Skb;
        }

        // struct rfd (at the head of each RX skb)
        sealed class Rfd
        {
            public ushort Status;
            public ushort Command;
            [DmaAddress] public uint Link;
            public ushort ActualSize;
            public ushort Size;
        }

        // struct rx
        sealed class Rx
        {
            public Rx Next = null!, Prev = null!;
            public SkBuff? Skb;
            public DmaAddr DmaAddr;
            public Rfd? RfdView;  // (struct rfd *)rx->skb->data
        }

        // struct nic
        sealed class Nic
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public DmaPool CbsPool = null!;
            public KernelBuffer? CbsBlock;
            public Cb[]? Cbs;
            public DmaAddr CbsDmaAddr;
            public Cb CbToUse = null!, CbToSend = null!, CbToClean = null!;
            public int CbsAvail;
            public uint CbsCount;           // nic->params.cbs.count
            public ushort TxCommand;
            public byte TxThreshold;
            public Rx[]? Rxs;
            public Rx? RxToUse, RxToClean;
            public uint RfdsCount;          // nic->params.rfds.count
            public int RuRunning;
            public ulong TxPackets, TxBytes, RxPackets, RxBytes;
        }

        static partial class E100
        {
            public const int Enomem = 12, Enodata = 61;
            public const ushort CbComplete = 0x8000, CbI = 0x2000, CbEl = 0x8000, CbTxNc = 0x0010;
            public const uint SizeofCb = 64, SizeofRfd = 16, OffsetofTbd = 16;
            public const uint RfdBufLen = 16 + 1518;  // sizeof(struct rfd) + VLAN_ETH_FRAME_LEN + ETH_FCS_LEN
            public const int RuSuspended = 0, RuRunning = 1, RuUninitialized = -1;

            public static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;

            public static SkBuff? NetdevAllocSkbIpAlign(Nic nic, uint len) =>
                len == 0 ? null : new SkBuff { Head = nic.Mem.Kmalloc(len + 2), DataOffset = 2, Len = len };
        }
        """;

    // e100_alloc_cbs, e100_xmit_prepare, e100_rx_alloc_skb
    internal const string Submit = """
        static partial class E100
        {
            public static int AllocCbs(Nic nic)
            {
                uint i, count = nic.CbsCount;

                nic.CbToUse = nic.CbToSend = nic.CbToClean = null!;
                nic.CbsAvail = 0;

                // nic->cbs = dma_pool_zalloc(nic->cbs_pool, GFP_KERNEL, &nic->cbs_dma_addr);
                nic.CbsBlock = nic.CbsPool.Alloc(out nic.CbsDmaAddr);
                if (nic.CbsBlock == null)
                {
                    return -Enomem;
                }

                Cb[] cbs = new Cb[count];
                for (i = 0; i < count; i++)
                {
                    cbs[i] = new Cb();
                }

                nic.Cbs = cbs;
                for (i = 0; i < count; i++)
                {
                    Cb cb = cbs[i];
                    cb.Next = (i + 1 < count) ? cbs[i + 1] : cbs[0];
                    cb.Prev = (i == 0) ? cbs[count - 1] : cbs[i - 1];

                    cb.DmaAddr = nic.CbsDmaAddr + i * SizeofCb;
                    cb.Link = (uint)(nic.CbsDmaAddr + ((i + 1) % count) * SizeofCb).Raw;
                }

                nic.CbToUse = nic.CbToSend = nic.CbToClean = cbs[0];
                nic.CbsAvail = (int)count;

                return 0;
            }

            public static int XmitPrepare(Nic nic, Cb cb, SkBuff skb)
            {
                DmaAddr dmaAddr;
                cb.Command = nic.TxCommand;

                dmaAddr = Dma.MapSingle(nic.Pdev, skb.Head, skb.DataOffset, skb.Len, DmaDirection.ToDevice);
                // If we can't map the skb, have the upper layer try later
                if (Dma.MappingError(nic.Pdev, dmaAddr))
                {
                    return -Enomem;
                }

                // Use the last 4 bytes of the SKB payload packet as the CRC, used for testing.
                if (skb.NoFcs)
                {
                    cb.Command |= CbTxNc;
                }
                else
                {
                    cb.Command &= unchecked((ushort)~CbTxNc);
                }

                // interrupt every 16 packets regardless of delay
                if ((nic.CbsAvail & ~15) == nic.CbsAvail)
                {
                    cb.Command |= CbI;
                }

                cb.TbdArray = (uint)(cb.DmaAddr + OffsetofTbd).Raw;
                cb.TcbByteCount = 0;
                cb.Threshold = nic.TxThreshold;
                cb.TbdCount = 1;
                cb.Tbd.BufAddr = (uint)dmaAddr.Raw;  // cpu_to_le32(dma_addr)
                cb.Tbd.Size = (ushort)skb.Len;
                return 0;
            }

            // e100_exec_cb(nic, skb, e100_xmit_prepare), the part that matters here
            public static int ExecCb(Nic nic, SkBuff skb)
            {
                Cb cb;
                int err;

                if (nic.CbsAvail == 0)
                {
                    return -Enomem;
                }

                cb = nic.CbToUse;
                nic.CbToUse = cb.Next;
                nic.CbsAvail--;
                cb.Skb = skb;

                err = XmitPrepare(nic, cb, skb);
                if (err != 0)
                {
                    goto err_unlock;
                }

                if (nic.CbsAvail == 0)
                {
                    err = -28;  // -ENOSPC
                }

                // Order is important otherwise we'll be in a race with h/w:
                // set S-bit in current first, then clear S-bit in previous.
                cb.Command |= CbI;
                cb.Prev.Command &= unchecked((ushort)~CbI);

            err_unlock:
                return err;
            }

            public static int RxAllocSkb(Nic nic, Rx rx)
            {
                if ((rx.Skb = NetdevAllocSkbIpAlign(nic, RfdBufLen)) == null)
                {
                    return -Enomem;
                }

                // Init, and map the RFD.
                rx.RfdView = new Rfd();  // skb_copy_to_linear_data(rx->skb, &nic->blank_rfd, sizeof(struct rfd))
                rx.DmaAddr = Dma.MapSingle(nic.Pdev, rx.Skb.Head, rx.Skb.DataOffset, RfdBufLen, DmaDirection.Bidirectional);

                if (Dma.MappingError(nic.Pdev, rx.DmaAddr))
                {
                    DevKfreeSkbAny(rx.Skb);
                    rx.Skb = null;
                    rx.DmaAddr = default;
                    return -Enomem;
                }

                // Link the RFD to end of RFA by linking previous RFD to this one. We are safe to touch the previous
                // RFD because it is protected by the before last buffer's el bit being set
                if (rx.Prev.Skb != null)
                {
                    Rfd prevRfd = rx.Prev.RfdView!;
                    prevRfd.Link = (uint)rx.DmaAddr.Raw;  // put_unaligned_le32(rx->dma_addr, &prev_rfd->link)
                    Dma.SyncSingleForDevice(nic.Pdev, rx.Prev.DmaAddr, SizeofRfd, DmaDirection.Bidirectional);
                }

                return 0;
            }
        }
        """;

    // e100_tx_clean, e100_clean_cbs, e100_rx_indicate, e100_rx_clean_list
    internal const string Clean = """
        static partial class E100
        {
            public static int TxClean(Nic nic)
            {
                Cb cb;
                int txCleaned = 0;

                for (cb = nic.CbToClean; (cb.Status & CbComplete) != 0; cb = nic.CbToClean = cb.Next)
                {
                    // dma_rmb(); read skb after status
                    if (cb.Skb != null)
                    {
                        nic.TxPackets++;
                        nic.TxBytes += cb.Skb.Len;

                        Dma.UnmapSingle(nic.Pdev, DmaAddr.FromRaw(cb.Tbd.BufAddr), cb.Tbd.Size, DmaDirection.ToDevice);
                        DevKfreeSkbAny(cb.Skb);
                        cb.Skb = null;
                        txCleaned = 1;
                    }

                    cb.Status = 0;
                    nic.CbsAvail++;
                }

                return txCleaned;
            }

            public static void CleanCbs(Nic nic)
            {
                if (nic.Cbs != null)
                {
                    while (nic.CbsAvail != nic.CbsCount)
                    {
                        Cb cb = nic.CbToClean;
                        if (cb.Skb != null)
                        {
                            Dma.UnmapSingle(nic.Pdev, DmaAddr.FromRaw(cb.Tbd.BufAddr), cb.Tbd.Size, DmaDirection.ToDevice);
                            DevKfreeSkbAny(cb.Skb);
                        }

                        nic.CbToClean = nic.CbToClean.Next;
                        nic.CbsAvail++;
                    }

                    nic.CbsPool.Free(nic.CbsBlock!, nic.CbsDmaAddr);
                    nic.Cbs = null;
                    nic.CbsBlock = null;
                    nic.CbsAvail = 0;
                }

                nic.CbToUse = nic.CbToSend = nic.CbToClean = null!;
            }

            public static int RxIndicate(Nic nic, Rx rx, ref uint workDone, uint workToDo)
            {
                SkBuff skb = rx.Skb!;
                Rfd rfd = rx.RfdView!;
                ushort rfdStatus, actualSize;

                if (workDone >= workToDo)
                {
                    return -Enodata;
                }

                // Need to sync before taking a peek at cb_complete bit
                Dma.SyncSingleForCpu(nic.Pdev, rx.DmaAddr, SizeofRfd, DmaDirection.Bidirectional);
                rfdStatus = rfd.Status;

                // If data isn't ready, nothing to indicate
                if ((rfdStatus & CbComplete) == 0)
                {
                    // If the next buffer has the el bit, but we think the receiver is still running, check to see
                    // if it really stopped while we had interrupts off.
                    if ((rfd.Command & CbEl) != 0 && nic.RuRunning == RuRunning)
                    {
                        nic.RuRunning = RuSuspended;
                    }

                    Dma.SyncSingleForDevice(nic.Pdev, rx.DmaAddr, SizeofRfd, DmaDirection.FromDevice);
                    return -Enodata;
                }

                // Get actual data size
                actualSize = (ushort)(rfd.ActualSize & 0x3FFF);
                if (actualSize > RfdBufLen - SizeofRfd)
                {
                    actualSize = (ushort)(RfdBufLen - SizeofRfd);
                }

                // Get data
                Dma.UnmapSingle(nic.Pdev, rx.DmaAddr, RfdBufLen, DmaDirection.Bidirectional);

                // If this buffer has the el bit, but we think the receiver is still running, check to see if it
                // really stopped while we had interrupts off.
                if ((rfd.Command & CbEl) != 0 && nic.RuRunning == RuRunning)
                {
                    nic.RuRunning = RuSuspended;
                }

                // Pull off the RFD and put the actual data (minus eth hdr)
                skb.Len = actualSize;  // skb_reserve(skb, sizeof(struct rfd)); skb_put(skb, actual_size);

                workDone++;
                nic.RxPackets++;
                nic.RxBytes += actualSize;
                // netif_receive_skb(skb);

                rx.Skb = null;

                return 0;
            }

            public static void RxCleanList(Nic nic)
            {
                uint i, count = nic.RfdsCount;

                nic.RuRunning = RuUninitialized;

                if (nic.Rxs != null)
                {
                    for (i = 0; i < count; i++)
                    {
                        Rx rx = nic.Rxs[i];
                        if (rx.Skb != null)
                        {
                            Dma.UnmapSingle(nic.Pdev, rx.DmaAddr, RfdBufLen, DmaDirection.Bidirectional);
                            DevKfreeSkbAny(rx.Skb);
                        }
                    }

                    nic.Rxs = null;
                }

                nic.RxToUse = nic.RxToClean = null;
            }
        }
        """;

    [Fact]
    public Task E100_CbsPool_XmitPrepare_TxClean_RxAlloc_NoDiagnostic() => KernelVerify.RunAsync(Types, Submit, Clean);
}
