namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// mtk_star_emac (drivers/net/ethernet/mediatek/mtk_star_emac.c, the MediaTek STAR Ethernet MAC) before "net: ethernet:
/// mtk-star-emac: fix error path in RX handling" (f96e9641e92b, Bartosz Golaszewski, 2020-05-27, Fixes: 8c7bd5a454ff
/// "net: ethernet: mtk-star-emac: new driver"): mtk_star_receive_packet pops a filled RX descriptor, allocates and maps
/// a replacement skb, and only then unmaps and passes up the received one. Every path ends at <c>push_new_skb:</c>,
/// which pushes <c>desc_data</c> back into the ring (the descriptor's data_ptr, which the MAC writes to, and
/// ring-&gt;dma_addrs, which the next receive and mtk_star_ring_free_skbs unmap). Before the fix the store
/// <c>desc_data.dma_addr = new_dma_addr</c> sat after the label, so when dma_mapping_error() was true the
/// DMA_MAPPING_ERROR address went to the device and was later unmapped, and the still-mapped old buffer's address was
/// overwritten (never unmapped again). The fix moves the store above the label. Before-fix code reconstructed from the
/// commit's description ("moving the assignment before the label"); the rest is the stored tree (v5.1x, after the fix).
/// The TX path (start_xmit, tx_complete_one) and the ring setup/teardown are transliterated as context: correct code,
/// which must draw nothing.
/// The descriptor ring is dmam_alloc_coherent memory the MAC walks: its data_ptr is a DMA address sink.
/// C# gap: <c>dma_addr_t new_dma_addr;</c> is read uninitialized on the CRC-error and skb-allocation-failure paths
/// (what clang warned about, Reported-by: Nathan Chancellor); C# rejects that read (CS0165), so it is written
/// <c>= default</c> (0). On those two paths the ring then holds address 0 for a buffer still mapped at its old address,
/// and the next receive of that slot unmaps address 0. On all three early paths (CRC error, allocation failure,
/// mapping failure) the reused skb's own mapping is overwritten in desc_data and so never unmapped again. That mapping
/// was made by another call (an earlier receive or mtk_star_prepare_rx_skbs) and travels through ring storage: no rule
/// page claims it; not marked.
/// </summary>
public sealed class MtkStarEmacTests
{
    internal const string Types = """
        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong Data;      // offset of skb->data in Head
            public ulong Tail;      // offset of skb_tail_pointer()
            public uint Len;
            public uint DataLen;
            public int IpSummed;
            public object? Dev;
        }

        // struct mtk_star_ring_desc (in the coherent ring)
        sealed class MtkStarRingDesc
        {
            public uint Status;
            [DmaAddress] public uint DataPtr;
            public uint Vtag;
            public uint Reserved;
        }

        // struct mtk_star_ring_desc_data
        sealed class MtkStarRingDescData
        {
            public uint Len;
            public uint Flags;
            public DmaAddr DmaAddr;
            public SkBuff? Skb;
        }

        // struct mtk_star_ring
        sealed class MtkStarRing
        {
            public const int NumDescs = 128;

            public MtkStarRingDesc[] Descs = null!;
            public SkBuff?[] Skbs = new SkBuff?[NumDescs];
            public DmaAddr[] DmaAddrs = new DmaAddr[NumDescs];
            public uint Head;
            public uint Tail;
        }

        sealed class NetDeviceStats
        {
            public ulong RxDropped, TxDropped;
        }

        sealed class NetDevice
        {
            public NetDeviceStats Stats = new();
            public bool QueueStopped;
        }

        // struct mtk_star_priv
        sealed class MtkStarPriv
        {
            public NetDevice Ndev = null!;
            public PciDevice Dev = null!;   // ndev->dev.parent
            public SystemMemory Mem = null!;
            public MtkStarRing TxRing = new();
            public MtkStarRing RxRing = new();
            public object Lock = new();
        }

        static partial class MtkStar
        {
            const int ENOMEM = 12;
            const int NetdevTxOk = 0;
            const int NumRxDescs = MtkStarRing.NumDescs;
            const uint MaxFrameSize = 1514;
            const uint DescMskLen = 0xffff;
            const uint DescBitRxCrce = 1u << 24, DescBitRxOsize = 1u << 25;
            const uint DescBitInt = 1u << 27, DescBitLs = 1u << 28, DescBitFs = 1u << 29;
            const uint DescBitEor = 1u << 30, DescBitCown = 1u << 31;
            const int ChecksumNone = 0;

            static PciDevice MtkStarGetDev(MtkStarPriv priv) => priv.Dev;

            static uint SkbTailroom(SkBuff skb) => (uint)(skb.Head.Size - skb.Tail);
            static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;
            static void SkbPut(SkBuff skb, uint len) { skb.Tail += len; skb.Len += len; }

            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
            static void DevKfreeSkbIrq(SkBuff skb) => skb.Len = 0;
            static void NetifReceiveSkb(SkBuff skb) { }
            static void NetdevErr(NetDevice ndev, string msg) { }
            static void NetifStopQueue(NetDevice ndev) => ndev.QueueStopped = true;
            static void MtkStarDmaResumeTx(MtkStarPriv priv) { }

            // mtk_star_alloc_skb
            static SkBuff? MtkStarAllocSkb(MtkStarPriv priv)
            {
                KernelBuffer head = priv.Mem.Kmalloc(MaxFrameSize + 32);
                if (head == null)
                    return null;
                return new SkBuff { Head = head, Data = 16 + 2, Tail = 16 + 2 };
            }

            // mtk_star_ring_pop_tail
            static int MtkStarRingPopTail(MtkStarRing ring, MtkStarRingDescData descData)
            {
                MtkStarRingDesc desc = ring.Descs[ring.Tail];
                uint status;

                status = desc.Status;  // READ_ONCE; dma_rmb()

                if ((status & DescBitCown) == 0)
                    return -1;

                descData.Len = status & DescMskLen;
                descData.Flags = status & ~DescMskLen;
                descData.DmaAddr = ring.DmaAddrs[ring.Tail];
                descData.Skb = ring.Skbs[ring.Tail];

                ring.DmaAddrs[ring.Tail] = default;
                ring.Skbs[ring.Tail] = null;

                status &= DescBitCown | DescBitEor;

                desc.DataPtr = 0;
                desc.Status = status;

                ring.Tail = (ring.Tail + 1) % MtkStarRing.NumDescs;

                return 0;
            }

            // mtk_star_ring_push_head
            static void MtkStarRingPushHead(MtkStarRing ring, MtkStarRingDescData descData, uint flags)
            {
                MtkStarRingDesc desc = ring.Descs[ring.Head];
                uint status;

                status = desc.Status;

                ring.Skbs[ring.Head] = descData.Skb;
                ring.DmaAddrs[ring.Head] = descData.DmaAddr;

                status |= descData.Len;
                if (flags != 0)
                    status |= flags;

                desc.DataPtr = (uint)descData.DmaAddr.Raw;  // WRITE_ONCE(desc->data_ptr, desc_data->dma_addr)
                desc.Status = status;
                status &= ~DescBitCown;
                /* Flush previous modifications before ownership change. */
                desc.Status = status;

                ring.Head = (ring.Head + 1) % MtkStarRing.NumDescs;
            }

            static void MtkStarRingPushHeadRx(MtkStarRing ring, MtkStarRingDescData descData) =>
                MtkStarRingPushHead(ring, descData, 0);

            static void MtkStarRingPushHeadTx(MtkStarRing ring, MtkStarRingDescData descData) =>
                MtkStarRingPushHead(ring, descData, DescBitFs | DescBitLs | DescBitInt);

            static uint MtkStarRingNumUsedDescs(MtkStarRing ring) => (uint)Math.Abs((int)ring.Head - (int)ring.Tail);

            static bool MtkStarRingFull(MtkStarRing ring) => MtkStarRingNumUsedDescs(ring) == MtkStarRing.NumDescs;
        }
        """;

