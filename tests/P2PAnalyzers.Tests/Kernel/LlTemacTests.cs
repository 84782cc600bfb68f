namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// ll_temac (drivers/net/ethernet/xilinx/ll_temac_main.c, Xilinx LocalLink TEMAC) before "net: ll_temac: Add more error
/// handling of dma_map_single() calls" (d07c849cd2b9, Esben Haabendal, 2020, Fixes: 92744989533c "net: add Xilinx
/// ll_temac device driver"): temac_dma_bd_init maps every RX skb with dma_map_single and writes the address into the RX
/// buffer descriptor (<c>lp-&gt;rx_bd_v[i].phys = cpu_to_be32(skb_dma_addr)</c>) unchecked; temac_start_xmit maps the
/// skb head and each fragment the same way into the TX descriptors. The completion temac_start_xmit_done and the
/// teardown temac_dma_bd_release unmap the address read back from the descriptor. The fix checks each mapping:
/// bd_init jumps to its <c>out:</c> (temac_dma_bd_release, -ENOMEM); the xmit drops the packet, unwinding the
/// fragments already mapped (the merged v3 frees the skb, counts tx_dropped and returns NETDEV_TX_OK; v1/v2 returned
/// NETDEV_TX_BUSY; the v3 drop shape is taken from the series' changelog, not read in the merged diff).
/// Transliterated from the tree of early 2020 (TX_BD_NUM/RX_BD_NUM constants, after "Fix race condition causing TX
/// hang", the series' first patch). The descriptor ring is dma_alloc_coherent memory the DMA engine walks, so its
/// <c>phys</c> is declared a DMA address sink; cpu_to_be32 is written as the cast it is on the big-endian PowerPC and
/// MicroBlaze hosts. lp-&gt;dma_out is the driver's function pointer (DCR or MMIO), kept as a delegate field.
/// Not fixed by this commit and not marked: after the fix, bd_init's <c>goto out</c> on a failed RX mapping leaves
/// rx_skb[i] set, so temac_dma_bd_release unmaps rx_bd_v[i].phys, which was never written for that slot (fixed in
/// 2023 by "net: ll_temac: Reset buffer on dma_map_single() errors"); P2P0023 follows the address's own storage, and
/// the failed address never reached rx_bd_v[i].phys, so that is outside the rule as documented.
/// </summary>
public sealed class LlTemacTests
{
    // ll_temac.h: struct cdmac_bd, struct temac_local, and the skb.
    internal const string Header = """
        sealed class SkbFrag
        {
            public KernelBuffer Page = null!;
            public ulong Offset;
            public uint Size;
        }

        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong DataOffset;
            public uint Len;
            public uint DataLen;
            public SkbFrag[] Frags = Array.Empty<SkbFrag>();
            public int NrFrags;
            public bool ChecksumPartial;
            public uint CsumStartOff;
            public uint CsumOffset;
        }

        sealed class NetDeviceStats
        {
            public ulong TxPackets, TxBytes, TxDropped;
        }

        // struct cdmac_bd: a LocalLink DMA buffer descriptor, in the coherent ring the engine walks
        sealed class CdmacBd
        {
            public const uint SizeOf = 32;

            public uint Next;   /* Physical address of next buffer descriptor */
            [DmaAddress] public uint Phys;
            public uint Len;
            public uint App0;
            public uint App1;   /* TX start << 16 | insert */
            public uint App2;   /* TX csum seed */
            public uint App3;
            public uint App4;
            public object? Ptr; /* ptr_to_txbd() keeps the skb in app3/app4 */
        }

        // struct temac_local
        sealed class TemacLocal
        {
            public const int TxBdNum = 64;
            public const int RxBdNum = 128;

            public PciDevice Dev = null!;    // ndev->dev.parent
            public SystemMemory Mem = null!;
            public NetDeviceStats Stats = new();  // ndev->stats
            public bool QueueStopped;

            public Action<TemacLocal, int, uint> DmaOut = null!;   // lp->dma_out

            public SkBuff?[] RxSkb = null!;
            public KernelBuffer? TxBdMem;
            public KernelBuffer? RxBdMem;
            public CdmacBd[]? TxBdV;
            public DmaAddr TxBdP;
            public CdmacBd[]? RxBdV;
            public DmaAddr RxBdP;
            public int TxBdCi;
            public int TxBdNext;
            public int TxBdTail;
            public int RxBdCi;
            public int RxBdTail;

            public uint TxChnlCtrl;
            public uint RxChnlCtrl;
        }

        static partial class LlTemac
        {
            const int ENOMEM = 12;
            const int NetdevTxOk = 0;
            const int NetdevTxBusy = 16;
            const int XteMaxJumboFrameSize = 9018;

            // DMA registers and bits
            const int TxCurdescPtr = 0x01, TxTaildescPtr = 0x02, TxChnlCtrl = 0x03;
            const int RxCurdescPtr = 0x09, RxTaildescPtr = 0x0a, RxChnlCtrl = 0x0b;
            const int DmaControlReg = 0x10;
            const uint DmaControlRst = 1u << 0;
            const uint ChnlCtrlIrqIoe = 1u << 9, ChnlCtrlIrqEn = 1u << 0, ChnlCtrlIrqErrEn = 1u << 2;
            const uint ChnlCtrlIrqDlyEn = 1u << 1, ChnlCtrlIrqCoalEn = 1u << 3;
            const uint StsCtrlApp0Sop = 1u << 27, StsCtrlApp0Eop = 1u << 28, StsCtrlApp0Cmplt = 1u << 31;
            const uint StsCtrlApp0Irqonend = 1u << 26;

            static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;

            static void PtrToTxbd(SkBuff skb, CdmacBd bd) => bd.Ptr = skb;

            static SkBuff? PtrFromTxbd(CdmacBd bd) => bd.Ptr as SkBuff;

            // netdev_alloc_skb_ip_align
            static SkBuff? NetdevAllocSkbIpAlign(TemacLocal lp, uint len) =>
                len == 0 ? null : new SkBuff { Head = lp.Mem.Kmalloc(len + 2), DataOffset = 2, Len = len };

            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
            static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;
            static void DevConsumeSkbIrq(SkBuff skb) => skb.Len = 0;

            // the ring view of the coherent descriptor memory
            static CdmacBd[]? BdView(KernelBuffer? mem, int n)
            {
                if (mem is null)
                    return null;
                var ring = new CdmacBd[n];
                for (int i = 0; i < n; i++)
                    ring[i] = new CdmacBd();
                return ring;
            }

            static void NetifStopQueue(TemacLocal lp) => lp.QueueStopped = true;
            static void NetifWakeQueue(TemacLocal lp) => lp.QueueStopped = false;
        }
        """;

