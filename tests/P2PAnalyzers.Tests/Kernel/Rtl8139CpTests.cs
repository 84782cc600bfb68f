namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// 8139cp (drivers/net/ethernet/realtek/8139cp.c) before "8139cp: Add dma_mapping_error checking" (Neil Horman, 2013):
/// cp_start_xmit maps the linear part of the skb (and, for a fragmented skb, the head and every fragment) with
/// dma_map_single and writes the address straight into the hardware TX descriptor (<c>txd-&gt;addr =
/// cpu_to_le64(mapping)</c>) with no dma_mapping_error(); cp_rx_poll maps the replacement RX buffer and writes it into
/// the RX descriptor the same way, and so does cp_refill_rx when the ring is filled at open. The completion cp_tx
/// (another function, run from the interrupt handler) and cp_clean_rings unmap the address read back from the
/// descriptor. The fix checks each mapping: the xmit drops the packet (unwinding the fragments already mapped with
/// the new unwind_tx_frag_mapping), cp_rx_poll maps the replacement first and keeps the old buffer when that fails.
/// cp_refill_rx's check (kfree_skb; goto err_out) is in later trees; that it came with this same commit is not
/// verified here, but the unchecked map there is the same DMA-API-debug bug either way.
/// The descriptor is what the chip reads (<c>struct cp_desc { __le32 opts1; __le32 opts2; __le64 addr; }</c>, in
/// coherent memory), so its addr is declared a DMA address sink.
/// </summary>
public sealed class Rtl8139CpTests
{
    // struct cp_desc, struct cp_private, the skb and the constants of 8139cp.c.
    internal const string Cp = """
        sealed class SkbFrag
        {
            public KernelBuffer Page = null!;
            public ulong PageOffset;
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
            public int GsoSize;
            public bool ChecksumPartial;
            public bool IpProtoTcp;
            public bool IpProtoUdp;
            public bool CsumUnnecessary;
        }

        // struct cp_desc: the hardware descriptor, in the coherent ring the chip walks
        sealed class CpDesc
        {
            public uint Opts1;
            public uint Opts2;
            [DmaAddress] public ulong Addr;
        }

        sealed class NetDeviceStats
        {
            public ulong RxDropped, RxPackets, RxBytes, RxErrors, TxErrors, TxPackets, TxBytes, TxDropped, Collisions;
        }

        // struct cp_private
        sealed class CpPrivate
        {
            public const int CpRxRingSize = 64;
            public const int CpTxRingSize = 64;

            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public object Lock = new();
            public uint RxTail;
            public CpDesc[] RxRing = new CpDesc[CpRxRingSize];
            public SkBuff?[] RxSkb = new SkBuff?[CpRxRingSize];
            public uint RxBufSz;
            public uint TxHead;
            public uint TxTail;
            public CpDesc[] TxRing = new CpDesc[CpTxRingSize];
            public SkBuff?[] TxSkb = new SkBuff?[CpTxRingSize];
            public NetDeviceStats Stats = new();
            public ulong RxFrags;
        }

        static partial class Cp8139
        {
            const int NetdevTxOk = 0;
            const int NetdevTxBusy = 16;
            const int MaxSkbFrags = 17;

            // enum cp_desc bits
            const uint DescOwn = 1u << 31, RingEnd = 1u << 30, FirstFrag = 1u << 29, LastFrag = 1u << 28;
            const uint LargeSend = 1u << 27, MSSShift = 16, MSSMask = 0xfff;
            const uint IPCS = 1u << 18, UDPCS = 1u << 17, TCPCS = 1u << 16;
            const uint TxError = 1u << 23, TxFIFOUnder = 1u << 25;
            const uint RxError = 1u << 20, RxErrFIFO = 1u << 22;

            static uint NextTx(uint n) => (n + 1) & (CpPrivate.CpTxRingSize - 1);
            static uint NextRx(uint n) => (n + 1) & (CpPrivate.CpRxRingSize - 1);

            static uint TxBuffsAvail(CpPrivate cp) => cp.TxTail <= cp.TxHead
                ? cp.TxTail + (CpPrivate.CpTxRingSize - 1) - cp.TxHead
                : cp.TxTail - cp.TxHead - 1;

            static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;

            // netdev_alloc_skb_ip_align
            static SkBuff? NetdevAllocSkbIpAlign(CpPrivate cp, uint len) =>
                len == 0 ? null : new SkBuff { Head = cp.Mem.Kmalloc(len + 2), DataOffset = 2 };

            static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;

            static void CpRxSkb(CpPrivate cp, SkBuff skb, CpDesc desc)
            {
                cp.Stats.RxPackets++;
                cp.Stats.RxBytes += skb.Len;
            }
        }
        """;