    // mtk_star_dma_map_rx/unmap_rx/map_tx/unmap_tx, the ring fill and teardown, the TX path (unchanged by the fix).
    internal const string DmaAndTx = """
        static partial class MtkStar
        {
            // mtk_star_dma_map_rx
            static DmaAddr MtkStarDmaMapRx(MtkStarPriv priv, SkBuff skb)
            {
                PciDevice dev = MtkStarGetDev(priv);

                /* Data pointer for the RX DMA descriptor must be aligned to 4N + 2. */
                return Dma.MapSingle(dev, skb.Head, skb.Tail - 2, SkbTailroom(skb), DmaDirection.FromDevice);
            }

            // mtk_star_dma_unmap_rx
            static void MtkStarDmaUnmapRx(MtkStarPriv priv, MtkStarRingDescData descData)
            {
                PciDevice dev = MtkStarGetDev(priv);

                Dma.UnmapSingle(dev, descData.DmaAddr, SkbTailroom(descData.Skb!), DmaDirection.FromDevice);
            }

            // mtk_star_dma_map_tx
            static DmaAddr MtkStarDmaMapTx(MtkStarPriv priv, SkBuff skb)
            {
                PciDevice dev = MtkStarGetDev(priv);

                return Dma.MapSingle(dev, skb.Head, skb.Data, SkbHeadlen(skb), DmaDirection.ToDevice);
            }

            // mtk_star_dma_unmap_tx
            static void MtkStarDmaUnmapTx(MtkStarPriv priv, MtkStarRingDescData descData)
            {
                PciDevice dev = MtkStarGetDev(priv);

                Dma.UnmapSingle(dev, descData.DmaAddr, SkbHeadlen(descData.Skb!), DmaDirection.ToDevice);
            }

            // mtk_star_prepare_rx_skbs
            static int MtkStarPrepareRxSkbs(MtkStarPriv priv)
            {
                MtkStarRing ring = priv.RxRing;
                PciDevice dev = MtkStarGetDev(priv);
                MtkStarRingDesc desc;
                SkBuff? skb;
                DmaAddr dmaAddr;
                int i;

                for (i = 0; i < NumRxDescs; i++)
                {
                    skb = MtkStarAllocSkb(priv);
                    if (skb == null)
                        return -ENOMEM;

                    dmaAddr = MtkStarDmaMapRx(priv, skb);
                    if (Dma.MappingError(dev, dmaAddr))
                    {
                        DevKfreeSkb(skb);
                        return -ENOMEM;
                    }

                    desc = ring.Descs[i];
                    desc.DataPtr = (uint)dmaAddr.Raw;
                    desc.Status |= SkbTailroom(skb) & DescMskLen;
                    desc.Status &= ~DescBitCown;
                    ring.Skbs[i] = skb;
                    ring.DmaAddrs[i] = dmaAddr;
                }

                return 0;
            }

            // mtk_star_ring_free_skbs
            static void MtkStarRingFreeSkbs(MtkStarPriv priv, MtkStarRing ring, Action<MtkStarPriv, MtkStarRingDescData> unmapFunc)
            {
                MtkStarRingDescData descData = new MtkStarRingDescData();
                int i;

                for (i = 0; i < MtkStarRing.NumDescs; i++)
                {
                    if (ring.DmaAddrs[i].Raw == 0)
                        continue;

                    descData.DmaAddr = ring.DmaAddrs[i];
                    descData.Skb = ring.Skbs[i];

                    unmapFunc(priv, descData);
                    DevKfreeSkb(descData.Skb!);
                }
            }

            static void MtkStarFreeRxSkbs(MtkStarPriv priv) => MtkStarRingFreeSkbs(priv, priv.RxRing, MtkStarDmaUnmapRx);

            static void MtkStarFreeTxSkbs(MtkStarPriv priv) => MtkStarRingFreeSkbs(priv, priv.TxRing, MtkStarDmaUnmapTx);

            // mtk_star_netdev_start_xmit
            static int MtkStarNetdevStartXmit(SkBuff skb, MtkStarPriv priv)
            {
                NetDevice ndev = priv.Ndev;
                MtkStarRing ring = priv.TxRing;
                PciDevice dev = MtkStarGetDev(priv);
                MtkStarRingDescData descData = new MtkStarRingDescData();

                descData.DmaAddr = MtkStarDmaMapTx(priv, skb);
                if (Dma.MappingError(dev, descData.DmaAddr))
                    goto errDropPacket;

                descData.Skb = skb;
                descData.Len = skb.Len;

                System.Threading.Monitor.Enter(priv.Lock);  // spin_lock_bh

                MtkStarRingPushHeadTx(ring, descData);

                if (MtkStarRingFull(ring))
                    NetifStopQueue(ndev);

                System.Threading.Monitor.Exit(priv.Lock);

                MtkStarDmaResumeTx(priv);

                return NetdevTxOk;

            errDropPacket:
                DevKfreeSkb(skb);
                ndev.Stats.TxDropped++;
                return NetdevTxOk;
            }

            // mtk_star_tx_complete_one
            static int MtkStarTxCompleteOne(MtkStarPriv priv)
            {
                MtkStarRing ring = priv.TxRing;
                MtkStarRingDescData descData = new MtkStarRingDescData();
                int ret;

                ret = MtkStarRingPopTail(ring, descData);
                if (ret != 0)
                    return ret;

                MtkStarDmaUnmapTx(priv, descData);
                ret = (int)descData.Skb!.Len;
                DevKfreeSkbIrq(descData.Skb);

                return ret;
            }
        }
        """;

