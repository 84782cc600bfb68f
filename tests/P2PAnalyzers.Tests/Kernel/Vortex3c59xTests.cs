namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// 3c59x (drivers/net/ethernet/3com/3c59x.c) before "3c59x: fix missing dma_mapping_error check and bad ring refill
/// logic" (Neil Horman, 2018): boomerang_rx passes the ring's skb up the stack, then its refill loop allocates a new
/// skb and writes <c>cpu_to_le32(pci_map_single(.., PKT_BUF_SZ, PCI_DMA_FROMDEVICE))</c> straight into the upload
/// descriptor (<c>struct boom_rx_desc { __le32 next; __le32 status; __le32 addr; __le32 length; }</c>, which the NIC
/// reads) with no dma_mapping_error(). The next boomerang_rx (another interrupt) unmaps that address from the
/// descriptor when it passes the buffer up, and vortex_close unmaps what is left. The fix allocates and maps the
/// replacement before passing the old buffer up, checks the mapping, and recycles the old buffer (dropping the
/// packet) when either fails; the refill loop goes.
/// </summary>
public sealed class Vortex3c59xTests
{
    // struct boom_rx_desc, struct vortex_private, the skb.
    internal const string Vortex = """
        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong Data;  // offset of skb->data in the head
            public uint Len;
            public bool CsumUnnecessary;
        }

        // struct boom_rx_desc: the upload descriptor the NIC walks
        sealed class BoomRxDesc
        {
            public uint Next;
            public uint Status;
            [DmaAddress] public uint Addr;
            public uint Length;
        }

        sealed class NetDeviceStats
        {
            public ulong RxErrors, RxOverErrors, RxLengthErrors, RxFrameErrors, RxCrcErrors, RxFifoErrors, RxPackets, RxDropped;
        }

        // struct vortex_private
        sealed class VortexPrivate
        {
            public const int RxRingSize = 32;

            public PciDevice Pdev = null!;  // VORTEX_PCI(vp)
            public SystemMemory Mem = null!;
            public BoomRxDesc[] RxRing = new BoomRxDesc[RxRingSize];
            public SkBuff?[] RxSkbuff = new SkBuff?[RxRingSize];
            public uint CurRx, DirtyRx;
            public bool FullBusMasterRx;
            public NetDeviceStats Stats = new();
            public ulong RxCopy, RxNocopy, RxCsumhits;
            public bool RxOomTimerArmed;
            public ushort El3Cmd;  // iowrite16(.., ioaddr + EL3_CMD)
        }

        static partial class Vortex3c59x
        {
            const ulong PktBufSz = 1536;
            const int RxCopybreak = 200;
            const uint RxDComplete = 0x00008000, RxDError = 0x4000;
            const uint IPChksumValid = 1u << 29, TCPChksumValid = 1u << 30, UDPChksumValid = 1u << 31;
            const ushort UpUnstall = 3 << 11;

            // netdev_alloc_skb_ip_align / netdev_alloc_skb
            static SkBuff? NetdevAllocSkb(VortexPrivate vp, ulong len) =>
                len == 0 ? null : new SkBuff { Head = vp.Mem.Kmalloc(len + 2), Data = 2 };

            static void NetifRx(VortexPrivate vp, SkBuff skb) => vp.Stats.RxPackets++;

            static void DevKfreeSkb(SkBuff skb) => skb.Len = 0;
        }
        """;

    // vortex_close: the bus-master RX buffers still on the ring are unmapped from their descriptors.
    internal const string Close = """
        static partial class Vortex3c59x
        {
            // vortex_close, the RX part
            public static int Close(VortexPrivate vp)
            {
                int i;

                if (vp.FullBusMasterRx)
                {
                    // Free Boomerang bus master Rx buffers.
                    for (i = 0; i < VortexPrivate.RxRingSize; i++)
                    {
                        if (vp.RxSkbuff[i] is SkBuff skb)
                        {
                            Dma.UnmapSingle(vp.Pdev, DmaAddr.FromRaw(vp.RxRing[i].Addr), PktBufSz, DmaDirection.FromDevice);
                            DevKfreeSkb(skb);
                            vp.RxSkbuff[i] = null;
                        }
                    }
                }

                return 0;
            }
        }
        """;