    // ll_temac_main.c before d07c849cd2b9: temac_dma_bd_release, temac_dma_bd_init, temac_check_tx_bd_space,
    // temac_start_xmit, temac_start_xmit_done.
    internal const string MainBeforeFix = """
        static partial class LlTemac
        {
            /*
             * temac_dma_bd_release - Release buffer descriptor rings
             */
            static void TemacDmaBdRelease(TemacLocal lp)
            {
                int i;

                /* Reset Local Link (DMA) */
                lp.DmaOut(lp, DmaControlReg, DmaControlRst);

                for (i = 0; i < TemacLocal.RxBdNum; i++)
                {
                    if (lp.RxSkb[i] == null)
                        break;
                    else
                    {
                        Dma.UnmapSingle(lp.Dev, DmaAddr.FromRaw(lp.RxBdV![i].Phys), XteMaxJumboFrameSize, DmaDirection.FromDevice);
                        DevKfreeSkb(lp.RxSkb[i]!);
                    }
                }
                if (lp.RxBdV != null)
                    Dma.FreeCoherent(lp.Dev, CdmacBd.SizeOf * TemacLocal.RxBdNum, lp.RxBdMem!, lp.RxBdP);
                if (lp.TxBdV != null)
                    Dma.FreeCoherent(lp.Dev, CdmacBd.SizeOf * TemacLocal.TxBdNum, lp.TxBdMem!, lp.TxBdP);
            }

            /*
             * temac_dma_bd_init - Setup buffer descriptor rings
             */
            static int TemacDmaBdInit(TemacLocal lp)
            {
                SkBuff? skb;
                DmaAddr skbDmaAddr;
                int i;

                lp.RxSkb = new SkBuff?[TemacLocal.RxBdNum];  // devm_kcalloc

                /* allocate the tx and rx ring buffer descriptors. */
                /* returns a virtual address and a physical address. */
                lp.TxBdMem = Dma.AllocCoherent(lp.Dev, CdmacBd.SizeOf * TemacLocal.TxBdNum, out lp.TxBdP);
                lp.TxBdV = BdView(lp.TxBdMem, TemacLocal.TxBdNum);
                if (lp.TxBdV == null)
                    goto out_;

                lp.RxBdMem = Dma.AllocCoherent(lp.Dev, CdmacBd.SizeOf * TemacLocal.RxBdNum, out lp.RxBdP);
                lp.RxBdV = BdView(lp.RxBdMem, TemacLocal.RxBdNum);
                if (lp.RxBdV == null)
                    goto out_;

                for (i = 0; i < TemacLocal.TxBdNum; i++)
                {
                    lp.TxBdV[i].Next = (uint)(lp.TxBdP.Raw + CdmacBd.SizeOf * (ulong)((i + 1) % TemacLocal.TxBdNum));
                }

                for (i = 0; i < TemacLocal.RxBdNum; i++)
                {
                    lp.RxBdV[i].Next = (uint)(lp.RxBdP.Raw + CdmacBd.SizeOf * (ulong)((i + 1) % TemacLocal.RxBdNum));

                    skb = NetdevAllocSkbIpAlign(lp, XteMaxJumboFrameSize);
                    if (skb == null)
                        goto out_;

                    lp.RxSkb[i] = skb;
                    /* returns physical address of skb->data */
                    skbDmaAddr = {|P2P0020:Dma.MapSingle(lp.Dev, skb.Head, skb.DataOffset, XteMaxJumboFrameSize, DmaDirection.FromDevice)|};
                    lp.RxBdV[i].Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
                    lp.RxBdV[i].Len = XteMaxJumboFrameSize;
                    lp.RxBdV[i].App0 = StsCtrlApp0Irqonend;
                }

                /* Configure DMA channel (irq setup) */
                lp.DmaOut(lp, TxChnlCtrl, lp.TxChnlCtrl |
                    0x00000400 | // Use 1 Bit Wide Counters. Currently Not Used!
                    ChnlCtrlIrqEn | ChnlCtrlIrqErrEn |
                    ChnlCtrlIrqDlyEn | ChnlCtrlIrqCoalEn);
                lp.DmaOut(lp, RxChnlCtrl, lp.RxChnlCtrl |
                    ChnlCtrlIrqIoe |
                    ChnlCtrlIrqEn | ChnlCtrlIrqErrEn |
                    ChnlCtrlIrqDlyEn | ChnlCtrlIrqCoalEn);

                /* Init descriptor indexes */
                lp.TxBdCi = 0;
                lp.TxBdNext = 0;
                lp.TxBdTail = 0;
                lp.RxBdCi = 0;
                lp.RxBdTail = TemacLocal.RxBdNum - 1;

                /* Enable RX DMA transfers */
                lp.DmaOut(lp, RxCurdescPtr, (uint)lp.RxBdP.Raw);
                lp.DmaOut(lp, RxTaildescPtr, (uint)(lp.RxBdP.Raw + CdmacBd.SizeOf * (ulong)lp.RxBdTail));

                /* Prepare for TX DMA transfer */
                lp.DmaOut(lp, TxCurdescPtr, (uint)lp.TxBdP.Raw);

                return 0;

            out_:
                TemacDmaBdRelease(lp);
                return -ENOMEM;
            }

            static int TemacCheckTxBdSpace(TemacLocal lp, int numFrag)
            {
                CdmacBd curP;
                int tail;

                tail = lp.TxBdTail;
                curP = lp.TxBdV![tail];

                do
                {
                    if (curP.App0 != 0)
                        return NetdevTxBusy;

                    tail++;
                    if (tail >= TemacLocal.TxBdNum)
                        tail = 0;

                    curP = lp.TxBdV[tail];
                    numFrag--;
                } while (numFrag >= 0);

                return 0;
            }

            // temac_start_xmit
            public static int TemacStartXmit(SkBuff skb, TemacLocal lp)
            {
                CdmacBd curP;
                ulong startP, tailP;
                DmaAddr skbDmaAddr;
                int ii;
                int numFrag;
                int frag;

                numFrag = skb.NrFrags;
                frag = 0;  // &skb_shinfo(skb)->frags[0]
                startP = lp.TxBdP.Raw + CdmacBd.SizeOf * (ulong)lp.TxBdTail;
                curP = lp.TxBdV![lp.TxBdTail];

                if (TemacCheckTxBdSpace(lp, numFrag + 1) != 0)
                {
                    if (lp.QueueStopped)
                        return NetdevTxBusy;

                    NetifStopQueue(lp);

                    /* Space might have just been freed - check again */
                    if (TemacCheckTxBdSpace(lp, numFrag) != 0)
                        return NetdevTxBusy;

                    NetifWakeQueue(lp);
                }

                curP.App0 = 0;
                if (skb.ChecksumPartial)
                {
                    uint csumStartOff = skb.CsumStartOff;
                    uint csumIndexOff = csumStartOff + skb.CsumOffset;

                    curP.App0 |= 0x000001; /* TX Checksum Enabled */
                    curP.App1 = (csumStartOff << 16) | csumIndexOff;
                    curP.App2 = 0;  /* initial checksum seed */
                }

                curP.App0 |= StsCtrlApp0Sop;
                skbDmaAddr = {|P2P0020:Dma.MapSingle(lp.Dev, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice)|};
                curP.Len = SkbHeadlen(skb);
                curP.Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
                PtrToTxbd(skb, curP);

                for (ii = 0; ii < numFrag; ii++)
                {
                    lp.TxBdTail++;
                    if (lp.TxBdTail >= TemacLocal.TxBdNum)
                        lp.TxBdTail = 0;

                    curP = lp.TxBdV[lp.TxBdTail];
                    skbDmaAddr = {|P2P0020:Dma.MapSingle(lp.Dev, skb.Frags[frag].Page, skb.Frags[frag].Offset, skb.Frags[frag].Size, DmaDirection.ToDevice)|};
                    curP.Phys = (uint)skbDmaAddr.Raw;
                    curP.Len = skb.Frags[frag].Size;
                    curP.App0 = 0;
                    frag++;
                }
                curP.App0 |= StsCtrlApp0Eop;

                tailP = lp.TxBdP.Raw + CdmacBd.SizeOf * (ulong)lp.TxBdTail;
                lp.TxBdTail++;
                if (lp.TxBdTail >= TemacLocal.TxBdNum)
                    lp.TxBdTail = 0;

                /* Kick off the transfer */
                lp.DmaOut(lp, TxTaildescPtr, (uint)tailP); /* DMA start */

                return NetdevTxOk;
            }

            // temac_start_xmit_done (from the interrupt handler)
            static void TemacStartXmitDone(TemacLocal lp)
            {
                CdmacBd curP;
                uint stat = 0;
                SkBuff? skb;

                curP = lp.TxBdV![lp.TxBdCi];
                stat = curP.App0;

                while ((stat & StsCtrlApp0Cmplt) != 0)
                {
                    Dma.UnmapSingle(lp.Dev, DmaAddr.FromRaw(curP.Phys), curP.Len, DmaDirection.ToDevice);
                    skb = PtrFromTxbd(curP);
                    if (skb != null)
                        DevConsumeSkbIrq(skb);
                    curP.App1 = 0;
                    curP.App2 = 0;
                    curP.App3 = 0;
                    curP.App4 = 0;

                    lp.Stats.TxPackets++;
                    lp.Stats.TxBytes += curP.Len;

                    curP.App0 = 0;

                    lp.TxBdCi++;
                    if (lp.TxBdCi >= TemacLocal.TxBdNum)
                        lp.TxBdCi = 0;

                    curP = lp.TxBdV[lp.TxBdCi];
                    stat = curP.App0;
                }

                NetifWakeQueue(lp);
            }
        }
        """;

