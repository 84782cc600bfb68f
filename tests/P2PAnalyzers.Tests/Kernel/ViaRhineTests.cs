namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// via-rhine (drivers/net/ethernet/via/via-rhine.c, VIA Rhine I/II/III PCI Fast Ethernet) before Neil Horman's 2013
/// commit that added the driver's first <c>dma_mapping_error()</c> checks (recalled as "via-rhine: add dma mapping
/// error checking"; neither its title nor its hash could be confirmed from the stored sources, so no hash is given).
/// The before and after texts were read from two stored trees of the same pci_* era: New-B/Linux3.6 (b5154d3e5bc2,
/// v3.6, unchecked) and fikus-kernel (0348583c1fe1, v3.10-based, checked: <c>pci_map_single</c> then
/// <c>dma_mapping_error(&amp;rp-&gt;pdev-&gt;dev, ..)</c>). Between them the DMA code differs only by the three checks;
/// the transliteration follows the later tree (u64 stats, 802.1Q tag protocol) with the checks removed.
/// Three bug sites (P2P0020), one per map call, each stored unchecked into a <c>rx_skbuff_dma[]</c>/
/// <c>tx_skbuff_dma[]</c> slot of <c>struct rhine_private</c> and from there, through <c>cpu_to_le32</c>, into the
/// <c>addr</c> of a descriptor in the coherent ring the chip walks:
/// alloc_rbufs (RX ring fill at open and at reset), rhine_start_tx (the skb when no alignment bounce buffer is used)
/// and rhine_rx (RX refill from NAPI). The mappings are synced (rhine_rx copybreak) and unmapped in rhine_rx,
/// rhine_tx (TX completion), free_rbufs and free_tbufs (close, reset).
/// The fix checks each one: alloc_rbufs zeroes the slot's address, frees the skb and stops filling; rhine_start_tx
/// frees the skb, zeroes the slot, counts a drop and returns NETDEV_TX_OK; rhine_rx frees the skb, zeroes the slot and
/// stops refilling.
/// Transliteration: <c>struct rx_desc</c>/<c>tx_desc</c> are classes, the ring is a view of the
/// <c>pci_alloc_consistent</c> block (the block is kept beside it for <c>pci_free_consistent</c>); a descriptor's
/// <c>addr</c>, which the chip reads, is declared a DMA address sink, its other words are not; <c>cpu_to_le32</c> is
/// the one-expression width helper; <c>skb-&gt;data</c> is the skb's head buffer and offset; <c>tx_buf[i]</c>
/// (a pointer into <c>tx_bufs</c>) is an offset, null where the kernel writes NULL; <c>rx_head_desc</c> is a
/// reference to a ring entry; register accesses go to a byte array behind <c>ioread8</c>/<c>iowrite8</c>; locks,
/// barriers, napi and debug prints are no-op stubs; the driver functions that do no DMA and that open/close/reset
/// call (chip reset, init_registers, mdio_read, task enable/disable) are stubs.
/// Not marked (left by the fix, outside what it changed): on a failed RX map the fix frees the skb but leaves it in
/// <c>rx_skbuff[]</c> with a zero address, so free_rbufs later unmaps DMA address 0 and frees the skb again, and
/// rhine_rx may hand the freed skb up (reworked in 2015 by Francois Romieu's via-rhine series); on a failed TX map
/// <c>tx_skbuff[entry]</c> still points at the freed skb until the slot is reused.
/// </summary>
public sealed class ViaRhineTests
{
    // include/linux/skbuff.h, netdevice.h, if_vlan.h: what via-rhine uses of them.
    internal const string Linux = """
        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong DataOffset;   // skb->data
            public uint Len;
            public int NrFrags;        // skb_shinfo(skb)->nr_frags
            public int IpSummed;
            public int Protocol;
            public bool VlanTagPresent;
            public ushort VlanTci;
        }

        sealed class NetDeviceStats
        {
            public ulong TxErrors, TxDropped, TxCarrierErrors, TxWindowErrors, TxAbortedErrors, TxHeartbeatErrors;
            public ulong TxFifoErrors, Collisions;
            public ulong RxErrors, RxLengthErrors, RxFifoErrors, RxFrameErrors, RxCrcErrors;
        }

        sealed class NetDevice
        {
            public string Name = "eth0";
            public int Mtu = 1500;
            public SystemMemory Mem = null!;
            public NetDeviceStats Stats = new();
            public bool QueueStopped;
            public long TransStart;
            public RhinePrivate Priv = null!;   // netdev_priv(dev)
        }

        // void __iomem *
        sealed class IoMem
        {
            public byte[] Regs = new byte[256];
        }

        // struct u64_stats_sync and the counters it guards
        sealed class RhineStats
        {
            public ulong Packets;
            public ulong Bytes;
        }

        static partial class ViaRhine
        {
            const int ENOMEM = 12;
            const int NetdevTxOk = 0;
            const int ChecksumPartial = 3;
            const uint EthZlen = 60;
            const int EthP8021Q = 0x8100;
            const int VlanVidMask = 0x0fff;
            const int VlanPrioMask = 0xe000;

            static long Jiffies;

            static RhinePrivate NetdevPriv(NetDevice dev) => dev.Priv;

            static SkBuff? NetdevAllocSkb(NetDevice dev, uint len) =>
                len == 0 ? null : new SkBuff { Head = dev.Mem.Kmalloc(len), DataOffset = 0, Len = 0 };

            static SkBuff? NetdevAllocSkbIpAlign(NetDevice dev, int len) =>
                len <= 0 ? null : new SkBuff { Head = dev.Mem.Kmalloc((ulong)len + 2), DataOffset = 2, Len = 0 };

            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
            static int SkbPadto(SkBuff skb, uint len) => 0;
            static void SkbPut(SkBuff skb, int len) => skb.Len += (uint)len;

            static void SkbCopyAndCsumDev(SkBuff skb, KernelBuffer to, ulong toOffset) =>
                to.Write(toOffset, skb.Head.Read(skb.DataOffset, (int)skb.Len));

            static void SkbCopyToLinearData(SkBuff skb, KernelBuffer from, ulong fromOffset, int len) =>
                skb.Head.Write(skb.DataOffset, from.Read(fromOffset, len));

            static void Memset(KernelBuffer buf, ulong offset, byte c, uint len)
            {
                var bytes = new byte[len];
                Array.Fill(bytes, c);
                buf.Write(offset, bytes);
            }

            static int EthTypeTrans(SkBuff skb, NetDevice dev) => 0;
            static void VlanHwaccelPutTag(SkBuff skb, int proto, ushort tci) { skb.VlanTagPresent = true; skb.VlanTci = tci; }
            static void NetifReceiveSkb(SkBuff skb) => skb.Protocol = skb.Protocol;
            static bool VlanTxTagPresent(SkBuff skb) => skb.VlanTagPresent;
            static ushort VlanTxTagGet(SkBuff skb) => skb.VlanTci;

            static void NetifStopQueue(NetDevice dev) => dev.QueueStopped = true;
            static void NetifStartQueue(NetDevice dev) => dev.QueueStopped = false;
            static void NetifWakeQueue(NetDevice dev) => dev.QueueStopped = false;

            static int RequestIrq(int irq, NetDevice dev) => 0;
            static void FreeIrq(int irq, NetDevice dev) { }

            static void NetdevErr(NetDevice dev, string msg) { }
            static void NetdevWarn(NetDevice dev, string msg) { }
            static void NetifDbg(RhinePrivate rp, NetDevice dev, string msg) { }

            static void Wmb() { }
            static void SpinLock(RhinePrivate rp) { }
            static void SpinUnlock(RhinePrivate rp) { }
            static void MutexLock(RhinePrivate rp) { }
            static void MutexUnlock(RhinePrivate rp) { }
            static void NapiDisable(RhinePrivate rp) { }
            static void U64StatsUpdateBegin(RhineStats s) { }
            static void U64StatsUpdateEnd(RhineStats s) { }

            // cpu_to_le32 / le32_to_cpu on a little-endian host
            static uint CpuToLe32(ulong x) => (uint)x;
            static uint Le32ToCpu(uint x) => x;

            static byte Ioread8(IoMem ioaddr, int reg) => ioaddr.Regs[reg];
            static void Iowrite8(int value, IoMem ioaddr, int reg) => ioaddr.Regs[reg] = (byte)value;
        }
        """;

