namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// mwl8k (drivers/net/wireless/marvell/mwl8k.c, Marvell TOPDOG 802.11 PCI) before "mwl8k: Add missing check after DMA
/// map" (50459501b9a2, Thomas Fourier, 2025, Fixes: 788838ebe8a4 "mwl8k: use pci_unmap_addr{,set}() to keep track of
/// unmap addresses on rx"): rxq_refill maps each new RX skb with dma_map_single, keeps the address in
/// rxq-&gt;buf[rx] (dma_unmap_addr_set) and hands it to the firmware through rxd_ops-&gt;rxd_refill, which writes it
/// into the RX descriptor's pkt_phys_addr; never checked. The RX completion rxq_process and the teardown
/// mwl8k_rxq_deinit unmap it from rxq-&gt;buf[]. The fix adds <c>if (dma_mapping_error(..)) { kfree_skb(skb);
/// break; }</c> (diff read from the stable backports, e.g. 5.4/6.1/6.16 review patches "[ Upstream commit
/// 50459501b9a2... ]"). The before-fix tree is the stored v6.x mwl8k.c (dma_map_single form).
/// Transliterated as the kernel splits it: mwl8k_rxq_init, rxq_refill, mwl8k_rxq_deinit, rxq_process (RX), and the
/// already-checked TX path mwl8k_txq_xmit / mwl8k_txq_reclaim (whose unmap reads the address and length back from the
/// TX descriptor) as context that must draw nothing. The descriptors are dma_alloc_coherent memory the firmware reads:
/// pkt_phys_addr is a DMA address sink. rxd_ops is the driver's function-pointer table (the STA firmware's ops), kept
/// as delegate fields; the descriptor is passed as <c>void *</c> (object) as in C. 802.11 header handling is reduced
/// to the helper calls that touch no DMA state.
/// </summary>
public sealed class Mwl8kTests
{
    internal const string Types = """
        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong Data;
            public uint Len;
            public bool Protected;
        }

        // struct mwl8k_rxd_sta
        sealed class Mwl8kRxdSta
        {
            public ushort PktLen;
            [DmaAddress] public uint PktPhysAddr;
            public uint NextRxdPhysAddr;
            public byte RxCtrl;
        }

        // struct mwl8k_tx_desc
        sealed class Mwl8kTxDesc
        {
            public uint Status;
            public byte DataRate;
            public byte TxPriority;
            public ushort QosControl;
            [DmaAddress] public uint PktPhysAddr;
            public ushort PktLen;
            public uint NextTxdPhysAddr;
            public uint Timestamp;
            public ushort RateInfo;
            public byte PeerId;
        }

        // struct rxd_ops
        sealed class RxdOps
        {
            public int RxdSize;
            public Action<object, DmaAddr> RxdInit = null!;
            public Action<object, DmaAddr, int> RxdRefill = null!;
            public Func<object, int> RxdProcess = null!;
        }

        // struct mwl8k_rx_queue's buf[]: { skb; DEFINE_DMA_UNMAP_ADDR(dma); }
        sealed class Mwl8kRxBuf
        {
            public SkBuff? Skb;
            public DmaAddr Dma;
        }

        // struct mwl8k_rx_queue
        sealed class Mwl8kRxQueue
        {
            public int RxdCount;
            public int Head;
            public int Tail;
            public KernelBuffer? RxdMem;
            public object[]? Rxd;
            public DmaAddr RxdDma;
            public Mwl8kRxBuf[]? Buf;
        }

        // struct mwl8k_tx_queue
        sealed class Mwl8kTxQueue
        {
            public int Len;
            public int Head;
            public int Tail;
            public Mwl8kTxDesc[]? Txd;
            public DmaAddr TxdDma;
            public SkBuff?[]? Skb;
        }

        sealed class Mwl8kAmpduStream
        {
            public int State;
        }

        // struct mwl8k_priv
        sealed class Mwl8kPriv
        {
            public PciDevice Pdev = null!;   // &priv->pdev->dev
            public SystemMemory Mem = null!;
            public RxdOps RxdOps = null!;
            public Mwl8kRxQueue[] Rxq = new Mwl8kRxQueue[1];
            public Mwl8kTxQueue[] Txq = new Mwl8kTxQueue[8];
            public object TxLock = new();
            public object StreamLock = new();
            public int PendingTxPkts;
            public bool ApFw;
            public sbyte Noise;
        }

        static partial class Mwl8k
        {
            const int ENOMEM = 12;
            const int Mwl8kRxDescs = 256;
            const int Mwl8kRxMaxsz = 3800;
            const int Mwl8kTxDescs = 128;
            const uint Mwl8kTxdStatusFwOwned = 0x80000000;
            const byte Mwl8kStaRxCtrlOwnedByHost = 0x02;

            static SkBuff? DevAllocSkb(Mwl8kPriv priv, uint len) =>
                len == 0 ? null : new SkBuff { Head = priv.Mem.Kmalloc(len) };

            static void KfreeSkb(SkBuff skb) => skb.Len = 0;
            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
            static void SkbPut(SkBuff skb, int len) => skb.Len += (uint)len;
            static void Ieee80211RxIrqsafe(Mwl8kPriv priv, SkBuff skb) { }
            static void Ieee80211TxStatusIrqsafe(Mwl8kPriv priv, SkBuff skb) { }
            static void Mwl8kRemoveDmaHeader(SkBuff skb, ushort qos) { }
            static void Mwl8kAddDmaHeader(Mwl8kPriv priv, SkBuff skb) => skb.Len += 32;
            static void Mwl8kTxStart(Mwl8kPriv priv) { }
            static void Mwl8kRemoveStream(Mwl8kPriv priv, Mwl8kAmpduStream? stream) { if (stream != null) stream.State = 0; }
            static void WiphyErr(Mwl8kPriv priv, string msg) { }

            // mwl8k_rxd_sta_init
            static void Mwl8kRxdStaInit(object _rxd, DmaAddr nextDmaAddr)
            {
                Mwl8kRxdSta rxd = (Mwl8kRxdSta)_rxd;

                rxd.NextRxdPhysAddr = (uint)nextDmaAddr.Raw;
                rxd.RxCtrl = Mwl8kStaRxCtrlOwnedByHost;
            }

            // mwl8k_rxd_sta_refill
            static void Mwl8kRxdStaRefill(object _rxd, DmaAddr addr, int len)
            {
                Mwl8kRxdSta rxd = (Mwl8kRxdSta)_rxd;

                rxd.PktLen = (ushort)len;
                rxd.PktPhysAddr = (uint)addr.Raw;  // cpu_to_le32(addr)
                rxd.RxCtrl = 0;
            }

            // mwl8k_rxd_sta_process (the status decoding reduced to the ownership test and the length)
            static int Mwl8kRxdStaProcess(object _rxd)
            {
                Mwl8kRxdSta rxd = (Mwl8kRxdSta)_rxd;

                if ((rxd.RxCtrl & Mwl8kStaRxCtrlOwnedByHost) == 0)
                    return -1;

                return rxd.PktLen;
            }

            static readonly RxdOps RxdStaOps = new RxdOps
            {
                RxdSize = 32,
                RxdInit = Mwl8kRxdStaInit,
                RxdRefill = Mwl8kRxdStaRefill,
                RxdProcess = Mwl8kRxdStaProcess,
            };
        }
        """;