    // mtk_star_receive_packet before f96e9641e92b.
    internal const string RxBeforeFix = """
        static partial class MtkStar
        {
            // mtk_star_receive_packet
            static int MtkStarReceivePacket(MtkStarPriv priv)
            {
                MtkStarRing ring = priv.RxRing;
                PciDevice dev = MtkStarGetDev(priv);
                MtkStarRingDescData descData = new MtkStarRingDescData();
                NetDevice ndev = priv.Ndev;
                SkBuff? currSkb, newSkb;
                DmaAddr newDmaAddr = default;  // uninitialized in C; see the class comment
                int ret;

                System.Threading.Monitor.Enter(priv.Lock);
                ret = MtkStarRingPopTail(ring, descData);
                System.Threading.Monitor.Exit(priv.Lock);
                if (ret != 0)
                    return -1;

                currSkb = descData.Skb!;

                if ((descData.Flags & DescBitRxCrce) != 0 ||
                    (descData.Flags & DescBitRxOsize) != 0)
                {
                    /* Error packet -> drop and reuse skb. */
                    newSkb = currSkb;
                    goto pushNewSkb;
                }

                /* Prepare new skb before receiving the current one. Reuse the current
                 * skb if we fail at any point.
                 */
                newSkb = MtkStarAllocSkb(priv);
                if (newSkb == null)
                {
                    ndev.Stats.RxDropped++;
                    newSkb = currSkb;
                    goto pushNewSkb;
                }

                newDmaAddr = MtkStarDmaMapRx(priv, newSkb);
                if (Dma.MappingError(dev, newDmaAddr))
                {
                    ndev.Stats.RxDropped++;
                    DevKfreeSkb(newSkb);
                    newSkb = currSkb;
                    NetdevErr(ndev, "DMA mapping error of RX descriptor");
                    goto pushNewSkb;
                }

                /* We can't fail anymore at this point: it's safe to unmap the skb. */
                MtkStarDmaUnmapRx(priv, descData);

                SkbPut(descData.Skb!, descData.Len);
                descData.Skb!.IpSummed = ChecksumNone;
                descData.Skb.Dev = ndev;
                NetifReceiveSkb(descData.Skb);

            pushNewSkb:
                {|MissedP2P0023:descData.DmaAddr = newDmaAddr|};  // see BugSiteNote
                descData.Len = SkbTailroom(newSkb);
                descData.Skb = newSkb;

                System.Threading.Monitor.Enter(priv.Lock);
                MtkStarRingPushHeadRx(ring, descData);
                System.Threading.Monitor.Exit(priv.Lock);

                return 0;
            }
        }
        """;

