namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// igb (drivers/net/ethernet/intel/igb/igb_main.c, mainline; read at torvalds/linux 6f23fc47c1b2), correct code:
/// igb_tx_map maps the head with dma_map_single before its loop and each fragment with skb_frag_dma_map at the loop's
/// bottom; the dma_mapping_error check is at the loop's top, so every mapping is checked before it is recorded
/// (dma_unmap_addr_set / dma_unmap_len_set) and written into a descriptor; dma_error: unmaps the fragments walking back
/// to first (dma_unmap_page, guarded by dma_unmap_len) and then first's head (dma_unmap_single). igb_clean_tx_irq
/// unmaps the head with dma_unmap_single and the remaining fragments with dma_unmap_page. RX: igb_alloc_mapped_page maps
/// a page with dma_map_page_attrs(.., DMA_FROM_DEVICE, IGB_RX_DMA_ATTR), checks it, then stores it in bi->dma;
/// igb_alloc_rx_buffers syncs it for the device, igb_get_rx_buffer for the CPU, igb_reuse_rx_page hands it to another
/// buffer, igb_put_rx_buffer unmaps it with the same attributes. No diagnostic is expected.
/// </summary>
public sealed class CorrectIgbTests
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
        }

        // union e1000_adv_tx_desc
        sealed class AdvTxDesc
        {
            [DmaAddress] public ulong ReadBufferAddr;
            public uint ReadCmdTypeLen;
            public uint ReadOlinfoStatus;
            public uint WbStatus;
        }

        // union e1000_adv_rx_desc
        sealed class AdvRxDesc
        {
            [DmaAddress] public ulong ReadPktAddr;
            public uint WbStatusError;
            public ushort WbLength;
        }

        // struct igb_tx_buffer
        sealed class IgbTxBuffer
        {
            public AdvTxDesc? NextToWatch;
            public ulong TimeStamp;
            public SkBuff? Skb;
            public uint Bytecount;
            public ushort GsoSegs;
            public uint TxFlags;
            public DmaAddr Dma;  // DEFINE_DMA_UNMAP_ADDR(dma)
            public uint Len;     // DEFINE_DMA_UNMAP_LEN(len)
        }

        // struct igb_rx_buffer
        sealed class IgbRxBuffer
        {
            public DmaAddr Dma;
            public Page? Page;
            public uint PageOffset;
            public ushort PagecntBias;
        }

        // struct igb_ring
        sealed class IgbRing
        {
            public PciDevice Dev = null!;
            public SystemMemory Mem = null!;
            public IgbTxBuffer[] TxBufferInfo = Array.Empty<IgbTxBuffer>();
            public IgbRxBuffer[] RxBufferInfo = Array.Empty<IgbRxBuffer>();
            public AdvTxDesc[] TxDesc = Array.Empty<AdvTxDesc>();
            public AdvRxDesc[] RxDesc = Array.Empty<AdvRxDesc>();
            public ushort Count;
            public ushort NextToUse, NextToClean, NextToAlloc;
            public ulong AllocFailed;
            public ulong TxBytes, TxPackets;
            public uint Tail;
            public bool Down;
        }

        static partial class Igb
        {
            public const int NetdevTxOk = 0, NetdevTxBusy = 16;
            public const uint IgbMaxDataPerTxd = 1u << 15;
            public const uint IgbTxdDcmd = (1u << 24) | (1u << 27);
            public const uint E1000TxdStatDd = 1;
            public const ulong IgbRxPgSize = 4096;
            public const uint IgbRxBufsz = 2048;
            public const DmaAttrs IgbRxDmaAttr = DmaAttrs.SkipCpuSync | DmaAttrs.WeakOrdering;
            public static ulong Jiffies;

            public static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;

            public static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;

            public static uint IgbRxOffset(IgbRing rxRing) => 0;

            public static bool IgbCanReuseRxPage(IgbRxBuffer rxBuffer, int rxBufPgcnt) =>
                rxBuffer.Page != null && rxBufPgcnt - rxBuffer.PagecntBias <= 1;

            public static int IgbDescUnused(IgbRing ring) =>
                (ring.NextToClean > ring.NextToUse ? 0 : ring.Count) + ring.NextToClean - ring.NextToUse - 1;
        }
        """;

    // igb_tx_map, igb_xmit_frame_ring
    internal const string Xmit = """
        static partial class Igb
        {
            public static int TxMap(IgbRing txRing, IgbTxBuffer first, byte hdrLen)
            {
                SkBuff skb = first.Skb!;
                IgbTxBuffer txBuffer;
                AdvTxDesc txDesc;
                int frag;
                DmaAddr dma;
                uint dataLen, size;
                uint cmdType = 0;  // igb_tx_cmd_type(skb, tx_flags)
                ushort i = txRing.NextToUse;

                txDesc = txRing.TxDesc[i];

                txDesc.ReadOlinfoStatus = (skb.Len - hdrLen) << 14;  // igb_tx_olinfo_status

                size = SkbHeadlen(skb);
                dataLen = skb.DataLen;

                dma = Dma.MapSingle(txRing.Dev, skb.Head, skb.DataOffset, size, DmaDirection.ToDevice);

                txBuffer = first;

                for (frag = 0; ; frag++)
                {
                    if (Dma.MappingError(txRing.Dev, dma))
                    {
                        goto dma_error;
                    }

                    // record length, and DMA address
                    txBuffer.Len = size;   // dma_unmap_len_set(tx_buffer, len, size)
                    txBuffer.Dma = dma;    // dma_unmap_addr_set(tx_buffer, dma, dma)

                    txDesc.ReadBufferAddr = dma.Raw;  // cpu_to_le64(dma)

                    while (size > IgbMaxDataPerTxd)
                    {
                        txDesc.ReadCmdTypeLen = cmdType ^ IgbMaxDataPerTxd;

                        i++;
                        if (i == txRing.Count)
                        {
                            i = 0;
                        }

                        txDesc = txRing.TxDesc[i];
                        txDesc.ReadOlinfoStatus = 0;

                        dma += IgbMaxDataPerTxd;
                        size -= IgbMaxDataPerTxd;

                        txDesc.ReadBufferAddr = dma.Raw;
                    }

                    if (dataLen == 0)
                    {
                        break;
                    }

                    txDesc.ReadCmdTypeLen = cmdType ^ size;

                    i++;
                    if (i == txRing.Count)
                    {
                        i = 0;
                    }

                    txDesc = txRing.TxDesc[i];
                    txDesc.ReadOlinfoStatus = 0;

                    size = skb.Frags[frag].Size;  // skb_frag_size(frag)
                    dataLen -= size;

                    // skb_frag_dma_map(tx_ring->dev, frag, 0, size, DMA_TO_DEVICE)
                    dma = Dma.MapPage(txRing.Dev, skb.Frags[frag].Page, skb.Frags[frag].Offset, size, DmaDirection.ToDevice);

                    txBuffer = txRing.TxBufferInfo[i];
                }

                // write last descriptor with RS and EOP bits
                cmdType |= size | IgbTxdDcmd;
                txDesc.ReadCmdTypeLen = cmdType;

                // set the timestamp
                first.TimeStamp = Jiffies;

                // dma_wmb(); set next_to_watch value indicating a packet is present
                first.NextToWatch = txDesc;

                i++;
                if (i == txRing.Count)
                {
                    i = 0;
                }

                txRing.NextToUse = i;
                txRing.Tail = i;  // writel(i, tx_ring->tail)
                return 0;

            dma_error:
                // dev_err(tx_ring->dev, "TX DMA map failed\n");
                txBuffer = txRing.TxBufferInfo[i];

                // clear dma mappings for failed tx_buffer_info map
                while (txBuffer != first)
                {
                    if (txBuffer.Len != 0)
                    {
                        Dma.UnmapPage(txRing.Dev, txBuffer.Dma, txBuffer.Len, DmaDirection.ToDevice);
                    }

                    txBuffer.Len = 0;  // dma_unmap_len_set(tx_buffer, len, 0)

                    if (i-- == 0)
                    {
                        i += txRing.Count;
                    }

                    txBuffer = txRing.TxBufferInfo[i];
                }

                if (txBuffer.Len != 0)
                {
                    Dma.UnmapSingle(txRing.Dev, txBuffer.Dma, txBuffer.Len, DmaDirection.ToDevice);
                }

                txBuffer.Len = 0;

                DevKfreeSkbAny(txBuffer.Skb!);
                txBuffer.Skb = null;

                txRing.NextToUse = i;

                return -1;
            }

            public static int XmitFrameRing(SkBuff skb, IgbRing txRing)
            {
                IgbTxBuffer first;
                byte hdrLen = 0;

                if (IgbDescUnused(txRing) < skb.NrFrags + 4)
                {
                    // this is a hard error
                    return NetdevTxBusy;
                }

                // record the location of the first descriptor for this packet
                first = txRing.TxBufferInfo[txRing.NextToUse];
                first.Skb = skb;
                first.Bytecount = skb.Len;
                first.GsoSegs = 1;

                first.TxFlags = 0;

                if (TxMap(txRing, first, hdrLen) != 0)
                {
                    goto cleanup_tx_tstamp;
                }

                return NetdevTxOk;

            cleanup_tx_tstamp:
                return NetdevTxOk;
            }
        }
        """;

    // igb_clean_tx_irq
    internal const string CleanTx = """
        static partial class Igb
        {
            public static bool CleanTxIrq(IgbRing txRing, int napiBudget)
            {
                IgbTxBuffer txBuffer;
                AdvTxDesc txDesc;
                uint totalBytes = 0, totalPackets = 0;
                uint budget = 128;  // q_vector->tx.work_limit
                int i = txRing.NextToClean;

                if (txRing.Down)
                {
                    return true;
                }

                txBuffer = txRing.TxBufferInfo[i];
                txDesc = txRing.TxDesc[i];
                i -= txRing.Count;

                do
                {
                    AdvTxDesc? eopDesc = txBuffer.NextToWatch;

                    // if next_to_watch is not set then there is no work pending
                    if (eopDesc == null)
                    {
                        break;
                    }

                    // smp_rmb(); if DD is not set pending work has not been completed
                    if ((eopDesc.WbStatus & E1000TxdStatDd) == 0)
                    {
                        break;
                    }

                    // clear next_to_watch to prevent false hangs
                    txBuffer.NextToWatch = null;

                    // update the statistics for this packet
                    totalBytes += txBuffer.Bytecount;
                    totalPackets += txBuffer.GsoSegs;

                    // free the skb: napi_consume_skb(tx_buffer->skb, napi_budget)
                    txBuffer.Skb = null;

                    // unmap skb header data
                    Dma.UnmapSingle(txRing.Dev, txBuffer.Dma, txBuffer.Len, DmaDirection.ToDevice);

                    // clear tx_buffer data
                    txBuffer.Len = 0;

                    // clear last DMA location and unmap remaining buffers
                    while (txDesc != eopDesc)
                    {
                        i++;
                        if (i == 0)
                        {
                            i -= txRing.Count;
                        }

                        txBuffer = txRing.TxBufferInfo[i + txRing.Count];
                        txDesc = txRing.TxDesc[i + txRing.Count];

                        // unmap any remaining paged data
                        if (txBuffer.Len != 0)
                        {
                            Dma.UnmapPage(txRing.Dev, txBuffer.Dma, txBuffer.Len, DmaDirection.ToDevice);
                            txBuffer.Len = 0;
                        }
                    }

                    // move us one more past the eop_desc for start of next pkt
                    i++;
                    if (i == 0)
                    {
                        i -= txRing.Count;
                    }

                    txBuffer = txRing.TxBufferInfo[i + txRing.Count];
                    txDesc = txRing.TxDesc[i + txRing.Count];

                    // update budget accounting
                    budget--;
                }
                while (budget != 0);

                i += txRing.Count;
                txRing.NextToClean = (ushort)i;
                txRing.TxBytes += totalBytes;
                txRing.TxPackets += totalPackets;

                return budget != 0;
            }
        }
        """;

    // igb_alloc_mapped_page, igb_alloc_rx_buffers, igb_get_rx_buffer, igb_reuse_rx_page, igb_put_rx_buffer
    internal const string Rx = """
        static partial class Igb
        {
            public static bool AllocMappedPage(IgbRing rxRing, IgbRxBuffer bi)
            {
                Page? page = bi.Page;
                DmaAddr dma;

                // since we are recycling buffers we should seldom need to alloc
                if (page != null)
                {
                    return true;
                }

                // alloc new page for storage
                page = rxRing.Mem.AllocPages(1)[0];  // dev_alloc_pages(igb_rx_pg_order(rx_ring))
                if (page == null)
                {
                    rxRing.AllocFailed++;
                    return false;
                }

                // map page for use
                dma = Dma.MapPage(rxRing.Dev, page, 0, IgbRxPgSize, DmaDirection.FromDevice, IgbRxDmaAttr);

                // if mapping failed free memory back to system since there isn't much point in holding memory we
                // can't use
                if (Dma.MappingError(rxRing.Dev, dma))
                {
                    // __free_pages(page, igb_rx_pg_order(rx_ring));
                    rxRing.AllocFailed++;
                    return false;
                }

                bi.Dma = dma;
                bi.Page = page;
                bi.PageOffset = IgbRxOffset(rxRing);
                bi.PagecntBias = ushort.MaxValue;

                return true;
            }

            public static void AllocRxBuffers(IgbRing rxRing, ushort cleanedCount)
            {
                AdvRxDesc rxDesc;
                IgbRxBuffer bi;
                ushort i = rxRing.NextToUse;
                uint bufsz;

                // nothing to do
                if (cleanedCount == 0)
                {
                    return;
                }

                rxDesc = rxRing.RxDesc[i];
                bi = rxRing.RxBufferInfo[i];

                bufsz = IgbRxBufsz;

                do
                {
                    if (!AllocMappedPage(rxRing, bi))
                    {
                        break;
                    }

                    // sync the buffer for use by the device
                    Dma.SyncSingleRangeForDevice(rxRing.Dev, bi.Dma, bi.PageOffset, bufsz, DmaDirection.FromDevice);

                    // Refresh the desc even if buffer_addrs didn't change because each write-back erases this info.
                    rxDesc.ReadPktAddr = (bi.Dma + bi.PageOffset).Raw;

                    i++;
                    if (i == rxRing.Count)
                    {
                        i = 0;
                    }

                    rxDesc = rxRing.RxDesc[i];
                    bi = rxRing.RxBufferInfo[i];

                    // clear the length for the next_to_use descriptor
                    rxDesc.WbLength = 0;

                    cleanedCount--;
                }
                while (cleanedCount != 0);

                if (rxRing.NextToUse != i)
                {
                    // record the next descriptor to use
                    rxRing.NextToUse = i;

                    // update next to alloc since we have filled the ring
                    rxRing.NextToAlloc = i;

                    // wmb();
                    rxRing.Tail = i;
                }
            }

            public static IgbRxBuffer GetRxBuffer(IgbRing rxRing, uint size, out int rxBufPgcnt)
            {
                IgbRxBuffer rxBuffer;

                rxBuffer = rxRing.RxBufferInfo[rxRing.NextToClean];
                rxBufPgcnt = 1;  // page_count(rx_buffer->page) when PAGE_SIZE < 8192

                // we are reusing so sync this buffer for CPU use
                Dma.SyncSingleRangeForCpu(rxRing.Dev, rxBuffer.Dma, rxBuffer.PageOffset, size, DmaDirection.FromDevice);

                rxBuffer.PagecntBias--;

                return rxBuffer;
            }

            public static void ReuseRxPage(IgbRing rxRing, IgbRxBuffer oldBuff)
            {
                IgbRxBuffer newBuff;
                ushort nta = rxRing.NextToAlloc;

                newBuff = rxRing.RxBufferInfo[nta];

                // update, and store next to alloc
                nta++;
                rxRing.NextToAlloc = (nta < rxRing.Count) ? nta : (ushort)0;

                // Transfer page from old buffer to new buffer. Move each member individually to avoid possible
                // store forwarding stalls.
                newBuff.Dma = oldBuff.Dma;
                newBuff.Page = oldBuff.Page;
                newBuff.PageOffset = oldBuff.PageOffset;
                newBuff.PagecntBias = oldBuff.PagecntBias;
            }

            public static void PutRxBuffer(IgbRing rxRing, IgbRxBuffer rxBuffer, int rxBufPgcnt)
            {
                if (IgbCanReuseRxPage(rxBuffer, rxBufPgcnt))
                {
                    // hand second half of page back to the ring
                    ReuseRxPage(rxRing, rxBuffer);
                }
                else
                {
                    // We are not reusing the buffer so unmap it and free any references we are holding to it
                    Dma.UnmapPage(rxRing.Dev, rxBuffer.Dma, IgbRxPgSize, DmaDirection.FromDevice, IgbRxDmaAttr);
                    // __page_frag_cache_drain(rx_buffer->page, rx_buffer->pagecnt_bias);
                }

                // clear contents of rx_buffer
                rxBuffer.Page = null;
            }
        }
        """;

    [Fact]
    public Task Igb_TxMapLoopCheck_CleanTxIrq_RxPageReuse_NoDiagnostic() => KernelVerify.RunAsync(Types, Xmit, CleanTx, Rx);
}