    // The same functions after d07c849cd2b9.
    internal static readonly string MainFixed = MainBeforeFix
        .Replace("{|P2P0020:", string.Empty)
        .Replace(")|};", ");")
        .Replace(
            """
                        lp.RxBdV[i].Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
            """,
            """
                        if (Dma.MappingError(lp.Dev, skbDmaAddr))
                            goto out_;
                        lp.RxBdV[i].Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
            """)
        .Replace(
            """
                    curP.Len = SkbHeadlen(skb);
                    curP.Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
            """,
            """
                    curP.Len = SkbHeadlen(skb);
                    if (Dma.MappingError(lp.Dev, skbDmaAddr))
                    {
                        DevKfreeSkbAny(skb);
                        lp.Stats.TxDropped++;
                        return NetdevTxOk;
                    }
                    curP.Phys = (uint)skbDmaAddr.Raw;  // cpu_to_be32(skb_dma_addr)
            """)
        .Replace(
            """
                        lp.TxBdTail++;
                        if (lp.TxBdTail >= TemacLocal.TxBdNum)
                            lp.TxBdTail = 0;

                        curP = lp.TxBdV[lp.TxBdTail];
            """,
            """
                        if (++lp.TxBdTail >= TemacLocal.TxBdNum)
                            lp.TxBdTail = 0;

                        curP = lp.TxBdV[lp.TxBdTail];
            """)
        .Replace(
            """
                        curP.Phys = (uint)skbDmaAddr.Raw;
                        curP.Len = skb.Frags[frag].Size;
            """,
            """
                        if (Dma.MappingError(lp.Dev, skbDmaAddr))
                        {
                            if (--lp.TxBdTail < 0)
                                lp.TxBdTail = TemacLocal.TxBdNum - 1;
                            curP = lp.TxBdV[lp.TxBdTail];
                            while (--ii >= 0)
                            {
                                --frag;
                                Dma.UnmapSingle(lp.Dev, DmaAddr.FromRaw(curP.Phys), skb.Frags[frag].Size, DmaDirection.ToDevice);
                                if (--lp.TxBdTail < 0)
                                    lp.TxBdTail = TemacLocal.TxBdNum - 1;
                                curP = lp.TxBdV[lp.TxBdTail];
                            }
                            Dma.UnmapSingle(lp.Dev, DmaAddr.FromRaw(curP.Phys), SkbHeadlen(skb), DmaDirection.ToDevice);
                            DevKfreeSkbAny(skb);
                            lp.Stats.TxDropped++;
                            return NetdevTxOk;
                        }
                        curP.Phys = (uint)skbDmaAddr.Raw;
                        curP.Len = skb.Frags[frag].Size;
            """);