    // cp_start_xmit and cp_refill_rx before the fix: every dma_map_single goes into a descriptor unchecked.
    internal const string XmitBeforeFix = """
        static partial class Cp8139
        {
            // cp_start_xmit
            public static int StartXmit(CpPrivate cp, SkBuff skb)
            {
                uint entry;
                uint eor, flags;
                uint opts2;
                int mss;

                System.Threading.Monitor.Enter(cp.Lock);  // spin_lock_irqsave

                if (TxBuffsAvail(cp) <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return NetdevTxBusy;  // "BUG! Tx Ring full when queue awake!"
                }

                entry = cp.TxHead;
                eor = (entry == (CpPrivate.CpTxRingSize - 1)) ? RingEnd : 0;
                mss = skb.GsoSize;
                opts2 = 0;  // cpu_to_le32(cp_tx_vlan_tag(skb))

                if (skb.NrFrags == 0)
                {
                    CpDesc txd = cp.TxRing[entry];
                    uint len;
                    DmaAddr mapping;

                    len = skb.Len;
                    mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, len, DmaDirection.ToDevice)|};
                    txd.Opts2 = opts2;
                    txd.Addr = mapping.Raw;  // cpu_to_le64(mapping)

                    flags = eor | len | DescOwn | FirstFrag | LastFrag;
                    if (mss != 0)
                    {
                        flags |= LargeSend | (((uint)mss & MSSMask) << (int)MSSShift);
                    }
                    else if (skb.ChecksumPartial)
                    {
                        if (skb.IpProtoTcp)
                        {
                            flags |= IPCS | TCPCS;
                        }
                        else if (skb.IpProtoUdp)
                        {
                            flags |= IPCS | UDPCS;
                        }
                    }

                    txd.Opts1 = flags;
                    cp.TxSkb[entry] = skb;
                    entry = NextTx(entry);
                }
                else
                {
                    CpDesc txd;
                    uint firstLen, firstEor;
                    DmaAddr firstMapping;
                    int frag;
                    uint firstEntry = entry;

                    // We must give this initial chunk to the device last. Otherwise we could race with the device.
                    firstEor = eor;
                    firstLen = SkbHeadlen(skb);
                    firstMapping = {|P2P0020:Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, firstLen, DmaDirection.ToDevice)|};
                    cp.TxSkb[entry] = skb;
                    entry = NextTx(entry);

                    for (frag = 0; frag < skb.NrFrags; frag++)
                    {
                        SkbFrag thisFrag = skb.Frags[frag];
                        uint len;
                        uint ctrl;
                        DmaAddr mapping;

                        len = thisFrag.Size;
                        // dma_map_single(&cp->pdev->dev, skb_frag_address(this_frag), len, PCI_DMA_TODEVICE)
                        mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, thisFrag.Page, thisFrag.PageOffset, len, DmaDirection.ToDevice)|};
                        eor = (entry == (CpPrivate.CpTxRingSize - 1)) ? RingEnd : 0;

                        ctrl = eor | len | DescOwn;
                        if (mss != 0)
                        {
                            ctrl |= LargeSend | (((uint)mss & MSSMask) << (int)MSSShift);
                        }
                        else if (skb.ChecksumPartial)
                        {
                            if (skb.IpProtoTcp)
                            {
                                ctrl |= IPCS | TCPCS;
                            }
                            else if (skb.IpProtoUdp)
                            {
                                ctrl |= IPCS | UDPCS;
                            }
                        }

                        if (frag == skb.NrFrags - 1)
                        {
                            ctrl |= LastFrag;
                        }

                        txd = cp.TxRing[entry];
                        txd.Opts2 = opts2;
                        txd.Addr = mapping.Raw;
                        txd.Opts1 = ctrl;
                        cp.TxSkb[entry] = skb;
                        entry = NextTx(entry);
                    }

                    txd = cp.TxRing[firstEntry];
                    txd.Opts2 = opts2;
                    txd.Addr = firstMapping.Raw;
                    if (skb.ChecksumPartial && skb.IpProtoTcp)
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn | IPCS | TCPCS;
                    }
                    else if (skb.ChecksumPartial && skb.IpProtoUdp)
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn | IPCS | UDPCS;
                    }
                    else
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn;
                    }
                }

                cp.TxHead = entry;
                System.Threading.Monitor.Exit(cp.Lock);

                // cpw8(TxPoll, NormalTxPoll);
                return NetdevTxOk;
            }

            // cp_refill_rx, from cp_init_rings at open and after a tx timeout
            public static int RefillRx(CpPrivate cp)
            {
                uint i;

                for (i = 0; i < CpPrivate.CpRxRingSize; i++)
                {
                    SkBuff? skb;
                    DmaAddr mapping;

                    skb = NetdevAllocSkbIpAlign(cp, cp.RxBufSz);
                    if (skb is null)
                    {
                        goto errOut;
                    }

                    mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, cp.RxBufSz, DmaDirection.FromDevice)|};
                    cp.RxSkb[i] = skb;

                    cp.RxRing[i].Opts2 = 0;
                    cp.RxRing[i].Addr = mapping.Raw;
                    if (i == (CpPrivate.CpRxRingSize - 1))
                    {
                        cp.RxRing[i].Opts1 = DescOwn | RingEnd | cp.RxBufSz;
                    }
                    else
                    {
                        cp.RxRing[i].Opts1 = DescOwn | cp.RxBufSz;
                    }
                }

                return 0;

            errOut:
                CleanRings(cp);
                return -12;
            }
        }
        """;