    // boomerang_rx before the fix: the refill loop maps into the descriptor unchecked.
    internal const string RxBeforeFix = """
        static partial class Vortex3c59x
        {
            // boomerang_rx
            public static int BoomerangRx(VortexPrivate vp)
            {
                uint entry = vp.CurRx % VortexPrivate.RxRingSize;
                uint rxStatus;
                int rxWorkLimit = (int)(vp.DirtyRx + VortexPrivate.RxRingSize - vp.CurRx);

                while (((rxStatus = vp.RxRing[entry].Status) & RxDComplete) != 0)
                {
                    if (--rxWorkLimit < 0)
                    {
                        break;
                    }

                    if ((rxStatus & RxDError) != 0)
                    {
                        // Error, update stats.
                        uint rxError = rxStatus >> 16;
                        vp.Stats.RxErrors++;
                        if ((rxError & 0x01) != 0) vp.Stats.RxOverErrors++;
                        if ((rxError & 0x02) != 0) vp.Stats.RxLengthErrors++;
                        if ((rxError & 0x04) != 0) vp.Stats.RxFrameErrors++;
                        if ((rxError & 0x08) != 0) vp.Stats.RxCrcErrors++;
                        if ((rxError & 0x10) != 0) vp.Stats.RxLengthErrors++;
                    }
                    else
                    {
                        // The packet length: up to 4.5K!.
                        uint pktLen = rxStatus & 0x1fff;
                        SkBuff? skb;
                        DmaAddr dma = DmaAddr.FromRaw(vp.RxRing[entry].Addr);

                        // Check if the packet is long enough to just accept without copying to a properly sized skbuff.
                        if (pktLen < RxCopybreak && (skb = NetdevAllocSkb(vp, pktLen + 2)) != null)
                        {
                            Dma.SyncSingleForCpu(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            skb.Head.Write(skb.Data, vp.RxSkbuff[entry]!.Head.Read(vp.RxSkbuff[entry]!.Data, (int)pktLen));
                            skb.Len = pktLen;
                            Dma.SyncSingleForDevice(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            vp.RxCopy++;
                        }
                        else
                        {
                            // Pass up the skbuff already on the Rx ring.
                            skb = vp.RxSkbuff[entry]!;
                            vp.RxSkbuff[entry] = null;
                            skb.Len = pktLen;  // skb_put(skb, pkt_len)
                            Dma.UnmapSingle(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            vp.RxNocopy++;
                        }

                        // Use hardware checksum info.
                        uint csumBits = rxStatus & 0xee000000;
                        if (csumBits != 0 && (csumBits == (IPChksumValid | TCPChksumValid) || csumBits == (IPChksumValid | UDPChksumValid)))
                        {
                            skb.CsumUnnecessary = true;
                            vp.RxCsumhits++;
                        }

                        NetifRx(vp, skb);
                    }

                    entry = (++vp.CurRx) % VortexPrivate.RxRingSize;
                }

                // Refill the Rx ring buffers.
                for (; vp.CurRx - vp.DirtyRx > 0; vp.DirtyRx++)
                {
                    SkBuff? skb;
                    entry = vp.DirtyRx % VortexPrivate.RxRingSize;
                    if (vp.RxSkbuff[entry] == null)
                    {
                        skb = NetdevAllocSkb(vp, PktBufSz);
                        if (skb == null)
                        {
                            // pr_warn("%s: memory shortage\n", dev->name) at most every 10 s
                            if ((vp.CurRx - vp.DirtyRx) == VortexPrivate.RxRingSize)
                            {
                                vp.RxOomTimerArmed = true;  // mod_timer(&vp->rx_oom_timer, RUN_AT(HZ * 1))
                            }

                            break;  // Bad news!
                        }

                        vp.RxRing[entry].Addr = (uint){|P2P0020:Dma.MapSingle(vp.Pdev, skb.Head, skb.Data, PktBufSz, DmaDirection.FromDevice)|}.Raw;
                        vp.RxSkbuff[entry] = skb;
                    }

                    vp.RxRing[entry].Status = 0;  // Clear complete bit.
                    vp.El3Cmd = UpUnstall;
                }

                return 0;
            }
        }
        """;