    [Fact]
    public Task LlTemac_BeforeFix_RxInitAndXmitWriteUncheckedMappingsIntoDescriptors_Reports() =>
        KernelVerify.RunAsync(Header, MainBeforeFix);

    // The same tree with cpu_to_be32() kept as the driver's call (a byte-order helper of the compilation) instead of the
    // cast it is on big-endian hosts: the kernel writes nearly every descriptor address through cpu_to_le32/le64/be32.
    // The helper hands the address back as a cast would (a trial found all three mappings missed through it before).
    private const string CpuToBe32 = """
        static partial class LlTemac
        {
            static uint CpuToBe32(ulong v) => (uint)v;
        }
        """;

    [Fact]
    public Task LlTemac_BeforeFix_WithCpuToBe32Helper_Reports() => KernelVerify.RunAsync(
        Header, CpuToBe32, MainBeforeFix.Replace("(uint)skbDmaAddr.Raw", "CpuToBe32(skbDmaAddr.Raw)"));

    [Fact]
    public Task LlTemac_AsFixed_WithCpuToBe32Helper_NoDiagnostic()
    {
        string main = MainFixed.Replace("(uint)skbDmaAddr.Raw", "CpuToBe32(skbDmaAddr.Raw)");
        Assert.Contains("CpuToBe32(skbDmaAddr.Raw)", main);
        return KernelVerify.RunAsync(Header, CpuToBe32, main);
    }

    [Fact]
    public Task LlTemac_AsFixed_EveryMappingChecked_NoDiagnostic()
    {
        // The replacements above must all have applied, or this would test the unfixed code.
        Assert.Equal(3, MainFixed.Split("Dma.MappingError(").Length - 1);
        Assert.DoesNotContain("{|", MainFixed);
        return KernelVerify.RunAsync(Header, MainFixed);
    }
}