    // After f96e9641e92b: the store moved above the label.
    internal static readonly string RxFixed = RxBeforeFix
        .Replace("""
                    NetifReceiveSkb(descData.Skb);

                pushNewSkb:
            """, """
                    NetifReceiveSkb(descData.Skb);

                    /* update dma_addr for new skb */
                    descData.DmaAddr = newDmaAddr;

                pushNewSkb:
            """)
        .Replace("{|MissedP2P0023:descData.DmaAddr = newDmaAddr|};  // see BugSiteNote", string.Empty);

    // BugSiteNote, the MissedP2P0023 mark: on the dma_mapping_error path the store after push_new_skb puts
    // DMA_MAPPING_ERROR into desc_data, which the push writes into the descriptor's data_ptr (the device) and
    // ring->dma_addrs (unmapped by the next receive of the slot). The use is a store into a field of the code's own
    // object that is handed to a helper: not among the uses docs/rules/P2P0023.md lists (unmap, sync, DmaFabric transfer,
    // scatterlist entry), though it is "handed to the device" in kernel terms.

    [Fact]
    public Task MtkStarEmac_BeforeFix_FailedRxMappingPushedToRing() =>
        KernelVerify.RunAsync(Types, DmaAndTx, RxBeforeFix);

    [Fact]
    public Task MtkStarEmac_AsFixed_NoDiagnostic()
    {
        Assert.Contains("/* update dma_addr for new skb */", RxFixed);
        Assert.DoesNotContain("{|", RxFixed);
        return KernelVerify.RunAsync(Types, DmaAndTx, RxFixed);
    }
}
