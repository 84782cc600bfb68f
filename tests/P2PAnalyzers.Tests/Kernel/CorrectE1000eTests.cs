namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// e1000e (drivers/net/ethernet/intel/e1000e/netdev.c, mainline; read at torvalds/linux d538d94f0ca8), correct code:
/// e1000_tx_map maps the linear part with dma_map_single and every fragment with skb_frag_dma_map (dma_map_page), each
/// checked with dma_mapping_error, and on failure walks back over the descriptors already mapped calling
/// e1000_put_txbuf (the dma_error: unwind loop); e1000_xmit_frame drops the skb when e1000_tx_map returns 0.
/// e1000_clean_tx_irq unmaps through e1000_put_txbuf (unmap_page or unmap_single by buffer_info->mapped_as_page),
/// e1000_alloc_rx_buffers maps each RX skb with dma_map_single and checks it, e1000_clean_rx_irq unmaps it.
/// No diagnostic is expected.
/// </summary>
public sealed class CorrectE1000eTests
{
    internal const string Types = """
        sealed class SkbFrag
        {
            public Page Page = null!;
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
            public uint GsoSegs;
            public uint GsoSize;
        }

        // struct e1000_buffer
        sealed class E1000Buffer
        {
            public DmaAddr Dma;
            public SkBuff? Skb;
            public ulong TimeStamp;
            public ushort Length;
            public uint NextToWatch;
            public bool MappedAsPage;
            public uint Segs;
            public uint Bytecount;
            public Page? Page;                                   // jumbo rx
            public E1000PsPage[] PsPages = Array.Empty<E1000PsPage>();  // packet split rx
        }

        // struct e1000_ps_page
        sealed class E1000PsPage
        {
            public Page? Page;
            public DmaAddr Dma;
        }

        // union e1000_rx_desc_packet_split
        sealed class E1000RxDescPacketSplit
        {
            [DmaAddress] public ulong[] ReadBufferAddr = new ulong[4];
            public uint WbMiddleStatusError;
            public ushort WbMiddleLength0;
            public ushort[] WbUpperLength = new ushort[3];
        }

        // struct e1000_tx_desc
        sealed class E1000TxDesc
        {
            [DmaAddress] public ulong BufferAddr;
            public uint LowerData;
            public uint UpperData;
        }

        // union e1000_rx_desc_extended
        sealed class E1000RxDescExtended
        {
            [DmaAddress] public ulong ReadBufferAddr;
            public uint WbStatusError;
            public ushort WbLength;
        }

        // struct e1000_ring
        sealed class E1000Ring
        {
            public E1000Adapter Adapter = null!;
            public E1000TxDesc[] TxDesc = Array.Empty<E1000TxDesc>();
            public E1000RxDescExtended[] RxDesc = Array.Empty<E1000RxDescExtended>();
            public E1000RxDescPacketSplit[] RxDescPs = Array.Empty<E1000RxDescPacketSplit>();
            public uint Count;
            public uint NextToUse;
            public uint NextToClean;
            public E1000Buffer[] BufferInfo = Array.Empty<E1000Buffer>();
            public uint Tail;
        }

        // struct e1000_adapter
        sealed class E1000Adapter
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public E1000Ring TxRing = null!;
            public E1000Ring RxRing = null!;
            public uint RxBufferLen;
            public uint RxPsBsize0;
            public int RxPsPages;
            public uint TxFifoLimit;
            public uint TxdCmd;
            public ulong AllocRxBuffFailed;
            public ulong RxDmaFailed;
            public ulong TotalTxBytes, TotalTxPackets, TotalRxBytes, TotalRxPackets;
            public bool Down;
        }

        static partial class E1000e
        {
            public const int NetdevTxOk = 0;
            public const uint E1000RxdStatDd = 0x01, E1000RxdStatEop = 0x02, E1000TxdStatDd = 0x01;
            public const int E1000RxBufferWrite = 16;
            public const uint E1000TxdCmdIfcs = 0x02000000;
            public const int PsPageBuffers = 3;
            public const ulong PageSize = 4096;
            public static ulong Jiffies;

            public static uint E1000DescUnused(E1000Ring ring)
            {
                if (ring.NextToClean > ring.NextToUse)
                {
                    return ring.NextToClean - ring.NextToUse - 1;
                }

                return ring.Count + ring.NextToClean - ring.NextToUse - 1;
            }

            public static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;

            public static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;

            public static void DevConsumeSkbAny(SkBuff skb) => skb.Len = 0;

            // __netdev_alloc_skb_ip_align
            public static SkBuff? NetdevAllocSkbIpAlign(E1000Adapter adapter, uint len) =>
                len == 0 ? null : new SkBuff { Head = adapter.Mem.Kmalloc(len + 2), DataOffset = 2 };

            public static void Writel(uint value, E1000Ring ring) => ring.Tail = value;
        }
        """;