    // mwl8k_rxq_init, mwl8k_rxq_deinit, rxq_process, mwl8k_txq_reclaim, mwl8k_txq_xmit (unchanged by the fix).
    internal const string RxTx = """
        static partial class Mwl8k
        {
            // mwl8k_rxq_init
            static int Mwl8kRxqInit(Mwl8kPriv priv, int index)
            {
                Mwl8kRxQueue rxq = priv.Rxq[index];
                int size;
                int i;

                rxq.RxdCount = 0;
                rxq.Head = 0;
                rxq.Tail = 0;

                size = Mwl8kRxDescs * priv.RxdOps.RxdSize;

                rxq.RxdMem = Dma.AllocCoherent(priv.Pdev, (ulong)size, out rxq.RxdDma);
                if (rxq.RxdMem == null)
                {
                    WiphyErr(priv, "failed to alloc RX descriptors");
                    return -ENOMEM;
                }
                rxq.Rxd = new object[Mwl8kRxDescs];
                for (i = 0; i < Mwl8kRxDescs; i++)
                    rxq.Rxd[i] = new Mwl8kRxdSta();

                rxq.Buf = new Mwl8kRxBuf[Mwl8kRxDescs];  // kcalloc
                for (i = 0; i < Mwl8kRxDescs; i++)
                    rxq.Buf[i] = new Mwl8kRxBuf();

                for (i = 0; i < Mwl8kRxDescs; i++)
                {
                    int descSize;
                    object rxd;
                    int nexti;
                    DmaAddr nextDmaAddr;

                    descSize = priv.RxdOps.RxdSize;
                    rxd = rxq.Rxd[i];

                    nexti = i + 1;
                    if (nexti == Mwl8kRxDescs)
                        nexti = 0;
                    nextDmaAddr = rxq.RxdDma + (ulong)(nexti * descSize);

                    priv.RxdOps.RxdInit(rxd, nextDmaAddr);
                }

                return 0;
            }

            /* Must be called only when the card's reception is completely halted */
            // mwl8k_rxq_deinit
            static void Mwl8kRxqDeinit(Mwl8kPriv priv, int index)
            {
                Mwl8kRxQueue rxq = priv.Rxq[index];
                int i;

                if (rxq.Rxd == null)
                    return;

                for (i = 0; i < Mwl8kRxDescs; i++)
                {
                    if (rxq.Buf![i].Skb != null)
                    {
                        Dma.UnmapSingle(priv.Pdev, rxq.Buf[i].Dma, Mwl8kRxMaxsz, DmaDirection.FromDevice);
                        rxq.Buf[i].Dma = default;  // dma_unmap_addr_set(&rxq->buf[i], dma, 0)

                        KfreeSkb(rxq.Buf[i].Skb!);
                        rxq.Buf[i].Skb = null;
                    }
                }

                rxq.Buf = null;

                Dma.FreeCoherent(priv.Pdev, (ulong)(Mwl8kRxDescs * priv.RxdOps.RxdSize), rxq.RxdMem!, rxq.RxdDma);
                rxq.Rxd = null;
            }

            // rxq_process (the RX completion, from the interrupt tasklet)
            static int RxqProcess(Mwl8kPriv priv, int index, int limit)
            {
                Mwl8kRxQueue rxq = priv.Rxq[index];
                int processed;

                processed = 0;
                while (rxq.RxdCount != 0 && limit-- != 0)
                {
                    SkBuff? skb;
                    object rxd;
                    int pktLen;

                    skb = rxq.Buf![rxq.Head].Skb;
                    if (skb == null)
                        break;

                    rxd = rxq.Rxd![rxq.Head];

                    pktLen = priv.RxdOps.RxdProcess(rxd);
                    if (pktLen < 0)
                        break;

                    rxq.Buf[rxq.Head].Skb = null;

                    Dma.UnmapSingle(priv.Pdev, rxq.Buf[rxq.Head].Dma, Mwl8kRxMaxsz, DmaDirection.FromDevice);
                    rxq.Buf[rxq.Head].Dma = default;

                    rxq.Head++;
                    if (rxq.Head == Mwl8kRxDescs)
                        rxq.Head = 0;

                    rxq.RxdCount--;

                    SkbPut(skb, pktLen);
                    Mwl8kRemoveDmaHeader(skb, 0);
                    Ieee80211RxIrqsafe(priv, skb);

                    processed++;
                }

                return processed;
            }

            // mwl8k_txq_reclaim (the TX completion)
            static int Mwl8kTxqReclaim(Mwl8kPriv priv, int index, int limit, int force)
            {
                Mwl8kTxQueue txq = priv.Txq[index];
                int processed;

                processed = 0;
                while (txq.Len > 0 && limit-- != 0)
                {
                    int tx;
                    Mwl8kTxDesc txDesc;
                    DmaAddr addr;
                    int size;
                    SkBuff? skb;
                    uint status;

                    tx = txq.Head;
                    txDesc = txq.Txd![tx];

                    status = txDesc.Status;

                    if ((status & Mwl8kTxdStatusFwOwned) != 0)
                    {
                        if (force == 0)
                            break;
                        txDesc.Status &= ~Mwl8kTxdStatusFwOwned;
                    }

                    txq.Head = (tx + 1) % Mwl8kTxDescs;
                    txq.Len--;
                    priv.PendingTxPkts--;

                    addr = DmaAddr.FromRaw(txDesc.PktPhysAddr);
                    size = txDesc.PktLen;
                    skb = txq.Skb![tx];
                    txq.Skb[tx] = null;

                    Dma.UnmapSingle(priv.Pdev, addr, (ulong)size, DmaDirection.ToDevice);

                    Mwl8kRemoveDmaHeader(skb!, txDesc.QosControl);

                    /* Mark descriptor as unused */
                    txDesc.PktPhysAddr = 0;
                    txDesc.PktLen = 0;

                    Ieee80211TxStatusIrqsafe(priv, skb!);

                    processed++;
                }

                return processed;
            }

            // mwl8k_txq_xmit (the 802.11 classification reduced to the A-MPDU session flag it computes)
            static void Mwl8kTxqXmit(Mwl8kPriv priv, int index, SkBuff skb, bool mgmtframe, Mwl8kAmpduStream? stream, bool startBaSession)
            {
                Mwl8kTxQueue txq;
                Mwl8kTxDesc tx;
                DmaAddr dma;

                Mwl8kAddDmaHeader(priv, skb);

                dma = Dma.MapSingle(priv.Pdev, skb.Head, skb.Data, skb.Len, DmaDirection.ToDevice);

                if (Dma.MappingError(priv.Pdev, dma))
                {
                    if (startBaSession)
                    {
                        System.Threading.Monitor.Enter(priv.StreamLock);
                        Mwl8kRemoveStream(priv, stream);
                        System.Threading.Monitor.Exit(priv.StreamLock);
                    }
                    DevKfreeSkb(skb);
                    return;
                }

                System.Threading.Monitor.Enter(priv.TxLock);  // spin_lock_bh

                txq = priv.Txq[index];

                if (txq.Len >= Mwl8kTxDescs - 2)
                {
                    if (!mgmtframe || txq.Len == Mwl8kTxDescs)
                    {
                        if (startBaSession)
                        {
                            System.Threading.Monitor.Enter(priv.StreamLock);
                            Mwl8kRemoveStream(priv, stream);
                            System.Threading.Monitor.Exit(priv.StreamLock);
                        }
                        Mwl8kTxStart(priv);
                        System.Threading.Monitor.Exit(priv.TxLock);
                        Dma.UnmapSingle(priv.Pdev, dma, skb.Len, DmaDirection.ToDevice);
                        DevKfreeSkb(skb);
                        return;
                    }
                }

                txq.Skb![txq.Tail] = skb;

                tx = txq.Txd![txq.Tail];
                tx.DataRate = 0;
                tx.TxPriority = (byte)index;
                tx.QosControl = 0;
                tx.PktPhysAddr = (uint)dma.Raw;  // cpu_to_le32(dma)
                tx.PktLen = (ushort)skb.Len;
                tx.RateInfo = 0;
                tx.PeerId = 0;
                tx.Timestamp = 0;

                tx.Status = Mwl8kTxdStatusFwOwned;

                txq.Len++;
                priv.PendingTxPkts++;

                txq.Tail++;
                if (txq.Tail == Mwl8kTxDescs)
                    txq.Tail = 0;

                Mwl8kTxStart(priv);

                System.Threading.Monitor.Exit(priv.TxLock);
            }
        }
        """;