    // cp_rx_poll before the fix: the new buffer's mapping goes into the descriptor unchecked.
    internal const string RxPollBeforeFix = """
        static partial class Cp8139
        {
            // cp_rx_poll (NAPI)
            public static int RxPoll(CpPrivate cp, int budget)
            {
                uint rxTail = cp.RxTail;
                int rx = 0;

                while (true)
                {
                    uint status, len;
                    DmaAddr mapping;
                    SkBuff? skb, newSkb;
                    CpDesc desc;
                    uint buflen = cp.RxBufSz;

                    skb = cp.RxSkb[rxTail]!;
                    desc = cp.RxRing[rxTail];
                    status = desc.Opts1;
                    if ((status & DescOwn) != 0)
                    {
                        break;
                    }

                    len = (status & 0x1fff) - 4;
                    mapping = DmaAddr.FromRaw(desc.Addr);  // le64_to_cpu(desc->addr)

                    if ((status & (FirstFrag | LastFrag)) != (FirstFrag | LastFrag))
                    {
                        cp.Stats.RxDropped++;
                        cp.RxFrags++;
                        goto rxNext;
                    }

                    if ((status & (RxError | RxErrFIFO)) != 0)
                    {
                        cp.Stats.RxErrors++;
                        goto rxNext;
                    }

                    newSkb = NetdevAllocSkbIpAlign(cp, buflen);
                    if (newSkb is null)
                    {
                        cp.Stats.RxDropped++;
                        goto rxNext;
                    }

                    Dma.UnmapSingle(cp.Pdev, mapping, buflen, DmaDirection.FromDevice);

                    skb.CsumUnnecessary = true;  // cp_rx_csum_ok(status)
                    skb.Len = len;  // skb_put(skb, len)

                    mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, newSkb.Head, newSkb.DataOffset, buflen, DmaDirection.FromDevice)|};
                    cp.RxSkb[rxTail] = newSkb;

                    CpRxSkb(cp, skb, desc);
                    rx++;

                rxNext:
                    cp.RxRing[rxTail].Opts2 = 0;
                    cp.RxRing[rxTail].Addr = mapping.Raw;
                    if (rxTail == (CpPrivate.CpRxRingSize - 1))
                    {
                        desc.Opts1 = DescOwn | RingEnd | cp.RxBufSz;
                    }
                    else
                    {
                        desc.Opts1 = DescOwn | cp.RxBufSz;
                    }

                    rxTail = NextRx(rxTail);
                    if (rx >= budget)
                    {
                        break;
                    }
                }

                cp.RxTail = rxTail;
                return rx;
            }
        }
        """;