    // e1000_alloc_rx_buffers, e1000_tx_map, e1000_tx_queue, e1000_xmit_frame
    internal const string Xmit = """
        static partial class E1000e
        {
            // e1000_alloc_rx_buffers - Replace used receive buffers
            public static void AllocRxBuffers(E1000Ring rxRing, int cleanedCount)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000RxDescExtended rxDesc;
                E1000Buffer bufferInfo;
                SkBuff? skb;
                uint i;
                uint bufsz = adapter.RxBufferLen;

                i = rxRing.NextToUse;
                bufferInfo = rxRing.BufferInfo[i];

                while (cleanedCount-- != 0)
                {
                    skb = bufferInfo.Skb;
                    if (skb != null)
                    {
                        skb.Len = 0;  // skb_trim(skb, 0); goto map_skb;
                    }
                    else
                    {
                        skb = NetdevAllocSkbIpAlign(adapter, bufsz);
                        if (skb == null)
                        {
                            // Better luck next round
                            adapter.AllocRxBuffFailed++;
                            break;
                        }

                        bufferInfo.Skb = skb;
                    }

                    // map_skb:
                    bufferInfo.Dma = Dma.MapSingle(pdev, skb.Head, skb.DataOffset, adapter.RxBufferLen, DmaDirection.FromDevice);
                    if (Dma.MappingError(pdev, bufferInfo.Dma))
                    {
                        // dev_err(&pdev->dev, "Rx DMA map failed\n");
                        adapter.RxDmaFailed++;
                        break;
                    }

                    rxDesc = rxRing.RxDesc[i];
                    rxDesc.ReadBufferAddr = bufferInfo.Dma.Raw;  // cpu_to_le64(buffer_info->dma)

                    if ((i & (E1000RxBufferWrite - 1)) == 0)
                    {
                        // wmb();
                        Writel(i, rxRing);
                    }

                    i++;
                    if (i == rxRing.Count)
                    {
                        i = 0;
                    }

                    bufferInfo = rxRing.BufferInfo[i];
                }

                rxRing.NextToUse = i;
            }

            // e1000_tx_map
            public static int TxMap(E1000Ring txRing, SkBuff skb, uint first, uint maxPerTxd, uint nrFrags)
            {
                E1000Adapter adapter = txRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000Buffer bufferInfo = null!;
                uint len = SkbHeadlen(skb);
                uint offset = 0, size, count = 0, i;
                uint f, bytecount, segs;

                i = txRing.NextToUse;

                while (len != 0)
                {
                    bufferInfo = txRing.BufferInfo[i];
                    size = Math.Min(len, maxPerTxd);

                    bufferInfo.Length = (ushort)size;
                    bufferInfo.TimeStamp = Jiffies;
                    bufferInfo.NextToWatch = i;
                    bufferInfo.Dma = Dma.MapSingle(pdev, skb.Head, skb.DataOffset + offset, size, DmaDirection.ToDevice);
                    bufferInfo.MappedAsPage = false;
                    if (Dma.MappingError(pdev, bufferInfo.Dma))
                    {
                        goto dma_error;
                    }

                    len -= size;
                    offset += size;
                    count++;

                    if (len != 0)
                    {
                        i++;
                        if (i == txRing.Count)
                        {
                            i = 0;
                        }
                    }
                }

                for (f = 0; f < nrFrags; f++)
                {
                    SkbFrag frag;

                    frag = skb.Frags[f];
                    len = frag.Size;  // skb_frag_size(frag)
                    offset = 0;

                    while (len != 0)
                    {
                        i++;
                        if (i == txRing.Count)
                        {
                            i = 0;
                        }

                        bufferInfo = txRing.BufferInfo[i];
                        size = Math.Min(len, maxPerTxd);

                        bufferInfo.Length = (ushort)size;
                        bufferInfo.TimeStamp = Jiffies;
                        bufferInfo.NextToWatch = i;
                        // skb_frag_dma_map(&pdev->dev, frag, offset, size, DMA_TO_DEVICE)
                        bufferInfo.Dma = Dma.MapPage(pdev, frag.Page, frag.Offset + offset, size, DmaDirection.ToDevice);
                        bufferInfo.MappedAsPage = true;
                        if (Dma.MappingError(pdev, bufferInfo.Dma))
                        {
                            goto dma_error;
                        }

                        len -= size;
                        offset += size;
                        count++;
                    }
                }

                segs = skb.GsoSegs != 0 ? skb.GsoSegs : 1;
                // multiply data chunks by size of headers
                bytecount = ((segs - 1) * SkbHeadlen(skb)) + skb.Len;

                txRing.BufferInfo[i].Skb = skb;
                txRing.BufferInfo[i].Segs = segs;
                txRing.BufferInfo[i].Bytecount = bytecount;
                txRing.BufferInfo[first].NextToWatch = i;

                return (int)count;

            dma_error:
                // dev_err(&pdev->dev, "Tx DMA map failed\n");
                bufferInfo.Dma = default;
                if (count != 0)
                {
                    count--;
                }

                while (count-- != 0)
                {
                    if (i == 0)
                    {
                        i += txRing.Count;
                    }

                    i--;
                    bufferInfo = txRing.BufferInfo[i];
                    PutTxbuf(txRing, bufferInfo, true);
                }

                return 0;
            }

            // e1000_tx_queue
            public static void TxQueue(E1000Ring txRing, uint txFlags, int count)
            {
                E1000Adapter adapter = txRing.Adapter;
                E1000TxDesc? txDesc = null;
                E1000Buffer bufferInfo;
                uint txdUpper = 0, txdLower = E1000TxdCmdIfcs;
                uint i;

                i = txRing.NextToUse;

                do
                {
                    bufferInfo = txRing.BufferInfo[i];
                    txDesc = txRing.TxDesc[i];
                    txDesc.BufferAddr = bufferInfo.Dma.Raw;  // cpu_to_le64(buffer_info->dma)
                    txDesc.LowerData = txdLower | bufferInfo.Length;
                    txDesc.UpperData = txdUpper;

                    i++;
                    if (i == txRing.Count)
                    {
                        i = 0;
                    }
                }
                while (--count > 0);

                txDesc.LowerData |= adapter.TxdCmd;

                // wmb();
                txRing.NextToUse = i;
            }

            // e1000_xmit_frame (the mapping part)
            public static int XmitFrame(SkBuff skb, E1000Adapter adapter)
            {
                E1000Ring txRing = adapter.TxRing;
                uint first;
                uint txFlags = 0;
                uint nrFrags;
                int count = 0;

                if (adapter.Down)
                {
                    DevKfreeSkbAny(skb);
                    return NetdevTxOk;
                }

                if (skb.Len <= 0)
                {
                    DevKfreeSkbAny(skb);
                    return NetdevTxOk;
                }

                nrFrags = (uint)skb.NrFrags;
                first = txRing.NextToUse;

                // if needed, set tx_flags (TSO / csum context descriptors)

                // count reflects descriptors mapped, if 0 or less then mapping error
                // has occurred and we need to rewind the descriptor queue
                count = TxMap(txRing, skb, first, adapter.TxFifoLimit, nrFrags);
                if (count != 0)
                {
                    // netdev_sent_queue(netdev, skb->len);
                    TxQueue(txRing, txFlags, count);
                    // Make sure there is space in the ring for the next send.
                }
                else
                {
                    DevKfreeSkbAny(skb);
                    txRing.BufferInfo[first].TimeStamp = 0;
                    txRing.NextToUse = first;
                }

                return NetdevTxOk;
            }
        }
        """;