    // rxq_refill before 50459501b9a2.
    internal const string RefillBeforeFix = """
        static partial class Mwl8k
        {
            // rxq_refill
            static int RxqRefill(Mwl8kPriv priv, int index, int limit)
            {
                Mwl8kRxQueue rxq = priv.Rxq[index];
                int refilled = 0;

                while (rxq.RxdCount < Mwl8kRxDescs && limit-- != 0)
                {
                    SkBuff? skb;
                    DmaAddr addr;
                    int rx;
                    object rxd;

                    skb = DevAllocSkb(priv, Mwl8kRxMaxsz);
                    if (skb == null)
                        break;

                    addr = {|P2P0020:Dma.MapSingle(priv.Pdev, skb.Head, skb.Data, Mwl8kRxMaxsz, DmaDirection.FromDevice)|};

                    rxq.RxdCount++;
                    rx = rxq.Tail++;
                    if (rxq.Tail == Mwl8kRxDescs)
                        rxq.Tail = 0;
                    rxq.Buf![rx].Skb = skb;
                    rxq.Buf[rx].Dma = addr;  // dma_unmap_addr_set(&rxq->buf[rx], dma, addr)

                    rxd = rxq.Rxd![rx];
                    priv.RxdOps.RxdRefill(rxd, addr, Mwl8kRxMaxsz);

                    refilled++;
                }

                return refilled;
            }
        }
        """;