    // cp_tx (the TX completion, from cp_interrupt) and cp_clean_rings: unmap what the descriptors hold.
    internal const string Completion = """
        static partial class Cp8139
        {
            // cp_tx
            public static void Tx(CpPrivate cp)
            {
                uint txHead = cp.TxHead;
                uint txTail = cp.TxTail;

                while (txTail != txHead)
                {
                    CpDesc txd = cp.TxRing[txTail];
                    SkBuff skb;
                    uint status;

                    status = txd.Opts1;
                    if ((status & DescOwn) != 0)
                    {
                        break;
                    }

                    skb = cp.TxSkb[txTail]!;
                    Dma.UnmapSingle(cp.Pdev, DmaAddr.FromRaw(txd.Addr), txd.Opts1 & 0xffff, DmaDirection.ToDevice);

                    if ((status & LastFrag) != 0)
                    {
                        if ((status & (TxError | TxFIFOUnder)) != 0)
                        {
                            cp.Stats.TxErrors++;
                        }
                        else
                        {
                            cp.Stats.TxPackets++;
                            cp.Stats.TxBytes += skb.Len;
                        }

                        DevKfreeSkbAny(skb);  // dev_kfree_skb_irq
                    }

                    cp.TxSkb[txTail] = null;
                    txTail = NextTx(txTail);
                }

                cp.TxTail = txTail;
            }

            // cp_clean_rings, from cp_free_rings at close and from cp_refill_rx's error path
            public static void CleanRings(CpPrivate cp)
            {
                CpDesc desc;
                uint i;

                for (i = 0; i < CpPrivate.CpRxRingSize; i++)
                {
                    if (cp.RxSkb[i] is SkBuff rxSkb)
                    {
                        desc = cp.RxRing[i];
                        Dma.UnmapSingle(cp.Pdev, DmaAddr.FromRaw(desc.Addr), cp.RxBufSz, DmaDirection.FromDevice);
                        DevKfreeSkbAny(rxSkb);
                    }
                }

                for (i = 0; i < CpPrivate.CpTxRingSize; i++)
                {
                    if (cp.TxSkb[i] is SkBuff skb)
                    {
                        desc = cp.TxRing[i];
                        Dma.UnmapSingle(cp.Pdev, DmaAddr.FromRaw(desc.Addr), desc.Opts1 & 0xffff, DmaDirection.ToDevice);
                        if ((desc.Opts1 & LastFrag) != 0)
                        {
                            DevKfreeSkbAny(skb);
                        }

                        cp.Stats.TxDropped++;
                    }
                }

                for (i = 0; i < CpPrivate.CpRxRingSize; i++)
                {
                    cp.RxRing[i] = new CpDesc();
                    cp.RxSkb[i] = null;
                }

                for (i = 0; i < CpPrivate.CpTxRingSize; i++)
                {
                    cp.TxRing[i] = new CpDesc();
                    cp.TxSkb[i] = null;
                }
            }
        }
        """;

    [Fact]
    public Task Cp8139_BeforeFix_XmitRxPollRefillWriteUncheckedMappingsIntoDescriptors_Reports() =>
        KernelVerify.RunAsync(Cp, XmitBeforeFix, RxPollBeforeFix, Completion);