    // via-rhine.c right before the fix: the ring/descriptor structs, struct rhine_private, alloc_ring, free_ring,
    // alloc_rbufs, free_rbufs, alloc_tbufs, free_tbufs, rhine_open, rhine_reset_task, rhine_start_tx, rhine_tx,
    // rhine_get_vlan_tci, rhine_rx, rhine_close.
    internal const string RhineBeforeFix = """
        // struct rx_desc
        sealed class RxDesc
        {
            public uint RxStatus;
            public uint DescLength; /* Chain flag, Buffer/frame length */
            [DmaAddress] public uint Addr;
            public uint NextDesc;
        }

        // struct tx_desc
        sealed class TxDesc
        {
            public uint TxStatus;
            public uint DescLength; /* Chain flag, Tx Config, Frame length */
            [DmaAddress] public uint Addr;
            public uint NextDesc;
        }

        // struct rhine_private
        sealed class RhinePrivate
        {
            /* Descriptor rings */
            public RxDesc[] RxRing = null!;
            public TxDesc[]? TxRing;
            public DmaAddr RxRingDma;
            public DmaAddr TxRingDma;
            public KernelBuffer? RingMem;   // the consistent block rx_ring points to

            /* The addresses of receive-in-place skbuffs. */
            public SkBuff?[] RxSkbuff = new SkBuff?[64];
            public DmaAddr[] RxSkbuffDma = new DmaAddr[64];

            /* The saved address of a sent-in-place packet/buffer, for later free(). */
            public SkBuff?[] TxSkbuff = new SkBuff?[16];
            public DmaAddr[] TxSkbuffDma = new DmaAddr[16];

            /* Tx bounce buffers (Rhine-I only) */
            public ulong?[] TxBuf = new ulong?[16];   // offsets into tx_bufs
            public KernelBuffer? TxBufs;
            public DmaAddr TxBufsDma;

            public PciDevice Pdev = null!;
            public int Irq;
            public NetDevice Dev = null!;
            public bool TaskEnable;

            public RhineStats RxStats = new();
            public RhineStats TxStats = new();

            /* Frequently used values: keep some adjacent for cache effect. */
            public uint Quirks;
            public RxDesc RxHeadDesc = null!;
            public uint CurRx, DirtyRx;   /* Producer/consumer ring indices */
            public uint CurTx, DirtyTx;
            public uint RxBufSz;          /* Based on MTU+slack. */
            public byte TxThresh, RxThresh;

            public IoMem Base = new();
        }

        static partial class ViaRhine
        {
            const int TxRingSize = 16;
            const uint TxQueueLen = 10;   /* Limit ring entries actually used. */
            const int RxRingSize = 64;
            const uint PktBufSz = 1536;   /* Size of each temporary Rx buffer.*/
            const ulong SizeofRxDesc = 16, SizeofTxDesc = 16;

            const uint TXDESC = 0x00e08000;
            const uint RxOK = 0x8000, RxWholePkt = 0x0300, RxErr = 0x008F;
            const uint DescOwn = 0x80000000;
            const uint DescTag = 0x00010000;
            const uint RqRhineI = 0x0100;

            const int ChipCmd = 0x08, ChipCmd1 = 0x09, TQWake = 0x0A, TxConfig = 0x07, StationAddr = 0x00;
            const int CmdStop = 0x04, Cmd1TxDemand = 0x20;

            static int RxCopybreak;

            // the two rings inside the consistent block
            static RxDesc[] RxRingView(KernelBuffer ring)
            {
                var v = new RxDesc[RxRingSize];
                for (int i = 0; i < RxRingSize; i++)
                    v[i] = new RxDesc();
                return v;
            }

            static TxDesc[] TxRingView(KernelBuffer ring, ulong offset)
            {
                var v = new TxDesc[TxRingSize];
                for (int i = 0; i < TxRingSize; i++)
                    v[i] = new TxDesc();
                return v;
            }

            // Driver functions open/close/reset call that do no DMA (register programming, MII, work items).
            static void RhineChipReset(NetDevice dev) => Iowrite8(0x80, NetdevPriv(dev).Base, ChipCmd1);
            static void RhineTaskEnable(RhinePrivate rp) => rp.TaskEnable = true;
            static void RhineTaskDisable(RhinePrivate rp) => rp.TaskEnable = false;
            static void InitRegisters(NetDevice dev) => Iowrite8(0x20, NetdevPriv(dev).Base, TxConfig);
            static void RhineIrqDisable(RhinePrivate rp) => Iowrite8(0, rp.Base, 0x0E);
            static void Iosync(IoMem ioaddr) => Ioread8(ioaddr, StationAddr);
            static void ByteRegBitsOn(int x, IoMem ioaddr, int reg) => Iowrite8(Ioread8(ioaddr, reg) | x, ioaddr, reg);

            static int AllocRing(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                KernelBuffer? ring;
                DmaAddr ringDma;

                ring = Dma.AllocCoherent(rp.Pdev,
                                         RxRingSize * SizeofRxDesc +
                                         TxRingSize * SizeofTxDesc,
                                         out ringDma);
                if (ring == null)
                {
                    NetdevErr(dev, "Could not allocate DMA memory\n");
                    return -ENOMEM;
                }
                if ((rp.Quirks & RqRhineI) != 0)
                {
                    rp.TxBufs = Dma.AllocCoherent(rp.Pdev,
                                                  PktBufSz * TxRingSize,
                                                  out rp.TxBufsDma);
                    if (rp.TxBufs == null)
                    {
                        Dma.FreeCoherent(rp.Pdev,
                                         RxRingSize * SizeofRxDesc +
                                         TxRingSize * SizeofTxDesc,
                                         ring, ringDma);
                        return -ENOMEM;
                    }
                }

                rp.RingMem = ring;
                rp.RxRing = RxRingView(ring);
                rp.TxRing = TxRingView(ring, RxRingSize * SizeofRxDesc);
                rp.RxRingDma = ringDma;
                rp.TxRingDma = ringDma + RxRingSize * SizeofRxDesc;

                return 0;
            }

            static void FreeRing(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);

                Dma.FreeCoherent(rp.Pdev,
                                 RxRingSize * SizeofRxDesc +
                                 TxRingSize * SizeofTxDesc,
                                 rp.RingMem!, rp.RxRingDma);
                rp.TxRing = null;

                if (rp.TxBufs != null)
                    Dma.FreeCoherent(rp.Pdev, PktBufSz * TxRingSize,
                                     rp.TxBufs, rp.TxBufsDma);

                rp.TxBufs = null;
            }

            static void AllocRbufs(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                DmaAddr next;
                int i;

                rp.DirtyRx = rp.CurRx = 0;

                rp.RxBufSz = (dev.Mtu <= 1500 ? PktBufSz : (uint)dev.Mtu + 32);
                rp.RxHeadDesc = rp.RxRing[0];
                next = rp.RxRingDma;

                /* Init the ring entries */
                for (i = 0; i < RxRingSize; i++)
                {
                    rp.RxRing[i].RxStatus = 0;
                    rp.RxRing[i].DescLength = CpuToLe32(rp.RxBufSz);
                    next += SizeofRxDesc;
                    rp.RxRing[i].NextDesc = CpuToLe32(next.Raw);
                    rp.RxSkbuff[i] = null;
                }
                /* Mark the last entry as wrapping the ring. */
                rp.RxRing[i - 1].NextDesc = CpuToLe32(rp.RxRingDma.Raw);

                /* Fill in the Rx buffers.  Handle allocation failure gracefully. */
                for (i = 0; i < RxRingSize; i++)
                {
                    SkBuff? skb = NetdevAllocSkb(dev, rp.RxBufSz);
                    rp.RxSkbuff[i] = skb;
                    if (skb == null)
                        break;

                    rp.RxSkbuffDma[i] =
                        {|P2P0020:Dma.MapSingle(rp.Pdev, skb.Head, skb.DataOffset, rp.RxBufSz,
                                      DmaDirection.FromDevice)|};

                    rp.RxRing[i].Addr = CpuToLe32(rp.RxSkbuffDma[i].Raw);
                    rp.RxRing[i].RxStatus = CpuToLe32(DescOwn);
                }
                rp.DirtyRx = (uint)(i - RxRingSize);
            }

            static void FreeRbufs(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                int i;

                /* Free all the skbuffs in the Rx queue. */
                for (i = 0; i < RxRingSize; i++)
                {
                    rp.RxRing[i].RxStatus = 0;
                    rp.RxRing[i].Addr = CpuToLe32(0xBADF00D0); /* An invalid address. */
                    if (rp.RxSkbuff[i] != null)
                    {
                        Dma.UnmapSingle(rp.Pdev,
                                        rp.RxSkbuffDma[i],
                                        rp.RxBufSz, DmaDirection.FromDevice);
                        DevKfreeSkb(rp.RxSkbuff[i]!);
                    }
                    rp.RxSkbuff[i] = null;
                }
            }

            static void AllocTbufs(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                DmaAddr next;
                int i;

                rp.DirtyTx = rp.CurTx = 0;
                next = rp.TxRingDma;
                for (i = 0; i < TxRingSize; i++)
                {
                    rp.TxSkbuff[i] = null;
                    rp.TxRing![i].TxStatus = 0;
                    rp.TxRing[i].DescLength = CpuToLe32(TXDESC);
                    next += SizeofTxDesc;
                    rp.TxRing[i].NextDesc = CpuToLe32(next.Raw);
                    if ((rp.Quirks & RqRhineI) != 0)
                        rp.TxBuf[i] = (ulong)i * PktBufSz;   // &rp->tx_bufs[i * PKT_BUF_SZ]
                }
                rp.TxRing![i - 1].NextDesc = CpuToLe32(rp.TxRingDma.Raw);
            }

            static void FreeTbufs(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                int i;

                for (i = 0; i < TxRingSize; i++)
                {
                    rp.TxRing![i].TxStatus = 0;
                    rp.TxRing[i].DescLength = CpuToLe32(TXDESC);
                    rp.TxRing[i].Addr = CpuToLe32(0xBADF00D0); /* An invalid address. */
                    if (rp.TxSkbuff[i] != null)
                    {
                        if (rp.TxSkbuffDma[i].Raw != 0)
                        {
                            Dma.UnmapSingle(rp.Pdev,
                                            rp.TxSkbuffDma[i],
                                            rp.TxSkbuff[i]!.Len,
                                            DmaDirection.ToDevice);
                        }
                        DevKfreeSkb(rp.TxSkbuff[i]!);
                    }
                    rp.TxSkbuff[i] = null;
                    rp.TxBuf[i] = null;
                }
            }

            static int RhineOpen(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                IoMem ioaddr = rp.Base;
                int rc;

                rc = RequestIrq(rp.Irq, dev);
                if (rc != 0)
                    return rc;

                NetifDbg(rp, dev, "rhine_open() irq\n");

                rc = AllocRing(dev);
                if (rc != 0)
                {
                    FreeIrq(rp.Irq, dev);
                    return rc;
                }
                AllocRbufs(dev);
                AllocTbufs(dev);
                RhineChipReset(dev);
                RhineTaskEnable(rp);
                InitRegisters(dev);

                NetifDbg(rp, dev, "rhine_open() Done\n");

                NetifStartQueue(dev);

                return 0;
            }

            static void RhineResetTask(RhinePrivate rp)
            {
                NetDevice dev = rp.Dev;

                MutexLock(rp);

                if (!rp.TaskEnable)
                    goto out_unlock;

                NapiDisable(rp);
                SpinLock(rp);

                /* clear all descriptors */
                FreeTbufs(dev);
                FreeRbufs(dev);
                AllocTbufs(dev);
                AllocRbufs(dev);

                /* Reinitialize the hardware. */
                RhineChipReset(dev);
                InitRegisters(dev);

                SpinUnlock(rp);

                dev.TransStart = Jiffies; /* prevent tx timeout */
                dev.Stats.TxErrors++;
                NetifWakeQueue(dev);

            out_unlock:
                MutexUnlock(rp);
            }

            static int RhineStartTx(SkBuff skb, NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                IoMem ioaddr = rp.Base;
                uint entry;

                /* Caution: the write order is important here, set the field
                   with the "ownership" bits last. */

                /* Calculate the next Tx descriptor entry. */
                entry = rp.CurTx % TxRingSize;

                if (SkbPadto(skb, EthZlen) != 0)
                    return NetdevTxOk;

                rp.TxSkbuff[entry] = skb;

                // (unsigned long)skb->data & 3: the head buffers are aligned, the offset decides
                if ((rp.Quirks & RqRhineI) != 0 &&
                    ((skb.DataOffset & 3) != 0 || skb.NrFrags != 0 || skb.IpSummed == ChecksumPartial))
                {
                    /* Must use alignment buffer. */
                    if (skb.Len > PktBufSz)
                    {
                        /* packet too long, drop it */
                        DevKfreeSkb(skb);
                        rp.TxSkbuff[entry] = null;
                        dev.Stats.TxDropped++;
                        return NetdevTxOk;
                    }

                    /* Padding is not copied and so must be redone. */
                    SkbCopyAndCsumDev(skb, rp.TxBufs!, rp.TxBuf[entry]!.Value);
                    if (skb.Len < EthZlen)
                        Memset(rp.TxBufs!, rp.TxBuf[entry]!.Value + skb.Len, 0,
                               EthZlen - skb.Len);
                    rp.TxSkbuffDma[entry] = DmaAddr.FromRaw(0);
                    rp.TxRing![entry].Addr = CpuToLe32((rp.TxBufsDma +
                                                        rp.TxBuf[entry]!.Value).Raw);
                }
                else
                {
                    rp.TxSkbuffDma[entry] =
                        {|P2P0020:Dma.MapSingle(rp.Pdev, skb.Head, skb.DataOffset, skb.Len,
                                      DmaDirection.ToDevice)|};
                    rp.TxRing![entry].Addr = CpuToLe32(rp.TxSkbuffDma[entry].Raw);
                }

                rp.TxRing[entry].DescLength =
                    CpuToLe32(TXDESC | (skb.Len >= EthZlen ? skb.Len : EthZlen));

                if (VlanTxTagPresent(skb))
                {
                    ushort vidPcp = VlanTxTagGet(skb);

                    /* drop CFI/DEI bit, register needs VID and PCP */
                    vidPcp = (ushort)((vidPcp & VlanVidMask) |
                                      ((vidPcp & VlanPrioMask) >> 1));
                    rp.TxRing[entry].TxStatus = CpuToLe32((uint)vidPcp << 16);
                    /* request tagging */
                    rp.TxRing[entry].DescLength |= CpuToLe32(0x020000);
                }
                else
                    rp.TxRing[entry].TxStatus = 0;

                /* lock eth irq */
                Wmb();
                rp.TxRing[entry].TxStatus |= CpuToLe32(DescOwn);
                Wmb();

                rp.CurTx++;

                /* Non-x86 Todo: explicitly flush cache lines here. */

                if (VlanTxTagPresent(skb))
                    /* Tx queues are bits 7-0 (first Tx queue: bit 7) */
                    ByteRegBitsOn(1 << 7, ioaddr, TQWake);

                /* Wake the potentially-idle transmit channel */
                Iowrite8(Ioread8(ioaddr, ChipCmd1) | Cmd1TxDemand,
                         ioaddr, ChipCmd1);
                Iosync(ioaddr);

                if (rp.CurTx == rp.DirtyTx + TxQueueLen)
                    NetifStopQueue(dev);

                NetifDbg(rp, dev, "Transmit frame queued\n");

                return NetdevTxOk;
            }

            /* This routine is logically part of the interrupt handler, but isolated
               for clarity. */
            static void RhineTx(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                uint txstatus = 0;
                uint entry = rp.DirtyTx % TxRingSize;

                /* find and cleanup dirty tx descriptors */
                while (rp.DirtyTx != rp.CurTx)
                {
                    txstatus = Le32ToCpu(rp.TxRing![entry].TxStatus);
                    NetifDbg(rp, dev, "Tx scavenge\n");
                    if ((txstatus & DescOwn) != 0)
                        break;
                    if ((txstatus & 0x8000) != 0)
                    {
                        NetifDbg(rp, dev, "Transmit error\n");
                        dev.Stats.TxErrors++;
                        if ((txstatus & 0x0400) != 0)
                            dev.Stats.TxCarrierErrors++;
                        if ((txstatus & 0x0200) != 0)
                            dev.Stats.TxWindowErrors++;
                        if ((txstatus & 0x0100) != 0)
                            dev.Stats.TxAbortedErrors++;
                        if ((txstatus & 0x0080) != 0)
                            dev.Stats.TxHeartbeatErrors++;
                        if (((rp.Quirks & RqRhineI) != 0 && (txstatus & 0x0002) != 0) ||
                            (txstatus & 0x0800) != 0 || (txstatus & 0x1000) != 0)
                        {
                            dev.Stats.TxFifoErrors++;
                            rp.TxRing[entry].TxStatus = CpuToLe32(DescOwn);
                            break; /* Keep the skb - we try again */
                        }
                        /* Transmitter restarted in 'abnormal' handler. */
                    }
                    else
                    {
                        if ((rp.Quirks & RqRhineI) != 0)
                            dev.Stats.Collisions += (txstatus >> 3) & 0x0F;
                        else
                            dev.Stats.Collisions += txstatus & 0x0F;
                        NetifDbg(rp, dev, "collisions\n");

                        U64StatsUpdateBegin(rp.TxStats);
                        rp.TxStats.Bytes += rp.TxSkbuff[entry]!.Len;
                        rp.TxStats.Packets++;
                        U64StatsUpdateEnd(rp.TxStats);
                    }
                    /* Free the original skb. */
                    if (rp.TxSkbuffDma[entry].Raw != 0)
                    {
                        Dma.UnmapSingle(rp.Pdev,
                                        rp.TxSkbuffDma[entry],
                                        rp.TxSkbuff[entry]!.Len,
                                        DmaDirection.ToDevice);
                    }
                    DevKfreeSkb(rp.TxSkbuff[entry]!);
                    rp.TxSkbuff[entry] = null;
                    entry = (++rp.DirtyTx) % TxRingSize;
                }
                if ((rp.CurTx - rp.DirtyTx) < TxQueueLen - 4)
                    NetifWakeQueue(dev);
            }

            /**
             * rhine_get_vlan_tci - extract TCI from Rx data buffer
             */
            static ushort RhineGetVlanTci(SkBuff skb, int dataSize)
            {
                byte[] trailer = skb.Head.Read(skb.DataOffset + (ulong)((dataSize + 3) & ~3) + 2, 2);
                return (ushort)((trailer[0] << 8) | trailer[1]);   // be16_to_cpup
            }

            /* Process up to limit frames from receive ring */
            static int RhineRx(NetDevice dev, int limit)
            {
                RhinePrivate rp = NetdevPriv(dev);
                int count;
                uint entry = rp.CurRx % RxRingSize;

                NetifDbg(rp, dev, "rhine_rx()\n");

                /* If EOP is set on the next entry, it's a new packet. Send it up. */
                for (count = 0; count < limit; ++count)
                {
                    RxDesc desc = rp.RxHeadDesc;
                    uint descStatus = Le32ToCpu(desc.RxStatus);
                    uint descLength = Le32ToCpu(desc.DescLength);
                    int dataSize = (int)(descStatus >> 16);

                    if ((descStatus & DescOwn) != 0)
                        break;

                    NetifDbg(rp, dev, "rhine_rx() status\n");

                    if ((descStatus & (RxWholePkt | RxErr)) != RxWholePkt)
                    {
                        if ((descStatus & RxWholePkt) != RxWholePkt)
                        {
                            NetdevWarn(dev, "Oversized Ethernet frame spanned multiple buffers\n");
                            NetdevWarn(dev, "Oversized Ethernet frame\n");
                            dev.Stats.RxLengthErrors++;
                        }
                        else if ((descStatus & RxErr) != 0)
                        {
                            /* There was a error. */
                            NetifDbg(rp, dev, "rhine_rx() Rx error\n");
                            dev.Stats.RxErrors++;
                            if ((descStatus & 0x0030) != 0)
                                dev.Stats.RxLengthErrors++;
                            if ((descStatus & 0x0048) != 0)
                                dev.Stats.RxFifoErrors++;
                            if ((descStatus & 0x0004) != 0)
                                dev.Stats.RxFrameErrors++;
                            if ((descStatus & 0x0002) != 0)
                            {
                                /* this can also be updated outside the interrupt handler */
                                SpinLock(rp);
                                dev.Stats.RxCrcErrors++;
                                SpinUnlock(rp);
                            }
                        }
                    }
                    else
                    {
                        SkBuff? skb = null;
                        /* Length should omit the CRC */
                        int pktLen = dataSize - 4;
                        ushort vlanTci = 0;

                        /* Check if the packet is long enough to accept without
                           copying to a minimally-sized skbuff. */
                        if (pktLen < RxCopybreak)
                            skb = NetdevAllocSkbIpAlign(dev, pktLen);
                        if (skb != null)
                        {
                            Dma.SyncSingleForCpu(rp.Pdev,
                                                 rp.RxSkbuffDma[entry],
                                                 rp.RxBufSz,
                                                 DmaDirection.FromDevice);

                            SkbCopyToLinearData(skb,
                                                rp.RxSkbuff[entry]!.Head, rp.RxSkbuff[entry]!.DataOffset,
                                                pktLen);
                            SkbPut(skb, pktLen);
                            Dma.SyncSingleForDevice(rp.Pdev,
                                                    rp.RxSkbuffDma[entry],
                                                    rp.RxBufSz,
                                                    DmaDirection.FromDevice);
                        }
                        else
                        {
                            skb = rp.RxSkbuff[entry];
                            if (skb == null)
                            {
                                NetdevErr(dev, "Inconsistent Rx descriptor chain\n");
                                break;
                            }
                            rp.RxSkbuff[entry] = null;
                            SkbPut(skb, pktLen);
                            Dma.UnmapSingle(rp.Pdev,
                                            rp.RxSkbuffDma[entry],
                                            rp.RxBufSz,
                                            DmaDirection.FromDevice);
                        }

                        if ((descLength & DescTag) != 0)
                            vlanTci = RhineGetVlanTci(skb, dataSize);

                        skb.Protocol = EthTypeTrans(skb, dev);

                        if ((descLength & DescTag) != 0)
                            VlanHwaccelPutTag(skb, EthP8021Q, vlanTci);
                        NetifReceiveSkb(skb);

                        U64StatsUpdateBegin(rp.RxStats);
                        rp.RxStats.Bytes += (ulong)pktLen;
                        rp.RxStats.Packets++;
                        U64StatsUpdateEnd(rp.RxStats);
                    }
                    entry = (++rp.CurRx) % RxRingSize;
                    rp.RxHeadDesc = rp.RxRing[entry];
                }

                /* Refill the Rx ring buffers. */
                for (; rp.CurRx - rp.DirtyRx > 0; rp.DirtyRx++)
                {
                    SkBuff? skb;
                    entry = rp.DirtyRx % RxRingSize;
                    if (rp.RxSkbuff[entry] == null)
                    {
                        skb = NetdevAllocSkb(dev, rp.RxBufSz);
                        rp.RxSkbuff[entry] = skb;
                        if (skb == null)
                            break; /* Better luck next round. */
                        rp.RxSkbuffDma[entry] =
                            {|P2P0020:Dma.MapSingle(rp.Pdev, skb.Head, skb.DataOffset,
                                          rp.RxBufSz,
                                          DmaDirection.FromDevice)|};
                        rp.RxRing[entry].Addr = CpuToLe32(rp.RxSkbuffDma[entry].Raw);
                    }
                    rp.RxRing[entry].RxStatus = CpuToLe32(DescOwn);
                }

                return count;
            }

            static int RhineClose(NetDevice dev)
            {
                RhinePrivate rp = NetdevPriv(dev);
                IoMem ioaddr = rp.Base;

                RhineTaskDisable(rp);
                NapiDisable(rp);
                NetifStopQueue(dev);

                NetifDbg(rp, dev, "Shutting down ethercard\n");

                /* Switch to loopback mode to avoid hardware races. */
                Iowrite8(rp.TxThresh | 0x02, ioaddr, TxConfig);

                RhineIrqDisable(rp);

                /* Stop the chip's Tx and Rx processes. */
                Iowrite8(CmdStop, ioaddr, ChipCmd);

                FreeIrq(rp.Irq, dev);
                FreeRbufs(dev);
                FreeTbufs(dev);
                FreeRing(dev);

                return 0;
            }
        }
        """;

