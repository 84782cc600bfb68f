namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// xilinx_axienet (drivers/net/ethernet/xilinx/xilinx_axienet_main.c, Xilinx AXI 1G/2.5G Ethernet with AXI DMA) before
/// "net: axienet: Check for DMA mapping errors" (71791dc8bdea, Andre Przywara, 2020, patch 06/14 of his axienet series;
/// the v1 diff was read from its netdev review reply, the merged v2 shape (netdev_err, tx_dropped++, NETDEV_TX_OK
/// instead of v1's NETDEV_TX_BUSY) from the hunks later commits quote as context).
/// Four dma_map_single calls store straight into the u32 <c>phys</c> of an AXI DMA buffer descriptor unchecked:
/// axienet_dma_bd_init (RX ring fill at open), axienet_start_xmit (skb head and each fragment) and axienet_recv (RX
/// refill from the RX interrupt). The completion axienet_start_xmit_done unmaps TX through axienet_free_tx_chain
/// (factored out in the series' previous patch), axienet_recv unmaps RX, and axienet_dma_bd_release (after the series'
/// "Fix DMA descriptor cleanup path") unmaps RX descriptors whose <c>cntrl</c> was written.
/// The fix checks each mapping: bd_init jumps to <c>out:</c> (release, -ENOMEM; cntrl not yet written so the slot is
/// not unmapped), the xmit head drops the packet, a fragment unwinds the chain with axienet_free_tx_chain(ndev,
/// orig_tail_ptr, ii + 1, NULL), recv frees the new skb and returns.
/// Transliterated as the tree stood right before the commit (descriptors with a 32-bit phys, before "Upgrade
/// descriptors to hold 64-bit addresses"; no NAPI). The descriptor ring is dma_alloc_coherent memory the engine walks,
/// so <c>phys</c> is declared a DMA address sink; the implicit u32 truncation of the assignment is written as the
/// cast. axienet_dma_out32 is the driver's register write into the DMA register block.
/// Not marked (outside the rules or not DMA-API): the merged fix returns NETDEV_TX_OK on the head's failure without
/// freeing the skb (fixed in 2022 by "net: axienet: fix potential memory leak in axienet_start_xmit()"); and the fixed
/// check reads the truncated u32 phys, which cannot equal a 64-bit DMA_MAPPING_ERROR (the series' later 64-bit patch
/// moved the check onto a dma_addr_t local).
/// </summary>
public sealed class AxienetTests
{
    // xilinx_axienet.h: struct axidma_bd, struct axienet_local, and the skb/net_device.
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
            public ulong DataOffset;   // skb->data
            public uint Len;
            public uint DataLen;
            public SkbFrag[] Frags = Array.Empty<SkbFrag>();   // skb_shinfo(skb)->frags
            public int NrFrags;
            public int IpSummed;
            public uint TransportOffset;
            public uint CsumOffset;
            public int Protocol;
        }

        sealed class NetDeviceStats
        {
            public ulong TxPackets, TxBytes, TxDropped, RxPackets, RxBytes;
        }

        sealed class NetDevice
        {
            public PciDevice Parent = null!;   // ndev->dev.parent
            public NetDeviceStats Stats = new();
            public bool QueueStopped;
            public AxienetLocal Priv = null!;  // netdev_priv(ndev)
        }

        // struct axidma_bd
        sealed class AxidmaBd
        {
            public const uint SizeOf = 64;

            public uint Next;   /* Physical address of next buffer descriptor */
            public uint Reserved1;
            [DmaAddress] public uint Phys;
            public uint Reserved2;
            public uint Reserved3;
            public uint Reserved4;
            public uint Cntrl;
            public uint Status;
            public uint App0;
            public uint App1;   /* TX start << 16 | insert */
            public uint App2;   /* TX csum seed */
            public uint App3;
            public uint App4;
            public SkBuff? Skb;   /* sw_id_offset */
        }

        // struct axienet_local
        sealed class AxienetLocal
        {
            public NetDevice Ndev = null!;
            public SystemMemory Mem = null!;
            public uint[] DmaRegs = new uint[64];   // lp->dma_regs
            public uint Features;

            public KernelBuffer? TxBdMem;
            public AxidmaBd[]? TxBdV;
            public DmaAddr TxBdP;
            public uint TxBdNum;
            public KernelBuffer? RxBdMem;
            public AxidmaBd[]? RxBdV;
            public DmaAddr RxBdP;
            public uint RxBdNum;
            public uint TxBdCi;
            public uint TxBdTail;
            public uint RxBdCi;

            public uint MaxFrmSize;
            public uint CoalesceCountRx = 1;
            public uint CoalesceCountTx = 1;
        }

        static partial class Axienet
        {
            const int ENOMEM = 12;
            const int NetdevTxOk = 0;
            const int NetdevTxBusy = 16;
            const int ChecksumNone = 0, ChecksumUnnecessary = 1, ChecksumPartial = 3;

            const uint XaeFeaturePartialRxCsum = 1u << 0, XaeFeaturePartialTxCsum = 1u << 1;
            const uint XaeFeatureFullRxCsum = 1u << 2, XaeFeatureFullTxCsum = 1u << 3;

            const int XaxidmaTxCrOffset = 0x00, XaxidmaTxCdescOffset = 0x08, XaxidmaTxTdescOffset = 0x10;
            const int XaxidmaRxCrOffset = 0x30, XaxidmaRxCdescOffset = 0x38, XaxidmaRxTdescOffset = 0x40;
            const uint XaxidmaCrRunstopMask = 0x00000001;
            const uint XaxidmaCoalesceMask = 0x00ff0000, XaxidmaCoalesceShift = 16;
            const uint XaxidmaDelayMask = 0xff000000, XaxidmaDelayShift = 24;
            const uint XaxidmaIrqAllMask = 0x00007000;
            const uint XaxidmaDflt = 0;
            const uint XaxidmaBdCtrlLengthMask = 0x007fffff;
            const uint XaxidmaBdCtrlTxsofMask = 0x08000000, XaxidmaBdCtrlTxeofMask = 0x04000000;
            const uint XaxidmaBdStsActualLenMask = 0x007fffff, XaxidmaBdStsCompleteMask = 0x80000000;

            static AxienetLocal NetdevPriv(NetDevice ndev) => ndev.Priv;

            static uint AxienetDmaIn32(AxienetLocal lp, int reg) => lp.DmaRegs[reg / 4];

            static void AxienetDmaOut32(AxienetLocal lp, int reg, uint value) => lp.DmaRegs[reg / 4] = value;

            static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;

            // netdev_alloc_skb_ip_align
            static SkBuff? NetdevAllocSkbIpAlign(NetDevice ndev, uint len) =>
                len == 0 ? null : new SkBuff { Head = ndev.Priv.Mem.Kmalloc(len + 2), DataOffset = 2, Len = 0 };

            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
            static void DevConsumeSkbIrq(SkBuff skb) => skb.Len = 0;
            static void NetifRx(SkBuff skb) => skb.Protocol = 0;
            static void SkbPut(SkBuff skb, uint len) => skb.Len += len;
            static bool NetRatelimit() => true;
            static void NetdevErr(NetDevice ndev, string msg) { }

            // the ring view of the coherent descriptor memory
            static AxidmaBd[]? BdView(KernelBuffer? mem, uint n)
            {
                if (mem is null)
                    return null;
                var ring = new AxidmaBd[n];
                for (int i = 0; i < n; i++)
                    ring[i] = new AxidmaBd();
                return ring;
            }

            static bool NetifQueueStopped(NetDevice ndev) => ndev.QueueStopped;
            static void NetifStopQueue(NetDevice ndev) => ndev.QueueStopped = true;
            static void NetifWakeQueue(NetDevice ndev) => ndev.QueueStopped = false;
        }
        """;

    // xilinx_axienet_main.c right before 71791dc8bdea: axienet_dma_bd_release, axienet_dma_bd_init,
    // axienet_free_tx_chain, axienet_start_xmit_done, axienet_check_tx_bd_space, axienet_start_xmit, axienet_recv.
    internal const string MainBeforeFix = """
        static partial class Axienet
        {
            /**
             * axienet_dma_bd_release - Release buffer descriptor rings
             */
            static void AxienetDmaBdRelease(NetDevice ndev)
            {
                int i;
                AxienetLocal lp = NetdevPriv(ndev);

                /* If we end up here, tx_bd_v must have been DMA allocated. */
                Dma.FreeCoherent(ndev.Parent, AxidmaBd.SizeOf * lp.TxBdNum, lp.TxBdMem!, lp.TxBdP);

                if (lp.RxBdV == null)
                    return;

                for (i = 0; i < lp.RxBdNum; i++)
                {
                    /* A NULL skb means this descriptor has not been initialised
                     * at all.
                     */
                    if (lp.RxBdV[i].Skb == null)
                        break;

                    DevKfreeSkb(lp.RxBdV[i].Skb!);

                    /* For each descriptor, we programmed cntrl with the (non-zero)
                     * descriptor size, after it had been successfully allocated.
                     * So a non-zero value in there means we need to unmap it.
                     */
                    if (lp.RxBdV[i].Cntrl != 0)
                        Dma.UnmapSingle(ndev.Parent, DmaAddr.FromRaw(lp.RxBdV[i].Phys), lp.MaxFrmSize, DmaDirection.FromDevice);
                }

                Dma.FreeCoherent(ndev.Parent, AxidmaBd.SizeOf * lp.RxBdNum, lp.RxBdMem!, lp.RxBdP);
            }

            /**
             * axienet_dma_bd_init - Setup buffer descriptor rings for Axi DMA
             */
            static int AxienetDmaBdInit(NetDevice ndev)
            {
                uint cr;
                int i;
                SkBuff? skb;
                AxienetLocal lp = NetdevPriv(ndev);

                /* Reset the indexes which are used for accessing the BDs */
                lp.TxBdCi = 0;
                lp.TxBdTail = 0;
                lp.RxBdCi = 0;

                /* Allocate the Tx and Rx buffer descriptors. */
                lp.TxBdMem = Dma.AllocCoherent(ndev.Parent, AxidmaBd.SizeOf * lp.TxBdNum, out lp.TxBdP);
                lp.TxBdV = BdView(lp.TxBdMem, lp.TxBdNum);
                if (lp.TxBdV == null)
                    return -ENOMEM;

                lp.RxBdMem = Dma.AllocCoherent(ndev.Parent, AxidmaBd.SizeOf * lp.RxBdNum, out lp.RxBdP);
                lp.RxBdV = BdView(lp.RxBdMem, lp.RxBdNum);
                if (lp.RxBdV == null)
                    goto out_;

                for (i = 0; i < lp.TxBdNum; i++)
                {
                    lp.TxBdV[i].Next = (uint)(lp.TxBdP.Raw + AxidmaBd.SizeOf * (ulong)((i + 1) % lp.TxBdNum));
                }

                for (i = 0; i < lp.RxBdNum; i++)
                {
                    lp.RxBdV[i].Next = (uint)(lp.RxBdP.Raw + AxidmaBd.SizeOf * (ulong)((i + 1) % lp.RxBdNum));

                    skb = NetdevAllocSkbIpAlign(ndev, lp.MaxFrmSize);
                    if (skb == null)
                        goto out_;

                    lp.RxBdV[i].Skb = skb;
                    lp.RxBdV[i].Phys = (uint){|P2P0020:Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice)|}.Raw;
                    lp.RxBdV[i].Cntrl = lp.MaxFrmSize;
                }

                /* Start updating the Rx channel control register */
                cr = AxienetDmaIn32(lp, XaxidmaRxCrOffset);
                /* Update the interrupt coalesce count */
                cr = ((cr & ~XaxidmaCoalesceMask) | ((lp.CoalesceCountRx) << (int)XaxidmaCoalesceShift));
                /* Update the delay timer count */
                cr = ((cr & ~XaxidmaDelayMask) | (XaxidmaDflt << (int)XaxidmaDelayShift));
                /* Enable coalesce, delay timer and error interrupts */
                cr |= XaxidmaIrqAllMask;
                /* Write to the Rx channel control register */
                AxienetDmaOut32(lp, XaxidmaRxCrOffset, cr);

                /* Start updating the Tx channel control register */
                cr = AxienetDmaIn32(lp, XaxidmaTxCrOffset);
                cr = (((cr & ~XaxidmaCoalesceMask)) | ((lp.CoalesceCountTx) << (int)XaxidmaCoalesceShift));
                cr = (((cr & ~XaxidmaDelayMask)) | (XaxidmaDflt << (int)XaxidmaDelayShift));
                cr |= XaxidmaIrqAllMask;
                AxienetDmaOut32(lp, XaxidmaTxCrOffset, cr);

                /* Populate the tail pointer and bring the Rx Axi DMA engine out of
                 * halted state. This will make the Rx side ready for reception.
                 */
                AxienetDmaOut32(lp, XaxidmaRxCdescOffset, (uint)lp.RxBdP.Raw);
                cr = AxienetDmaIn32(lp, XaxidmaRxCrOffset);
                AxienetDmaOut32(lp, XaxidmaRxCrOffset, cr | XaxidmaCrRunstopMask);
                AxienetDmaOut32(lp, XaxidmaRxTdescOffset, (uint)(lp.RxBdP.Raw + AxidmaBd.SizeOf * (lp.RxBdNum - 1)));

                /* Write to the RS (Run-stop) bit in the Tx channel control register.
                 * Tx channel is now ready to run. But only after we write to the
                 * tail pointer register that the Tx channel will start transmitting.
                 */
                AxienetDmaOut32(lp, XaxidmaTxCdescOffset, (uint)lp.TxBdP.Raw);
                cr = AxienetDmaIn32(lp, XaxidmaTxCrOffset);
                AxienetDmaOut32(lp, XaxidmaTxCrOffset, cr | XaxidmaCrRunstopMask);

                return 0;
            out_:
                AxienetDmaBdRelease(ndev);
                return -ENOMEM;
            }

            /**
             * axienet_free_tx_chain - Clean up a series of linked TX descriptors.
             * Would either be called after a successful transmit operation, or after
             * there was an error when setting up the chain.
             * Returns the number of descriptors handled.
             */
            static int AxienetFreeTxChain(NetDevice ndev, uint firstBd, int nrBds, ref uint sizep, bool haveSizep)
            {
                AxienetLocal lp = NetdevPriv(ndev);
                AxidmaBd curP;
                int maxBds = nrBds;
                uint status;
                int i;

                if (maxBds == -1)
                    maxBds = (int)lp.TxBdNum;

                for (i = 0; i < maxBds; i++)
                {
                    curP = lp.TxBdV![(firstBd + (uint)i) % lp.TxBdNum];
                    status = curP.Status;

                    /* If no number is given, clean up *all* descriptors that have
                     * been completed by the MAC.
                     */
                    if (nrBds == -1 && (status & XaxidmaBdStsCompleteMask) == 0)
                        break;

                    Dma.UnmapSingle(ndev.Parent, DmaAddr.FromRaw(curP.Phys), (curP.Cntrl & XaxidmaBdCtrlLengthMask), DmaDirection.ToDevice);

                    if (curP.Skb != null && (status & XaxidmaBdStsCompleteMask) != 0)
                        DevConsumeSkbIrq(curP.Skb);

                    curP.Cntrl = 0;
                    curP.App0 = 0;
                    curP.App1 = 0;
                    curP.App2 = 0;
                    curP.App4 = 0;
                    curP.Status = 0;
                    curP.Skb = null;

                    if (haveSizep)
                        sizep += status & XaxidmaBdStsActualLenMask;
                }

                return i;
            }

            /**
             * axienet_start_xmit_done - Invoked once a transmit is completed by the
             * Axi DMA Tx channel.
             */
            static void AxienetStartXmitDone(NetDevice ndev)
            {
                AxienetLocal lp = NetdevPriv(ndev);
                uint packets = 0;
                uint size = 0;

                packets = (uint)AxienetFreeTxChain(ndev, lp.TxBdCi, -1, ref size, true);

                lp.TxBdCi += packets;
                if (lp.TxBdCi >= lp.TxBdNum)
                    lp.TxBdCi -= lp.TxBdNum;

                ndev.Stats.TxPackets += packets;
                ndev.Stats.TxBytes += size;

                /* Matches barrier in axienet_start_xmit */
                NetifWakeQueue(ndev);
            }

            /**
             * axienet_check_tx_bd_space - Checks if a BD/group of BDs are currently busy
             */
            static int AxienetCheckTxBdSpace(AxienetLocal lp, int numFrag)
            {
                AxidmaBd curP;
                curP = lp.TxBdV![(lp.TxBdTail + (uint)numFrag) % lp.TxBdNum];
                if ((curP.Status & XaxidmaBdStsCompleteMask) != 0)
                    return NetdevTxBusy;
                return 0;
            }

            /**
             * axienet_start_xmit - Starts the transmission.
             */
            static int AxienetStartXmit(SkBuff skb, NetDevice ndev)
            {
                uint ii;
                uint numFrag;
                uint csumStartOff;
                uint csumIndexOff;
                SkbFrag frag;
                DmaAddr tailP;
                AxienetLocal lp = NetdevPriv(ndev);
                AxidmaBd curP;

                numFrag = (uint)skb.NrFrags;
                curP = lp.TxBdV![lp.TxBdTail];

                if (AxienetCheckTxBdSpace(lp, (int)numFrag) != 0)
                {
                    if (NetifQueueStopped(ndev))
                        return NetdevTxBusy;

                    NetifStopQueue(ndev);

                    /* Matches barrier in axienet_start_xmit_done */

                    /* Space might have just been freed - check again */
                    if (AxienetCheckTxBdSpace(lp, (int)numFrag) != 0)
                        return NetdevTxBusy;

                    NetifWakeQueue(ndev);
                }

                if (skb.IpSummed == ChecksumPartial)
                {
                    if ((lp.Features & XaeFeatureFullTxCsum) != 0)
                    {
                        /* Tx Full Checksum Offload Enabled */
                        curP.App0 |= 2;
                    }
                    else if ((lp.Features & XaeFeaturePartialRxCsum) != 0)
                    {
                        csumStartOff = skb.TransportOffset;
                        csumIndexOff = csumStartOff + skb.CsumOffset;
                        /* Tx Partial Checksum Offload Enabled */
                        curP.App0 |= 1;
                        curP.App1 = (csumStartOff << 16) | csumIndexOff;
                    }
                }
                else if (skb.IpSummed == ChecksumUnnecessary)
                {
                    curP.App0 |= 2; /* Tx Full Checksum Offload Enabled */
                }

                curP.Cntrl = SkbHeadlen(skb) | XaxidmaBdCtrlTxsofMask;
                curP.Phys = (uint){|P2P0020:Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice)|}.Raw;

                for (ii = 0; ii < numFrag; ii++)
                {
                    if (++lp.TxBdTail >= lp.TxBdNum)
                        lp.TxBdTail = 0;
                    curP = lp.TxBdV[lp.TxBdTail];
                    frag = skb.Frags[ii];
                    curP.Phys = (uint){|P2P0020:Dma.MapSingle(ndev.Parent, frag.Page, frag.Offset, frag.Size, DmaDirection.ToDevice)|}.Raw;
                    curP.Cntrl = frag.Size;
                }

                curP.Cntrl |= XaxidmaBdCtrlTxeofMask;
                curP.Skb = skb;

                tailP = lp.TxBdP + AxidmaBd.SizeOf * lp.TxBdTail;
                /* Start the transfer */
                AxienetDmaOut32(lp, XaxidmaTxTdescOffset, (uint)tailP.Raw);
                if (++lp.TxBdTail >= lp.TxBdNum)
                    lp.TxBdTail = 0;

                return NetdevTxOk;
            }

            /**
             * axienet_recv - Is called from Axi DMA Rx Isr to complete the received
             *		  BD processing.
             */
            static void AxienetRecv(NetDevice ndev)
            {
                uint length;
                uint size = 0;
                uint packets = 0;
                DmaAddr tailP = default;
                AxienetLocal lp = NetdevPriv(ndev);
                SkBuff skb;
                SkBuff? newSkb;
                AxidmaBd curP;

                curP = lp.RxBdV![lp.RxBdCi];

                while ((curP.Status & XaxidmaBdStsCompleteMask) != 0)
                {
                    tailP = lp.RxBdP + AxidmaBd.SizeOf * lp.RxBdCi;

                    Dma.UnmapSingle(ndev.Parent, DmaAddr.FromRaw(curP.Phys), lp.MaxFrmSize, DmaDirection.FromDevice);

                    skb = curP.Skb!;
                    curP.Skb = null;
                    length = curP.App4 & 0x0000FFFF;

                    SkbPut(skb, length);
                    skb.IpSummed = ChecksumNone;

                    /* if we're doing Rx csum offload, set it up */
                    if ((lp.Features & XaeFeatureFullRxCsum) != 0)
                    {
                        if (((curP.App2 >> 3) & 0x7) == 0x2)
                            skb.IpSummed = ChecksumUnnecessary;
                    }

                    NetifRx(skb);

                    size += length;
                    packets++;

                    newSkb = NetdevAllocSkbIpAlign(ndev, lp.MaxFrmSize);
                    if (newSkb == null)
                        return;

                    curP.Phys = (uint){|P2P0020:Dma.MapSingle(ndev.Parent, newSkb.Head, newSkb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice)|}.Raw;
                    curP.Cntrl = lp.MaxFrmSize;
                    curP.Status = 0;
                    curP.Skb = newSkb;

                    if (++lp.RxBdCi >= lp.RxBdNum)
                        lp.RxBdCi = 0;
                    curP = lp.RxBdV[lp.RxBdCi];
                }

                ndev.Stats.RxPackets += packets;
                ndev.Stats.RxBytes += size;

                if (tailP.Raw != 0)
                    AxienetDmaOut32(lp, XaxidmaRxTdescOffset, (uint)tailP.Raw);
            }
        }
        """;

    // The same functions after 71791dc8bdea (merged v2).
    internal static readonly string MainFixed = MainBeforeFix
        .Replace("{|P2P0020:", string.Empty)
        .Replace(")|}.Raw;", ").Raw;")
        .Replace(
            """
                        lp.RxBdV[i].Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
            """,
            """
                        lp.RxBdV[i].Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(lp.RxBdV[i].Phys)))
                        {
                            NetdevErr(ndev, "DMA mapping error\n");
                            goto out_;
                        }

            """)
        .Replace(
            """
                    AxidmaBd curP;

                    numFrag = (uint)skb.NrFrags;
            """,
            """
                    AxidmaBd curP;
                    uint origTailPtr = lp.TxBdTail;

                    numFrag = (uint)skb.NrFrags;
            """)
        .Replace(
            """
                    curP.Cntrl = SkbHeadlen(skb) | XaxidmaBdCtrlTxsofMask;
                    curP.Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice).Raw;
            """,
            """
                    curP.Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice).Raw;
                    if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
                    {
                        if (NetRatelimit())
                            NetdevErr(ndev, "TX DMA mapping error\n");
                        ndev.Stats.TxDropped++;
                        return NetdevTxOk;
                    }
                    curP.Cntrl = SkbHeadlen(skb) | XaxidmaBdCtrlTxsofMask;
            """)
        .Replace(
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, frag.Page, frag.Offset, frag.Size, DmaDirection.ToDevice).Raw;
                        curP.Cntrl = frag.Size;
            """,
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, frag.Page, frag.Offset, frag.Size, DmaDirection.ToDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
                        {
                            if (NetRatelimit())
                                NetdevErr(ndev, "TX DMA mapping error\n");
                            ndev.Stats.TxDropped++;
                            uint ignored = 0;
                            AxienetFreeTxChain(ndev, origTailPtr, (int)ii + 1, ref ignored, false);
                            lp.TxBdTail = origTailPtr;

                            return NetdevTxOk;
                        }
                        curP.Cntrl = frag.Size;
            """)
        .Replace(
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, newSkb.Head, newSkb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
                        curP.Cntrl = lp.MaxFrmSize;
            """,
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, newSkb.Head, newSkb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
                        {
                            if (NetRatelimit())
                                NetdevErr(ndev, "RX DMA mapping error\n");
                            DevKfreeSkb(newSkb);
                            return;
                        }

                        curP.Cntrl = lp.MaxFrmSize;
            """);

    [Fact]
    public Task Axienet_BeforeFix_FourUncheckedMappingsIntoDescriptors_Reports() =>
        KernelVerify.RunAsync(Header, MainBeforeFix);

    // As merged, the check reads the descriptor's u32 phys back (dma_mapping_error(ndev->dev.parent, cur_p->phys)),
    // written DmaAddr.FromRaw(curP.Phys). That is the check debug.c counts, and right on the 32-bit dma_addr_t targets
    // of the time (MicroBlaze, Zynq-7000); on a 64-bit dma_addr_t the truncated copy never equals DMA_MAPPING_ERROR,
    // which the series' later 64-bit patch mended (Axienet_AsFixed_CheckedThroughDmaAddrLocal_NoDiagnostic). All four
    // maps were reported as unchecked ("on a path where Dma.MappingError was not asked") until the check of a re-widened
    // stored copy counted.
    [Fact]
    public Task Axienet_AsFixed_EveryMappingChecked_NoDiagnostic()
    {
        // The replacements above must all have applied, or this would test the unfixed code.
        Assert.Equal(4, MainFixed.Split("Dma.MappingError(").Length - 1);
        Assert.Contains("uint origTailPtr = lp.TxBdTail;", MainFixed);
        Assert.DoesNotContain("{|", MainFixed);
        return KernelVerify.RunAsync(Header, MainFixed);
    }

    // The same checks as the series' later patch "net: axienet: Upgrade descriptors to hold 64-bit addresses"
    // rewrote them: the mapping kept in a dma_addr_t local, checked, then written with desc_set_phys_addr
    // (lower_32_bits; phys_msb for XAE_FEATURE_DMA_64BIT is left out, the 2020 descriptor has no such field).
    // Real kernel shape of bd_init (quoted in the 64-bit patch); the xmit and recv sites are written the same way.
    private const string DescSetPhys = """
        static partial class Axienet
        {
            static void DescSetPhysAddr(AxienetLocal lp, DmaAddr addr, AxidmaBd desc) => desc.Phys = (uint)addr.Raw;
        }
        """;

    internal static readonly string MainFixedLocal = MainFixed
        .Replace(
            """
                        lp.RxBdV[i].Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(lp.RxBdV[i].Phys)))
                        {
                            NetdevErr(ndev, "DMA mapping error\n");
                            goto out_;
                        }

            """,
            """
                        DmaAddr addr = Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice);
                        if (Dma.MappingError(ndev.Parent, addr))
                        {
                            NetdevErr(ndev, "DMA mapping error\n");
                            goto out_;
                        }
                        DescSetPhysAddr(lp, addr, lp.RxBdV[i]);

            """)
        .Replace(
            """
                    curP.Phys = (uint)Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice).Raw;
                    if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
                    {
                        if (NetRatelimit())
                            NetdevErr(ndev, "TX DMA mapping error\n");
                        ndev.Stats.TxDropped++;
                        return NetdevTxOk;
                    }
            """,
            """
                    DmaAddr phys = Dma.MapSingle(ndev.Parent, skb.Head, skb.DataOffset, SkbHeadlen(skb), DmaDirection.ToDevice);
                    if (Dma.MappingError(ndev.Parent, phys))
                    {
                        if (NetRatelimit())
                            NetdevErr(ndev, "TX DMA mapping error\n");
                        ndev.Stats.TxDropped++;
                        return NetdevTxOk;
                    }
                    DescSetPhysAddr(lp, phys, curP);
            """)
        .Replace(
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, frag.Page, frag.Offset, frag.Size, DmaDirection.ToDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
            """,
            """
                        phys = Dma.MapSingle(ndev.Parent, frag.Page, frag.Offset, frag.Size, DmaDirection.ToDevice);
                        if (Dma.MappingError(ndev.Parent, phys))
            """)
        .Replace(
            """
                            return NetdevTxOk;
                        }
                        curP.Cntrl = frag.Size;
            """,
            """
                            return NetdevTxOk;
                        }
                        DescSetPhysAddr(lp, phys, curP);
                        curP.Cntrl = frag.Size;
            """)
        .Replace(
            """
                        curP.Phys = (uint)Dma.MapSingle(ndev.Parent, newSkb.Head, newSkb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice).Raw;
                        if (Dma.MappingError(ndev.Parent, DmaAddr.FromRaw(curP.Phys)))
                        {
                            if (NetRatelimit())
                                NetdevErr(ndev, "RX DMA mapping error\n");
                            DevKfreeSkb(newSkb);
                            return;
                        }
            """,
            """
                        DmaAddr phys = Dma.MapSingle(ndev.Parent, newSkb.Head, newSkb.DataOffset, lp.MaxFrmSize, DmaDirection.FromDevice);
                        if (Dma.MappingError(ndev.Parent, phys))
                        {
                            if (NetRatelimit())
                                NetdevErr(ndev, "RX DMA mapping error\n");
                            DevKfreeSkb(newSkb);
                            return;
                        }
                        DescSetPhysAddr(lp, phys, curP);
            """);

    [Fact]
    public Task Axienet_AsFixed_CheckedThroughDmaAddrLocal_NoDiagnostic()
    {
        Assert.Equal(4, MainFixedLocal.Split("DescSetPhysAddr(lp, ").Length - 1);
        Assert.DoesNotContain("DmaAddr.FromRaw(curP.Phys))", MainFixedLocal.Replace("Dma.UnmapSingle(ndev.Parent, DmaAddr.FromRaw(curP.Phys)", string.Empty));
        return KernelVerify.RunAsync(Header, DescSetPhys, MainFixedLocal);
    }
}