    [Fact]
    public Task Vortex3c59xBoomerangRx_BeforeFix_RefillMapsIntoDescriptorUnchecked_Reports() =>
        KernelVerify.RunAsync(Vortex, RxBeforeFix, Close);

    // As fixed: the replacement is allocated and mapped first and checked; on failure the packet is dropped and the
    // buffer on the ring stays.
    [Fact]
    public Task Vortex3c59xBoomerangRx_AsFixed_ReplacementMappedAndCheckedFirst_NoDiagnostic() => KernelVerify.RunAsync(
        Vortex,
        """
        static partial class Vortex3c59x
        {
            // boomerang_rx
            public static int BoomerangRx(VortexPrivate vp)
            {
                uint entry = vp.CurRx % VortexPrivate.RxRingSize;
                uint rxStatus;
                int rxWorkLimit = (int)(vp.DirtyRx + VortexPrivate.RxRingSize - vp.CurRx);

                while (((rxStatus = vp.RxRing[entry].Status) & RxDComplete) != 0)
                {
                    if (--rxWorkLimit < 0)
                    {
                        break;
                    }

                    if ((rxStatus & RxDError) != 0)
                    {
                        uint rxError = rxStatus >> 16;
                        vp.Stats.RxErrors++;
                        if ((rxError & 0x01) != 0) vp.Stats.RxOverErrors++;
                        if ((rxError & 0x02) != 0) vp.Stats.RxLengthErrors++;
                        if ((rxError & 0x04) != 0) vp.Stats.RxFrameErrors++;
                        if ((rxError & 0x08) != 0) vp.Stats.RxCrcErrors++;
                        if ((rxError & 0x10) != 0) vp.Stats.RxLengthErrors++;
                    }
                    else
                    {
                        uint pktLen = rxStatus & 0x1fff;
                        SkBuff? skb;
                        SkBuff? newskb;
                        DmaAddr newdma;
                        DmaAddr dma = DmaAddr.FromRaw(vp.RxRing[entry].Addr);

                        if (pktLen < RxCopybreak && (skb = NetdevAllocSkb(vp, pktLen + 2)) != null)
                        {
                            Dma.SyncSingleForCpu(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            skb.Head.Write(skb.Data, vp.RxSkbuff[entry]!.Head.Read(vp.RxSkbuff[entry]!.Data, (int)pktLen));
                            skb.Len = pktLen;
                            Dma.SyncSingleForDevice(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            vp.RxCopy++;
                        }
                        else
                        {
                            // Pre-allocate the replacement skb. If it or its mapping fails then recycle the buffer
                            // thats already in place.
                            newskb = NetdevAllocSkb(vp, PktBufSz);
                            if (newskb == null)
                            {
                                vp.Stats.RxDropped++;
                                goto clearComplete;
                            }

                            newdma = Dma.MapSingle(vp.Pdev, newskb.Head, newskb.Data, PktBufSz, DmaDirection.FromDevice);
                            if (Dma.MappingError(vp.Pdev, newdma))
                            {
                                vp.Stats.RxDropped++;
                                DevKfreeSkb(newskb);  // consume_skb
                                goto clearComplete;
                            }

                            // Pass up the skbuff already on the Rx ring.
                            skb = vp.RxSkbuff[entry]!;
                            vp.RxSkbuff[entry] = newskb;
                            vp.RxRing[entry].Addr = (uint)newdma.Raw;
                            skb.Len = pktLen;
                            Dma.UnmapSingle(vp.Pdev, dma, PktBufSz, DmaDirection.FromDevice);
                            vp.RxNocopy++;
                        }

                        uint csumBits = rxStatus & 0xee000000;
                        if (csumBits != 0 && (csumBits == (IPChksumValid | TCPChksumValid) || csumBits == (IPChksumValid | UDPChksumValid)))
                        {
                            skb.CsumUnnecessary = true;
                            vp.RxCsumhits++;
                        }

                        NetifRx(vp, skb);
                    }

                clearComplete:
                    vp.RxRing[entry].Status = 0;  // Clear complete bit.
                    vp.El3Cmd = UpUnstall;
                    entry = (++vp.CurRx) % VortexPrivate.RxRingSize;
                }

                return 0;
            }
        }
        """,
        Close);
}