    // The fix's three hunks, applied to the before text (marks removed).
    internal static readonly string RhineFixed = RhineBeforeFix
        .Replace("{|P2P0020:", string.Empty)
        .Replace("|}", string.Empty)
        .Replace(
            """
                                      DmaDirection.FromDevice);

                    rp.RxRing[i].Addr = CpuToLe32(rp.RxSkbuffDma[i].Raw);
        """,
            """
                                      DmaDirection.FromDevice);
                    if (Dma.MappingError(rp.Pdev, rp.RxSkbuffDma[i]))
                    {
                        rp.RxSkbuffDma[i] = DmaAddr.FromRaw(0);
                        DevKfreeSkb(skb);
                        break;
                    }
                    rp.RxRing[i].Addr = CpuToLe32(rp.RxSkbuffDma[i].Raw);
        """)
        .Replace(
            """
                                      DmaDirection.ToDevice);
                    rp.TxRing![entry].Addr = CpuToLe32(rp.TxSkbuffDma[entry].Raw);
        """,
            """
                                      DmaDirection.ToDevice);
                    if (Dma.MappingError(rp.Pdev, rp.TxSkbuffDma[entry]))
                    {
                        DevKfreeSkb(skb);
                        rp.TxSkbuffDma[entry] = DmaAddr.FromRaw(0);
                        dev.Stats.TxDropped++;
                        return NetdevTxOk;
                    }
                    rp.TxRing![entry].Addr = CpuToLe32(rp.TxSkbuffDma[entry].Raw);
        """)
        .Replace(
            """
                                          DmaDirection.FromDevice);
                        rp.RxRing[entry].Addr = CpuToLe32(rp.RxSkbuffDma[entry].Raw);
        """,
            """
                                          DmaDirection.FromDevice);
                        if (Dma.MappingError(rp.Pdev, rp.RxSkbuffDma[entry]))
                        {
                            DevKfreeSkb(skb);
                            rp.RxSkbuffDma[entry] = DmaAddr.FromRaw(0);
                            break;
                        }
                        rp.RxRing[entry].Addr = CpuToLe32(rp.RxSkbuffDma[entry].Raw);
        """);

    [Fact]
    public Task ViaRhine_BeforeFix_ThreeUncheckedMappingsIntoSkbuffDmaSlots_Reports() =>
        KernelVerify.RunAsync(Linux, RhineBeforeFix);

    [Fact]
    public Task ViaRhine_AsFixed_NoDiagnostic()
    {
        // The replacements above must all have applied, or this would test the unfixed code.
        Assert.Equal(3, RhineFixed.Split("Dma.MappingError(").Length - 1);
        Assert.DoesNotContain("{|", RhineFixed);
        return KernelVerify.RunAsync(Linux, RhineFixed);
    }
}