    // As fixed: every mapping checked; the xmit unwinds the fragments it already mapped (unwind_tx_frag_mapping) and
    // drops the packet, cp_rx_poll keeps the old buffer, cp_refill_rx fails.
    [Fact]
    public Task Cp8139_AsFixed_EveryMappingChecked_NoDiagnostic() => KernelVerify.RunAsync(
        Cp,
        """
        static partial class Cp8139
        {
            // unwind_tx_frag_mapping
            static void UnwindTxFragMapping(CpPrivate cp, SkBuff skb, int first, int entryLast)
            {
                int frag, index;
                CpDesc txd;
                SkbFrag thisFrag;
                for (frag = 0; frag + first < entryLast; frag++)
                {
                    index = first + frag;
                    cp.TxSkb[index] = null;
                    txd = cp.TxRing[index];
                    thisFrag = skb.Frags[frag];
                    Dma.UnmapSingle(cp.Pdev, DmaAddr.FromRaw(txd.Addr), thisFrag.Size, DmaDirection.ToDevice);
                }
            }

            // cp_start_xmit
            public static int StartXmit(CpPrivate cp, SkBuff skb)
            {
                uint entry;
                uint eor, flags;
                uint opts2;
                int mss;

                System.Threading.Monitor.Enter(cp.Lock);  // spin_lock_irqsave

                if (TxBuffsAvail(cp) <= (uint)(skb.NrFrags + 1))
                {
                    System.Threading.Monitor.Exit(cp.Lock);
                    return NetdevTxBusy;
                }

                entry = cp.TxHead;
                eor = (entry == (CpPrivate.CpTxRingSize - 1)) ? RingEnd : 0;
                mss = skb.GsoSize;
                opts2 = 0;

                if (skb.NrFrags == 0)
                {
                    CpDesc txd = cp.TxRing[entry];
                    uint len;
                    DmaAddr mapping;

                    len = skb.Len;
                    mapping = Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, len, DmaDirection.ToDevice);
                    if (Dma.MappingError(cp.Pdev, mapping))
                    {
                        goto outDmaError;
                    }

                    txd.Opts2 = opts2;
                    txd.Addr = mapping.Raw;

                    flags = eor | len | DescOwn | FirstFrag | LastFrag;
                    if (mss != 0)
                    {
                        flags |= LargeSend | (((uint)mss & MSSMask) << (int)MSSShift);
                    }
                    else if (skb.ChecksumPartial)
                    {
                        if (skb.IpProtoTcp)
                        {
                            flags |= IPCS | TCPCS;
                        }
                        else if (skb.IpProtoUdp)
                        {
                            flags |= IPCS | UDPCS;
                        }
                    }

                    txd.Opts1 = flags;
                    cp.TxSkb[entry] = skb;
                    entry = NextTx(entry);
                }
                else
                {
                    CpDesc txd;
                    uint firstLen, firstEor;
                    DmaAddr firstMapping;
                    int frag;
                    uint firstEntry = entry;

                    firstEor = eor;
                    firstLen = SkbHeadlen(skb);
                    firstMapping = Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, firstLen, DmaDirection.ToDevice);
                    if (Dma.MappingError(cp.Pdev, firstMapping))
                    {
                        goto outDmaError;
                    }

                    cp.TxSkb[entry] = skb;
                    entry = NextTx(entry);

                    for (frag = 0; frag < skb.NrFrags; frag++)
                    {
                        SkbFrag thisFrag = skb.Frags[frag];
                        uint len;
                        uint ctrl;
                        DmaAddr mapping;

                        len = thisFrag.Size;
                        mapping = Dma.MapSingle(cp.Pdev, thisFrag.Page, thisFrag.PageOffset, len, DmaDirection.ToDevice);
                        if (Dma.MappingError(cp.Pdev, mapping))
                        {
                            UnwindTxFragMapping(cp, skb, (int)firstEntry, (int)entry);
                            goto outDmaError;
                        }

                        eor = (entry == (CpPrivate.CpTxRingSize - 1)) ? RingEnd : 0;

                        ctrl = eor | len | DescOwn;
                        if (mss != 0)
                        {
                            ctrl |= LargeSend | (((uint)mss & MSSMask) << (int)MSSShift);
                        }
                        else if (skb.ChecksumPartial)
                        {
                            if (skb.IpProtoTcp)
                            {
                                ctrl |= IPCS | TCPCS;
                            }
                            else if (skb.IpProtoUdp)
                            {
                                ctrl |= IPCS | UDPCS;
                            }
                        }

                        if (frag == skb.NrFrags - 1)
                        {
                            ctrl |= LastFrag;
                        }

                        txd = cp.TxRing[entry];
                        txd.Opts2 = opts2;
                        txd.Addr = mapping.Raw;
                        txd.Opts1 = ctrl;
                        cp.TxSkb[entry] = skb;
                        entry = NextTx(entry);
                    }

                    txd = cp.TxRing[firstEntry];
                    txd.Opts2 = opts2;
                    txd.Addr = firstMapping.Raw;
                    if (skb.ChecksumPartial && skb.IpProtoTcp)
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn | IPCS | TCPCS;
                    }
                    else if (skb.ChecksumPartial && skb.IpProtoUdp)
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn | IPCS | UDPCS;
                    }
                    else
                    {
                        txd.Opts1 = firstEor | firstLen | FirstFrag | DescOwn;
                    }
                }

                cp.TxHead = entry;

            outUnlock:
                System.Threading.Monitor.Exit(cp.Lock);
                return NetdevTxOk;

            outDmaError:
                DevKfreeSkbAny(skb);
                cp.Stats.TxDropped++;
                goto outUnlock;
            }

            // cp_refill_rx
            public static int RefillRx(CpPrivate cp)
            {
                uint i;

                for (i = 0; i < CpPrivate.CpRxRingSize; i++)
                {
                    SkBuff? skb;
                    DmaAddr mapping;

                    skb = NetdevAllocSkbIpAlign(cp, cp.RxBufSz);
                    if (skb is null)
                    {
                        goto errOut;
                    }

                    mapping = Dma.MapSingle(cp.Pdev, skb.Head, skb.DataOffset, cp.RxBufSz, DmaDirection.FromDevice);
                    if (Dma.MappingError(cp.Pdev, mapping))
                    {
                        DevKfreeSkbAny(skb);  // kfree_skb
                        goto errOut;
                    }

                    cp.RxSkb[i] = skb;

                    cp.RxRing[i].Opts2 = 0;
                    cp.RxRing[i].Addr = mapping.Raw;
                    if (i == (CpPrivate.CpRxRingSize - 1))
                    {
                        cp.RxRing[i].Opts1 = DescOwn | RingEnd | cp.RxBufSz;
                    }
                    else
                    {
                        cp.RxRing[i].Opts1 = DescOwn | cp.RxBufSz;
                    }
                }

                return 0;

            errOut:
                CleanRings(cp);
                return -12;
            }

            // cp_rx_poll
            public static int RxPoll(CpPrivate cp, int budget)
            {
                uint rxTail = cp.RxTail;
                int rx = 0;

                while (rx < budget)
                {
                    uint status, len;
                    DmaAddr mapping, newMapping;
                    SkBuff? skb, newSkb;
                    CpDesc desc;
                    uint buflen = cp.RxBufSz;

                    skb = cp.RxSkb[rxTail]!;
                    desc = cp.RxRing[rxTail];
                    status = desc.Opts1;
                    if ((status & DescOwn) != 0)
                    {
                        break;
                    }

                    len = (status & 0x1fff) - 4;
                    mapping = DmaAddr.FromRaw(desc.Addr);

                    if ((status & (FirstFrag | LastFrag)) != (FirstFrag | LastFrag))
                    {
                        cp.Stats.RxDropped++;
                        cp.RxFrags++;
                        goto rxNext;
                    }

                    if ((status & (RxError | RxErrFIFO)) != 0)
                    {
                        cp.Stats.RxErrors++;
                        goto rxNext;
                    }

                    newSkb = NetdevAllocSkbIpAlign(cp, buflen);
                    if (newSkb is null)
                    {
                        cp.Stats.RxDropped++;
                        goto rxNext;
                    }

                    newMapping = Dma.MapSingle(cp.Pdev, newSkb.Head, newSkb.DataOffset, buflen, DmaDirection.FromDevice);
                    if (Dma.MappingError(cp.Pdev, newMapping))
                    {
                        cp.Stats.RxDropped++;
                        DevKfreeSkbAny(newSkb);  // kfree_skb
                        goto rxNext;
                    }

                    Dma.UnmapSingle(cp.Pdev, mapping, buflen, DmaDirection.FromDevice);

                    skb.CsumUnnecessary = true;
                    skb.Len = len;

                    cp.RxSkb[rxTail] = newSkb;

                    CpRxSkb(cp, skb, desc);
                    rx++;
                    mapping = newMapping;

                rxNext:
                    cp.RxRing[rxTail].Opts2 = 0;
                    cp.RxRing[rxTail].Addr = mapping.Raw;
                    if (rxTail == (CpPrivate.CpRxRingSize - 1))
                    {
                        desc.Opts1 = DescOwn | RingEnd | cp.RxBufSz;
                    }
                    else
                    {
                        desc.Opts1 = DescOwn | cp.RxBufSz;
                    }

                    rxTail = NextRx(rxTail);
                }

                cp.RxTail = rxTail;
                return rx;
            }
        }
        """,
        Completion);
}