    // e1000_put_txbuf, e1000_clean_tx_irq, e1000_clean_rx_irq
    internal const string Clean = """
        static partial class E1000e
        {
            // e1000_put_txbuf
            public static void PutTxbuf(E1000Ring txRing, E1000Buffer bufferInfo, bool drop)
            {
                E1000Adapter adapter = txRing.Adapter;

                if (bufferInfo.Dma.Raw != 0)
                {
                    if (bufferInfo.MappedAsPage)
                    {
                        Dma.UnmapPage(adapter.Pdev, bufferInfo.Dma, bufferInfo.Length, DmaDirection.ToDevice);
                    }
                    else
                    {
                        Dma.UnmapSingle(adapter.Pdev, bufferInfo.Dma, bufferInfo.Length, DmaDirection.ToDevice);
                    }

                    bufferInfo.Dma = default;
                }

                if (bufferInfo.Skb != null)
                {
                    if (drop)
                    {
                        DevKfreeSkbAny(bufferInfo.Skb);
                    }
                    else
                    {
                        DevConsumeSkbAny(bufferInfo.Skb);
                    }

                    bufferInfo.Skb = null;
                }

                bufferInfo.TimeStamp = 0;
            }

            // e1000_clean_tx_irq - Reclaim resources after transmit completes
            public static bool CleanTxIrq(E1000Ring txRing)
            {
                E1000Adapter adapter = txRing.Adapter;
                E1000TxDesc txDesc, eopDesc;
                E1000Buffer bufferInfo;
                uint i, eop;
                uint count = 0;
                uint totalTxBytes = 0, totalTxPackets = 0;
                uint bytesCompl = 0, pktsCompl = 0;

                i = txRing.NextToClean;
                eop = txRing.BufferInfo[i].NextToWatch;
                eopDesc = txRing.TxDesc[eop];

                while ((eopDesc.UpperData & E1000TxdStatDd) != 0 && count < txRing.Count)
                {
                    bool cleaned = false;
                    // dma_rmb(); read buffer_info after eop_desc
                    for (; !cleaned; count++)
                    {
                        txDesc = txRing.TxDesc[i];
                        bufferInfo = txRing.BufferInfo[i];
                        cleaned = i == eop;

                        if (cleaned)
                        {
                            totalTxPackets += bufferInfo.Segs;
                            totalTxBytes += bufferInfo.Bytecount;
                            if (bufferInfo.Skb != null)
                            {
                                bytesCompl += bufferInfo.Skb.Len;
                                pktsCompl++;
                            }
                        }

                        PutTxbuf(txRing, bufferInfo, false);
                        txDesc.UpperData = 0;

                        i++;
                        if (i == txRing.Count)
                        {
                            i = 0;
                        }
                    }

                    if (i == txRing.NextToUse)
                    {
                        break;
                    }

                    eop = txRing.BufferInfo[i].NextToWatch;
                    eopDesc = txRing.TxDesc[eop];
                }

                txRing.NextToClean = i;

                adapter.TotalTxBytes += totalTxBytes;
                adapter.TotalTxPackets += totalTxPackets;
                return count < txRing.Count;
            }

            // e1000_clean_rx_irq - Send received data up the network stack
            public static bool CleanRxIrq(E1000Ring rxRing, ref int workDone, int workToDo)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000RxDescExtended rxDesc, nextRxd;
                E1000Buffer bufferInfo, nextBuffer;
                uint length, staterr;
                uint i;
                int cleanedCount = 0;
                bool cleaned = false;
                uint totalRxBytes = 0, totalRxPackets = 0;

                i = rxRing.NextToClean;
                rxDesc = rxRing.RxDesc[i];
                staterr = rxDesc.WbStatusError;
                bufferInfo = rxRing.BufferInfo[i];

                while ((staterr & E1000RxdStatDd) != 0)
                {
                    SkBuff skb;

                    if (workDone >= workToDo)
                    {
                        break;
                    }

                    workDone++;
                    // dma_rmb();

                    skb = bufferInfo.Skb!;
                    bufferInfo.Skb = null;

                    i++;
                    if (i == rxRing.Count)
                    {
                        i = 0;
                    }

                    nextRxd = rxRing.RxDesc[i];
                    nextBuffer = rxRing.BufferInfo[i];

                    cleaned = true;
                    cleanedCount++;
                    Dma.UnmapSingle(pdev, bufferInfo.Dma, adapter.RxBufferLen, DmaDirection.FromDevice);
                    bufferInfo.Dma = default;

                    length = rxDesc.WbLength;

                    if ((staterr & E1000RxdStatEop) == 0)
                    {
                        // recycle
                        bufferInfo.Skb = skb;
                        goto next_desc;
                    }

                    totalRxBytes += length;
                    totalRxPackets++;
                    skb.Len = length;  // skb_put(skb, length); e1000_receive_skb(...)

                next_desc:
                    rxDesc.WbStatusError &= ~0xFFu;

                    // return some buffers to hardware, one at a time is too slow
                    if (cleanedCount >= E1000RxBufferWrite)
                    {
                        AllocRxBuffers(rxRing, cleanedCount);  // adapter->alloc_rx_buf
                        cleanedCount = 0;
                    }

                    // use prefetched values
                    rxDesc = nextRxd;
                    bufferInfo = nextBuffer;

                    staterr = rxDesc.WbStatusError;
                }

                rxRing.NextToClean = i;

                cleanedCount = (int)E1000DescUnused(rxRing);
                if (cleanedCount != 0)
                {
                    AllocRxBuffers(rxRing, cleanedCount);
                }

                adapter.TotalRxBytes += totalRxBytes;
                adapter.TotalRxPackets += totalRxPackets;
                return cleaned;
            }
        }
        """;