    internal static readonly string RefillFixed = RefillBeforeFix.Replace(
        """
                    addr = {|P2P0020:Dma.MapSingle(priv.Pdev, skb.Head, skb.Data, Mwl8kRxMaxsz, DmaDirection.FromDevice)|};

        """,
        """
                    addr = Dma.MapSingle(priv.Pdev, skb.Head, skb.Data, Mwl8kRxMaxsz, DmaDirection.FromDevice);
                    if (Dma.MappingError(priv.Pdev, addr))
                    {
                        KfreeSkb(skb);
                        break;
                    }

        """);

    [Fact]
    public Task Mwl8k_BeforeFix_RxqRefillMapUnchecked() =>
        KernelVerify.RunAsync(Types, RxTx, RefillBeforeFix);

    // The P2P0020 fix offered at rxq_refill's map, applied (UnitFixHarness: sound = compiles, the diagnostic gone, no
    // new P2P diagnostic). Per docs/rules/P2P0020.md the skb NULL test right before the map ends in `break`, so the
    // check should do the same; the kernel's fix also frees the skb first (kfree_skb), which the page says is left to
    // the user. The fixed rxq_refill is written to the test output.
    [Fact]
    public async Task Mwl8k_BeforeFix_P2P0020Fix_BreaksLikeTheAllocationFailure()
    {
        string[] after = await P2PAnalyzers.Tests.Fixes.UnitFixHarness.ApplySoundAsync(
            new P2PAnalyzers.CodeFixes.Fixes.P2P0020MappingErrorNotCheckedCodeFix(), "P2P0020", "Mwl8kRxMaxsz", Types, RxTx, RefillBeforeFix);
        string refill = after[2];
        // As applied: `DmaAddr dmaAddress = Dma.MapSingle(..); if (Dma.MappingError(priv.Pdev, dmaAddress)) { break; }
        // addr = dmaAddress;` -- the kernel's control flow, without its kfree_skb(skb) (the skb leaks; the page says so).
        Assert.Contains("if (Dma.MappingError(priv.Pdev, dmaAddress))", refill);
        int check = refill.IndexOf("if (Dma.MappingError(priv.Pdev, dmaAddress))", System.StringComparison.Ordinal);
        int store = refill.IndexOf("rxq.RxdCount++;", System.StringComparison.Ordinal);
        Assert.True(check < store, refill);
        Assert.Contains("break;", refill.Substring(check, store - check));
        Assert.DoesNotContain("KfreeSkb", refill.Substring(check, store - check));
    }

    [Fact]
    public Task Mwl8k_AsFixed_NoDiagnostic()
    {
        Assert.Contains("if (Dma.MappingError(priv.Pdev, addr))", RefillFixed);
        Assert.DoesNotContain("{|", RefillFixed);
        return KernelVerify.RunAsync(Types, RxTx, RefillFixed);
    }
}