    // e1000_alloc_rx_buffers_ps, e1000_alloc_jumbo_rx_buffers, e1000_clean_rx_irq_ps and e1000_clean_jumbo_rx_irq
    // (the DMA part of each)
    internal const string RxPsJumbo = """
        static partial class E1000e
        {
            // e1000_alloc_rx_buffers_ps - Replace used receive buffers; packet split
            public static void AllocRxBuffersPs(E1000Ring rxRing, int cleanedCount)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000RxDescPacketSplit rxDesc;
                E1000Buffer bufferInfo;
                E1000PsPage psPage;
                SkBuff? skb;
                uint i;
                int j;

                i = rxRing.NextToUse;
                bufferInfo = rxRing.BufferInfo[i];

                while (cleanedCount-- != 0)
                {
                    rxDesc = rxRing.RxDescPs[i];

                    for (j = 0; j < PsPageBuffers; j++)
                    {
                        psPage = bufferInfo.PsPages[j];
                        if (j >= adapter.RxPsPages)
                        {
                            // all unused desc entries get hw null ptr
                            rxDesc.ReadBufferAddr[j + 1] = ~0UL;
                            continue;
                        }

                        if (psPage.Page == null)
                        {
                            psPage.Page = adapter.Mem.AllocPages(1)[0];  // alloc_page(gfp)
                            if (psPage.Page == null)
                            {
                                adapter.AllocRxBuffFailed++;
                                goto no_buffers;
                            }

                            psPage.Dma = Dma.MapPage(pdev, psPage.Page, 0, PageSize, DmaDirection.FromDevice);
                            if (Dma.MappingError(pdev, psPage.Dma))
                            {
                                // dev_err(&adapter->pdev->dev, "Rx DMA page map failed\n");
                                adapter.RxDmaFailed++;
                                goto no_buffers;
                            }
                        }

                        // Refresh the desc even if buffer_addrs didn't change because each write-back erases
                        // this info.
                        rxDesc.ReadBufferAddr[j + 1] = psPage.Dma.Raw;
                    }

                    skb = NetdevAllocSkbIpAlign(adapter, adapter.RxPsBsize0);

                    if (skb == null)
                    {
                        adapter.AllocRxBuffFailed++;
                        break;
                    }

                    bufferInfo.Skb = skb;
                    bufferInfo.Dma = Dma.MapSingle(pdev, skb.Head, skb.DataOffset, adapter.RxPsBsize0, DmaDirection.FromDevice);
                    if (Dma.MappingError(pdev, bufferInfo.Dma))
                    {
                        // dev_err(&pdev->dev, "Rx DMA map failed\n");
                        adapter.RxDmaFailed++;
                        // cleanup skb
                        DevKfreeSkbAny(skb);
                        bufferInfo.Skb = null;
                        break;
                    }

                    rxDesc.ReadBufferAddr[0] = bufferInfo.Dma.Raw;

                    if ((i & (E1000RxBufferWrite - 1)) == 0)
                    {
                        // wmb();
                        Writel(i << 1, rxRing);
                    }

                    i++;
                    if (i == rxRing.Count)
                    {
                        i = 0;
                    }

                    bufferInfo = rxRing.BufferInfo[i];
                }

            no_buffers:
                rxRing.NextToUse = i;
            }

            // e1000_alloc_jumbo_rx_buffers - Replace used jumbo receive buffers
            public static void AllocJumboRxBuffers(E1000Ring rxRing, int cleanedCount)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000RxDescExtended rxDesc;
                E1000Buffer bufferInfo;
                SkBuff? skb;
                uint i;
                uint bufsz = 256 - 16;  // for skb_reserve

                i = rxRing.NextToUse;
                bufferInfo = rxRing.BufferInfo[i];

                while (cleanedCount-- != 0)
                {
                    skb = bufferInfo.Skb;
                    if (skb != null)
                    {
                        skb.Len = 0;  // skb_trim(skb, 0); goto check_page;
                    }
                    else
                    {
                        skb = NetdevAllocSkbIpAlign(adapter, bufsz);
                        if (skb == null)
                        {
                            // Better luck next round
                            adapter.AllocRxBuffFailed++;
                            break;
                        }

                        bufferInfo.Skb = skb;
                    }

                    // check_page: allocate a new page if necessary
                    if (bufferInfo.Page == null)
                    {
                        bufferInfo.Page = adapter.Mem.AllocPages(1)[0];
                        if (bufferInfo.Page == null)
                        {
                            adapter.AllocRxBuffFailed++;
                            break;
                        }
                    }

                    if (bufferInfo.Dma.Raw == 0)
                    {
                        bufferInfo.Dma = Dma.MapPage(pdev, bufferInfo.Page, 0, PageSize, DmaDirection.FromDevice);
                        if (Dma.MappingError(pdev, bufferInfo.Dma))
                        {
                            adapter.AllocRxBuffFailed++;
                            break;
                        }
                    }

                    rxDesc = rxRing.RxDesc[i];
                    rxDesc.ReadBufferAddr = bufferInfo.Dma.Raw;

                    if (++i == rxRing.Count)
                    {
                        i = 0;
                    }

                    bufferInfo = rxRing.BufferInfo[i];
                }

                if (rxRing.NextToUse != i)
                {
                    rxRing.NextToUse = i;
                    if (i-- == 0)
                    {
                        i = rxRing.Count - 1;
                    }

                    // wmb();
                    Writel(i, rxRing);
                }
            }

            // e1000_clean_rx_irq_ps (the DMA part of one descriptor)
            public static void CleanRxIrqPsOne(E1000Ring rxRing, E1000Buffer bufferInfo, E1000RxDescPacketSplit rxDesc, SkBuff skb)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;
                E1000PsPage psPage;
                uint length;
                int j;

                Dma.UnmapSingle(pdev, bufferInfo.Dma, adapter.RxPsBsize0, DmaDirection.FromDevice);
                bufferInfo.Dma = default;

                length = rxDesc.WbMiddleLength0;
                if (length == 0)
                {
                    // "Last part of the packet spanning multiple descriptors"
                    return;
                }

                {
                    int l1 = rxDesc.WbUpperLength[0];

                    // page alloc/put takes too long and effects small packet throughput, so unsplit small packets
                    // and save the alloc/put
                    if (l1 != 0 && l1 <= 256 && (length + l1) <= adapter.RxPsBsize0)
                    {
                        psPage = bufferInfo.PsPages[0];

                        Dma.SyncSingleForCpu(pdev, psPage.Dma, PageSize, DmaDirection.FromDevice);
                        // vaddr = kmap_local_page(ps_page->page); memcpy(skb_tail_pointer(skb), vaddr, l1);
                        Dma.SyncSingleForDevice(pdev, psPage.Dma, PageSize, DmaDirection.FromDevice);

                        skb.Len += (uint)l1;
                        return;  // goto copydone;
                    }
                }

                for (j = 0; j < PsPageBuffers; j++)
                {
                    length = rxDesc.WbUpperLength[j];
                    if (length == 0)
                    {
                        break;
                    }

                    psPage = bufferInfo.PsPages[j];
                    Dma.UnmapPage(pdev, psPage.Dma, PageSize, DmaDirection.FromDevice);
                    psPage.Dma = default;
                    // skb_fill_page_desc(skb, j, ps_page->page, 0, length);
                    psPage.Page = null;
                    skb.Len += length;
                }
            }

            // e1000_clean_jumbo_rx_irq (the DMA part of one descriptor)
            public static void CleanJumboRxIrqOne(E1000Ring rxRing, E1000Buffer bufferInfo)
            {
                E1000Adapter adapter = rxRing.Adapter;
                PciDevice pdev = adapter.Pdev;

                Dma.UnmapPage(pdev, bufferInfo.Dma, PageSize, DmaDirection.FromDevice);
                bufferInfo.Dma = default;
            }
        }
        """;

    [Fact]
    public Task E1000e_AllRxPathsAndTx_NoDiagnostic() => KernelVerify.RunAsync(Types, Xmit, Clean, RxPsJumbo);

    [Fact]
    public Task E1000e_TxMapUnwind_CleanTxIrq_RxAlloc_NoDiagnostic() => KernelVerify.RunAsync(Types, Xmit, Clean);
}
