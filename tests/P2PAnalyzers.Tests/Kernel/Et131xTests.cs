namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// et131x (drivers/net/ethernet/agere/et131x.c, Agere ET1310 PCIe gigabit ethernet) before Thomas Fourier's
/// "et131x: Add missing check after DMA map" (d61f6cb6f6ef3c70d2ccc0d9c85c508cb8017da9, net, July 2025; the hash is
/// confirmed by the "[ Upstream commit d61f6cb6f6ef.. ]" line of its 5.15/6.12/6.16 stable review mails and by the
/// net-next pull that names it; Fixes: 38df6492eb51, the driver's move to drivers/net in 2014).
/// Before/after text: the merged v2 diff (index 678eddb36172..5c8217638dda, read from the stable review mail) applied
/// to nic_send_packet, and the rest of the TX path read from a 6.16-era et131x.c (Thomas-fourier/linux 50260e3b6e11,
/// which carries the v1 of the patch: its hunks were taken out and the v2 ones applied for the fixed text).
/// Four bug sites (P2P0020), the four map calls of nic_send_packet (the xmit path: et131x_tx, send_packet,
/// nic_send_packet), none checked before the fix: the skb head in one descriptor (dma_map_single, head &lt;= 1514
/// bytes), the two halves of a larger head (two dma_map_single), and each page fragment (skb_frag_dma_map, the
/// skbuff.h inline over dma_map_page). Each address goes through lower_32_bits/upper_32_bits into a
/// <c>struct tx_desc</c> on the stack, which is memcpy'd into the coherent TX descriptor ring the chip walks; the
/// completion (et131x_poll -> et131x_handle_send_pkts -> free_send_packet) and the link-down teardown
/// (et131x_adjust_link -> et131x_free_busy_send_packets -> free_send_packet) rebuild the address from the ring's
/// addr_lo/addr_hi and dma_unmap_single it. A failed mapping is thus handed to the chip and later unmapped.
/// The fix checks each one: a failed head (or first half) returns -ENOMEM (nothing mapped yet); a failed second half
/// goes to <c>unmap_first_out:</c>, which unmaps the descriptors already filled with dma_unmap_single; a failed
/// fragment goes to <c>unmap_out:</c>, which unmaps the earlier fragments with dma_unmap_page and falls into
/// <c>unmap_first_out:</c>. send_packet puts the tcb back and et131x_tx drops the skb.
/// Transliteration: the kernel's split is kept: include/linux (skbuff.h, netdevice.h, kernel.h helpers), et131x.h
/// (register map, DMA10 index macros) and et131x.c. <c>struct tx_desc</c>/<c>tcb</c>/<c>tx_ring</c>/
/// <c>et131x_adapter</c> are classes; the ring is a view of the dma_alloc_coherent block (kept beside it for
/// dma_free_coherent); a descriptor's addr_hi/addr_lo, which the chip reads, are declared DMA address sinks;
/// lower_32_bits/upper_32_bits are the one-expression macros (dma_addr_t handed as its raw u64); the on-stack
/// <c>desc[24]</c> is an array whose first nr_frags + 1 entries memset zeroes, and memcpy into the ring copies the
/// descriptors' words; pointers into the ring/tcb array are element references or indices; skb->data is the head
/// buffer and offset; registers are u32 fields written through writel/readl; locks, napi, phy and timers are no-op
/// stubs; the RX path (coherent buffers only, no streaming mapping) and the MII/MAC/EEPROM code are stubs.
/// Not marked (outside the rules or not changed by the fix): free_send_packet unmaps the page-mapped fragments with
/// dma_unmap_single (DMA-debug's "wrong function" before 6.17; P2P0021 says the family is no longer compared);
/// et1310_disable_phy_coma re-inits the tcb lists without freeing busy sends (not a DMA-API misuse within a function).
/// </summary>
public sealed class Et131xTests
{
    // include/linux/skbuff.h, netdevice.h, phy.h, kernel.h: what et131x's TX path uses of them.
    internal const string Linux = """
        // skb_frag_t (struct bio_vec)
        sealed class SkbFrag
        {
            public Page BvPage = null!;
            public uint BvLen;
            public uint BvOffset;
        }

        // struct skb_shared_info
        sealed class SkbSharedInfo
        {
            public int NrFrags;
            public SkbFrag[] Frags = new SkbFrag[17];
        }

        sealed class SkBuff
        {
            public KernelBuffer Head = null!;
            public ulong DataOffset;   // skb->data
            public uint Len;
            public uint DataLen;
            public SkbSharedInfo Shinfo = new();
        }

        sealed class NetDeviceStats
        {
            public ulong TxPackets, TxBytes, TxErrors, TxDropped;
        }

        sealed class PhyDevice
        {
            public int Speed;
            public int Link;
            public int Duplex;
            public int MdioAddr;
        }

        sealed class NetDevice
        {
            public string Name = "eth0";
            public int Mtu = 1500;
            public NetDeviceStats Stats = new();
            public PhyDevice? Phydev;
            public bool QueueStopped;
            public bool CarrierOk;
            public bool Running;
            public Et131xAdapter Priv = null!;   // netdev_priv(netdev)
        }

        static partial class Et131x
        {
            const int ENOMEM = 12;
            const int EIO = 5;
            const int NetdevTxOk = 0;
            const uint EthHlen = 14;
            const int Speed10 = 10, Speed100 = 100, Speed1000 = 1000;

            static Et131xAdapter NetdevPriv(NetDevice netdev) => netdev.Priv;

            static SkbSharedInfo SkbShinfo(SkBuff skb) => skb.Shinfo;
            static uint SkbHeadlen(SkBuff skb) => skb.Len - skb.DataLen;
            static uint SkbFragSize(SkbFrag frag) => frag.BvLen;
            static Page SkbFragPage(SkbFrag frag) => frag.BvPage;
            static ulong SkbFragOff(SkbFrag frag) => frag.BvOffset;

            // skb_frag_dma_map
            static DmaAddr SkbFragDmaMap(PciDevice dev, SkbFrag frag, ulong offset, ulong size, DmaDirection dir) =>
                Dma.MapPage(dev, SkbFragPage(frag), SkbFragOff(frag) + offset, size, dir);

            static int SkbLinearize(SkBuff skb) => 0;
            static void DevKfreeSkbAny(SkBuff skb) => skb.Len = 0;

            // lower_32_bits / upper_32_bits
            static uint LowerBits32(ulong n) => (uint)(n & 0xffffffff);
            static uint UpperBits32(ulong n) => (uint)((n >> 16) >> 16);

            static void NetifStopQueue(NetDevice dev) => dev.QueueStopped = true;
            static void NetifStartQueue(NetDevice dev) => dev.QueueStopped = false;
            static void NetifWakeQueue(NetDevice dev) => dev.QueueStopped = false;
            static bool NetifQueueStopped(NetDevice dev) => dev.QueueStopped;
            static bool NetifCarrierOk(NetDevice dev) => dev.CarrierOk;
            static void NetifTransUpdate(NetDevice dev) { }

            static void SpinLock(object lk) { }
            static void SpinUnlock(object lk) { }
            static void SpinLockIrqsave(object lk) { }
            static void SpinUnlockIrqrestore(object lk) { }
            static void WarnOn(bool cond) { }
            static void DevErr(PciDevice dev, string msg) { }
            static void DevWarn(PciDevice dev, string msg) { }
            static void PhyPrintStatus(PhyDevice phydev) { }
            static void NapiDisable(Et131xAdapter adapter) { }
            static void NapiCompleteDone(Et131xAdapter adapter, int workDone) { }
        }
        """;

    // et131x.h: the register blocks the TX path touches and the DMA10 ring-index macros.
    internal const string Et131xH = """
        // struct global_regs
        sealed class GlobalRegs
        {
            public uint PmCsr;
            public uint IntStatus;
            public uint IntMask;
            public uint SwReset;
            public uint WatchdogTimer;
        }

        // struct txdma_regs
        sealed class TxdmaRegs
        {
            public uint Csr;
            public uint PrBaseHi;
            public uint PrBaseLo;
            public uint PrNumDes;
            public uint DmaWbBaseHi;
            public uint DmaWbBaseLo;
            public uint ServiceRequest;
            public uint ServiceComplete;
            public uint NewServiceComplete;
        }

        // struct rxdma_regs (what the TX path's enable/disable touch)
        sealed class RxdmaRegs
        {
            public uint Csr;
        }

        // struct address_map
        sealed class AddressMap
        {
            public GlobalRegs Global = new();
            public TxdmaRegs Txdma = new();
            public RxdmaRegs Rxdma = new();
        }

        static partial class Et131x
        {
            const uint ET_TXDMA_CSR_HALT = 0x00000001;
            const uint ET_TXDMA_CACHE_SHIFT = 4;
            const uint ET_TXDMA_SNGL_EPKT = 0x00000100;

            const uint ET_DMA10_MASK = 0x03FF;   /* 10 bit mask for DMA10W types */
            const uint ET_DMA10_WRAP = 0x0400;

            const uint ET_RXDMA_CSR_HALT = 0x0001;
            const uint ET_RXDMA_CSR_FBR1_ENABLE = 0x2000;

            static uint INDEX10(uint x) => x & ET_DMA10_MASK;

            static void Writel(uint value, ref uint reg) => reg = value;
            static uint Readl(ref uint reg) => reg;
        }
        """;

    // et131x.c right before the fix: struct tx_desc, tcb, tx_ring, et131x_adapter, and the TX path:
    // et131x_tx_dma_enable/disable, add_10bit, et131x_config_tx_dma_regs, et131x_adapter_setup,
    // et131x_enable/disable_interrupts, et131x_enable/disable_txrx, et131x_init_send, et1310_disable_phy_coma,
    // et131x_tx_dma_memory_alloc/free, nic_send_packet, send_packet, free_send_packet,
    // et131x_free_busy_send_packets, et131x_handle_send_pkts, et131x_adapter_memory_alloc/free, et131x_adjust_link,
    // et131x_pci_remove, et131x_poll, et131x_tx, et131x_tx_timeout, et131x_change_mtu, et131x_pci_setup.
    internal const string Et131xBeforeFix = """
        // struct tx_desc represents each descriptor on the ring
        sealed class TxDesc
        {
            [DmaAddress] public uint AddrHi;
            [DmaAddress] public uint AddrLo;
            public uint LenVlan;   /* control words how to xmit the */
            public uint Flags;     /* data (detailed above) */
        }

        // TCB (Transmit Control Block: Host Side)
        sealed class Tcb
        {
            public Tcb? Next;      /* Next entry in ring */
            public uint Count;     /* Used to spot stuck/lost packets */
            public uint Stale;     /* Used to spot stuck/lost packets */
            public SkBuff? Skb;    /* Network skb we are tied to */
            public uint Index;     /* Ring indexes */
            public uint IndexStart;
        }

        // Structure representing our local reference(s) to the ring
        sealed class TxRing
        {
            /* TCB (Transmit Control Block) memory and lists */
            public Tcb[]? TcbRing;

            /* List of TCBs that are ready to be used */
            public Tcb? TcbQhead;
            public Tcb? TcbQtail;

            /* list of TCBs that are currently being sent. */
            public Tcb? SendHead;
            public Tcb? SendTail;
            public int Used;

            /* The actual descriptor ring */
            public TxDesc[]? TxDescRing;
            public KernelBuffer? TxDescRingMem;   // the coherent block tx_desc_ring points to
            public DmaAddr TxDescRingPa;

            /* send_idx indicates where we last wrote to in the descriptor ring. */
            public uint SendIdx;

            /* The location of the write-back status block */
            public KernelBuffer? TxStatus;
            public DmaAddr TxStatusPa;

            /* Packets since the last IRQ: used for interrupt coalescing */
            public int SinceIrq;
        }

        // struct rx_ring (coherent buffers only; what the TX path reads of it)
        sealed class RxRing
        {
            public bool UnfinishedReceives;
        }

        // The private adapter structure
        sealed class Et131xAdapter
        {
            public NetDevice Netdev = null!;
            public PciDevice Pdev = null!;
            public uint Flags;
            public int Link;
            public int PacketFilter;
            public uint RegistryJumboPacket;
            public byte Flow;
            public byte BootComa;

            public object TcbSendQlock = new();    /* protects the tx_ring send tcb list */
            public object TcbReadyQlock = new();   /* protects the tx_ring ready tcb list */

            public AddressMap? Regs;               /* Pointer to the device's PCI register space */

            public TxRing TxRing = new();          /* Tx Memory Variables */
            public RxRing RxRing = new();          /* Rx Memory Variables */
        }

        static partial class Et131x
        {
            const uint TXDESC_FLAG_LASTPKT = 0x0001;
            const uint TXDESC_FLAG_FIRSTPKT = 0x0002;
            const uint TXDESC_FLAG_INTPROC = 0x0004;

            const uint NUM_DESC_PER_RING_TX = 512;
            const int NUM_TCB = 64;
            const ulong SizeofTxDesc = 16;
            const int MAX_TX_DESC_PER_PKT = 24;

            const int PARM_TX_NUM_BUFS_DEF = 4;
            const uint PARM_TX_TIME_INT_DEF = 40;
            const uint PARM_DMA_CACHE_DEF = 0;
            const uint NANO_IN_A_MICRO = 1000;
            const uint NIC_SEND_HANG_THRESHOLD = 0;

            const uint FMP_ADAPTER_INTERRUPT_IN_USE = 0x00000008;
            const uint FMP_ADAPTER_LOWER_POWER = 0x00200000;
            const uint FMP_ADAPTER_NON_RECOVER_ERROR = 0x00800000;
            const uint FMP_ADAPTER_HARDWARE_ERROR = 0x04000000;
            const uint FMP_ADAPTER_FAIL_SEND_MASK = 0x3ff00000;

            const byte FLOW_BOTH = 0, FLOW_TXONLY = 1;
            const uint INT_MASK_DISABLE = 0xffffffff;
            const uint INT_MASK_ENABLE = 0xfffebf17;
            const uint INT_MASK_ENABLE_NO_FLOW = 0xfffebfd7;

            // the descriptor ring inside the coherent block
            static TxDesc[] TxDescRingView(KernelBuffer ring)
            {
                var v = new TxDesc[NUM_DESC_PER_RING_TX];
                for (int i = 0; i < v.Length; i++)
                    v[i] = new TxDesc();
                return v;
            }

            // memset(desc, 0, sizeof(struct tx_desc) * n) of the on-stack descriptors
            static void MemsetTxDesc(TxDesc[] desc, uint n)
            {
                for (uint k = 0; k < n; k++)
                    desc[k] = new TxDesc();
            }

            // memcpy(dst + dstIdx, src + srcIdx, sizeof(struct tx_desc) * n)
            static void MemcpyTxDesc(TxDesc[] dst, uint dstIdx, TxDesc[] src, uint srcIdx, uint n)
            {
                for (uint k = 0; k < n; k++)
                {
                    dst[dstIdx + k].AddrHi = src[srcIdx + k].AddrHi;
                    dst[dstIdx + k].AddrLo = src[srcIdx + k].AddrLo;
                    dst[dstIdx + k].LenVlan = src[srcIdx + k].LenVlan;
                    dst[dstIdx + k].Flags = src[srcIdx + k].Flags;
                }
            }

            // memset(tcb, 0, sizeof(struct tcb))
            static void MemsetTcb(Tcb tcb)
            {
                tcb.Next = null;
                tcb.Count = 0;
                tcb.Stale = 0;
                tcb.Skb = null;
                tcb.Index = 0;
                tcb.IndexStart = 0;
            }

            // Driver functions the TX path calls that do no DMA mapping (RX engine, MAC, MII, PHY coma).
            static void Et131xRxDmaEnable(Et131xAdapter adapter) => Writel(ET_RXDMA_CSR_FBR1_ENABLE, ref adapter.Regs!.Rxdma.Csr);
            static void Et131xRxDmaDisable(Et131xAdapter adapter) =>
                Writel(ET_RXDMA_CSR_HALT | ET_RXDMA_CSR_FBR1_ENABLE, ref adapter.Regs!.Rxdma.Csr);
            static int Et131xHandleRecvPkts(Et131xAdapter adapter, int budget) => 0;
            static int Et131xRxDmaMemoryAlloc(Et131xAdapter adapter) => 0;
            static void Et131xRxDmaMemoryFree(Et131xAdapter adapter) { }
            static int Et131xInitRecv(Et131xAdapter adapter) => 0;
            static void Et131xSoftReset(Et131xAdapter adapter) => Writel(0x7f, ref adapter.Regs!.Global.SwReset);
            static void Et131xConfigureGlobalRegs(Et131xAdapter adapter) => Writel(0, ref adapter.Regs!.Global.WatchdogTimer);
            static void Et131xConfigRxDmaRegs(Et131xAdapter adapter) => Et131xRxDmaDisable(adapter);
            static void Et1310ConfigMacRegs2(Et131xAdapter adapter) { }
            static void Et1310ConfigFlowControl(Et131xAdapter adapter) { }
            static void Et131xSetRxDmaTimer(Et131xAdapter adapter) { }
            static int Et1310InPhyComa(Et131xAdapter adapter) => (adapter.Regs!.Global.PmCsr & 0x40) != 0 ? 1 : 0;
            static void Et131xHwaddrInit(Et131xAdapter adapter) { }
            static int Et131xPciInit(Et131xAdapter adapter, PciDevice pdev) => 0;
            static int Et131xMiiProbe(NetDevice netdev) => 0;

            static void Et131xTxDmaEnable(Et131xAdapter adapter)
            {
                /* Setup the transmit dma configuration register for normal
                 * operation
                 */
                Writel(ET_TXDMA_SNGL_EPKT | (PARM_DMA_CACHE_DEF << (int)ET_TXDMA_CACHE_SHIFT),
                       ref adapter.Regs!.Txdma.Csr);
            }

            static void Add10bit(ref uint v, int n)
            {
                v = INDEX10(v + (uint)n) | (v & ET_DMA10_WRAP);
            }

            /* et131x_config_tx_dma_regs - Set up the tx dma section of the JAGCore. */
            static void Et131xConfigTxDmaRegs(Et131xAdapter adapter)
            {
                TxdmaRegs txdma = adapter.Regs!.Txdma;
                TxRing txRing = adapter.TxRing;

                /* Load the hardware with the start of the transmit descriptor ring. */
                Writel(UpperBits32(txRing.TxDescRingPa.Raw), ref txdma.PrBaseHi);
                Writel(LowerBits32(txRing.TxDescRingPa.Raw), ref txdma.PrBaseLo);

                /* Initialise the transmit DMA engine */
                Writel(NUM_DESC_PER_RING_TX - 1, ref txdma.PrNumDes);

                /* Load the completion writeback physical address */
                Writel(UpperBits32(txRing.TxStatusPa.Raw), ref txdma.DmaWbBaseHi);
                Writel(LowerBits32(txRing.TxStatusPa.Raw), ref txdma.DmaWbBaseLo);

                txRing.TxStatus!.Write(0, new byte[4]);

                Writel(0, ref txdma.ServiceRequest);
                txRing.SendIdx = 0;
            }

            /* et131x_adapter_setup - Set the adapter up as per cassini+ documentation */
            static void Et131xAdapterSetup(Et131xAdapter adapter)
            {
                Et131xConfigureGlobalRegs(adapter);
                Et131xConfigRxDmaRegs(adapter);
                Et131xConfigTxDmaRegs(adapter);
            }

            static void Et131xEnableInterrupts(Et131xAdapter adapter)
            {
                uint mask;

                if (adapter.Flow == FLOW_TXONLY || adapter.Flow == FLOW_BOTH)
                    mask = INT_MASK_ENABLE;
                else
                    mask = INT_MASK_ENABLE_NO_FLOW;

                Writel(mask, ref adapter.Regs!.Global.IntMask);
            }

            static void Et131xDisableInterrupts(Et131xAdapter adapter)
            {
                Writel(INT_MASK_DISABLE, ref adapter.Regs!.Global.IntMask);
            }

            static void Et131xTxDmaDisable(Et131xAdapter adapter)
            {
                /* Setup the transmit dma configuration register */
                Writel(ET_TXDMA_CSR_HALT | ET_TXDMA_SNGL_EPKT,
                       ref adapter.Regs!.Txdma.Csr);
            }

            static void Et131xEnableTxrx(NetDevice netdev)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);

                Et131xRxDmaEnable(adapter);
                Et131xTxDmaEnable(adapter);

                if ((adapter.Flags & FMP_ADAPTER_INTERRUPT_IN_USE) != 0)
                    Et131xEnableInterrupts(adapter);

                NetifStartQueue(netdev);
            }

            static void Et131xDisableTxrx(NetDevice netdev)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);

                NetifStopQueue(netdev);

                Et131xRxDmaDisable(adapter);
                Et131xTxDmaDisable(adapter);

                Et131xDisableInterrupts(adapter);
            }

            static void Et131xInitSend(Et131xAdapter adapter)
            {
                int i;
                TxRing txRing = adapter.TxRing;
                Tcb[] tcbRing = txRing.TcbRing!;
                int tcb = 0;   // struct tcb *tcb = tx_ring->tcb_ring;

                txRing.TcbQhead = tcbRing[tcb];

                for (i = 0; i < NUM_TCB; i++)
                    MemsetTcb(tcbRing[i]);

                for (i = 0; i < NUM_TCB; i++)
                {
                    tcbRing[tcb].Next = tcb + 1 < NUM_TCB ? tcbRing[tcb + 1] : null;
                    tcb++;
                }

                tcb--;
                txRing.TcbQtail = tcbRing[tcb];
                tcbRing[tcb].Next = null;
                /* Curr send queue should now be empty */
                txRing.SendHead = null;
                txRing.SendTail = null;
            }

            static void Et1310DisablePhyComa(Et131xAdapter adapter)
            {
                uint pmcsr;

                pmcsr = Readl(ref adapter.Regs!.Global.PmCsr);

                /* Disable phy_sw_coma register and re-enable JAGCore clocks */
                pmcsr |= 0x3F;
                pmcsr &= ~0x40u;
                Writel(pmcsr, ref adapter.Regs.Global.PmCsr);

                /* Re-initialize the send structures */
                Et131xInitSend(adapter);

                /* Bring the device back to the state it was during init prior to
                 * autonegotiation being complete.
                 */
                Et131xSoftReset(adapter);

                Et131xAdapterSetup(adapter);

                /* Allow Tx to restart */
                adapter.Flags &= ~FMP_ADAPTER_LOWER_POWER;

                Et131xEnableTxrx(adapter.Netdev);
            }

            /* et131x_tx_dma_memory_alloc
             *
             * Allocates memory that will be visible both to the device and to the CPU.
             */
            static int Et131xTxDmaMemoryAlloc(Et131xAdapter adapter)
            {
                ulong descSize = 0;
                TxRing txRing = adapter.TxRing;

                /* Allocate memory for the TCB's (Transmit Control Block) */
                txRing.TcbRing = new Tcb[NUM_TCB];
                for (int k = 0; k < NUM_TCB; k++)
                    txRing.TcbRing[k] = new Tcb();

                descSize = (SizeofTxDesc * NUM_DESC_PER_RING_TX);
                txRing.TxDescRingMem = Dma.AllocCoherent(adapter.Pdev,
                                                         descSize,
                                                         out txRing.TxDescRingPa);
                if (txRing.TxDescRingMem == null)
                {
                    DevErr(adapter.Pdev, "Cannot alloc memory for Tx Ring\n");
                    return -ENOMEM;
                }
                txRing.TxDescRing = TxDescRingView(txRing.TxDescRingMem);

                txRing.TxStatus = Dma.AllocCoherent(adapter.Pdev,
                                                    sizeof(uint),
                                                    out txRing.TxStatusPa);
                if (txRing.TxStatus == null)
                {
                    DevErr(adapter.Pdev, "Cannot alloc memory for Tx status block\n");
                    return -ENOMEM;
                }
                return 0;
            }

            static void Et131xTxDmaMemoryFree(Et131xAdapter adapter)
            {
                ulong descSize = 0;
                TxRing txRing = adapter.TxRing;

                if (txRing.TxDescRingMem != null)
                {
                    /* Free memory relating to Tx rings here */
                    descSize = (SizeofTxDesc * NUM_DESC_PER_RING_TX);
                    Dma.FreeCoherent(adapter.Pdev,
                                     descSize,
                                     txRing.TxDescRingMem,
                                     txRing.TxDescRingPa);
                    txRing.TxDescRingMem = null;
                    txRing.TxDescRing = null;
                }

                /* Free memory for the Tx status block */
                if (txRing.TxStatus != null)
                {
                    Dma.FreeCoherent(adapter.Pdev,
                                     sizeof(uint),
                                     txRing.TxStatus,
                                     txRing.TxStatusPa);

                    txRing.TxStatus = null;
                }
                /* Free the memory for the tcb structures */
                txRing.TcbRing = null;
            }

            /* nic_send_packet - NIC specific send handler for version B silicon. */
            static int NicSendPacket(Et131xAdapter adapter, Tcb tcb)
            {
                uint i;
                TxDesc[] desc = new TxDesc[MAX_TX_DESC_PER_PKT];
                uint frag = 0;
                uint thiscopy, remainder;
                SkBuff skb = tcb.Skb!;
                uint nrFrags = (uint)SkbShinfo(skb).NrFrags + 1;
                SkbFrag[] frags = SkbShinfo(skb).Frags;
                PhyDevice? phydev = adapter.Netdev.Phydev;
                DmaAddr dmaAddr;
                TxRing txRing = adapter.TxRing;

                /* Part of the optimizations of this send routine restrict us to
                 * sending 24 fragments at a pass.  In practice we should never see
                 * more than 5 fragments.
                 */

                MemsetTxDesc(desc, nrFrags + 1);

                for (i = 0; i < nrFrags; i++)
                {
                    /* If there is something in this element, lets get a
                     * descriptor from the ring and get the necessary data
                     */
                    if (i == 0)
                    {
                        /* If the fragments are smaller than a standard MTU,
                         * then map them to a single descriptor in the Tx
                         * Desc ring. However, if they're larger, as is
                         * possible with support for jumbo packets, then
                         * split them each across 2 descriptors.
                         */
                        if (SkbHeadlen(skb) <= 1514)
                        {
                            /* Low 16bits are length, high is vlan and
                             * unused currently so zero
                             */
                            desc[frag].LenVlan = SkbHeadlen(skb);
                            dmaAddr = {|P2P0020:Dma.MapSingle(adapter.Pdev,
                                                    skb.Head, skb.DataOffset,
                                                    SkbHeadlen(skb),
                                                    DmaDirection.ToDevice)|};
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
                            desc[frag].AddrHi = UpperBits32(dmaAddr.Raw);
                            frag++;
                        }
                        else
                        {
                            desc[frag].LenVlan = SkbHeadlen(skb) / 2;
                            dmaAddr = {|P2P0020:Dma.MapSingle(adapter.Pdev,
                                                    skb.Head, skb.DataOffset,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice)|};
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
                            desc[frag].AddrHi = UpperBits32(dmaAddr.Raw);
                            frag++;

                            desc[frag].LenVlan = SkbHeadlen(skb) / 2;
                            dmaAddr = {|P2P0020:Dma.MapSingle(adapter.Pdev,
                                                    skb.Head, skb.DataOffset +
                                                    SkbHeadlen(skb) / 2,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice)|};
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
                            desc[frag].AddrHi = UpperBits32(dmaAddr.Raw);
                            frag++;
                        }
                    }
                    else
                    {
                        desc[frag].LenVlan = SkbFragSize(frags[i - 1]);
                        dmaAddr = {|P2P0020:SkbFragDmaMap(adapter.Pdev,
                                                frags[i - 1],
                                                0,
                                                desc[frag].LenVlan,
                                                DmaDirection.ToDevice)|};
                        desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
                        desc[frag].AddrHi = UpperBits32(dmaAddr.Raw);
                        frag++;
                    }
                }

                if (phydev != null && phydev.Speed == Speed1000)
                {
                    if (++txRing.SinceIrq == PARM_TX_NUM_BUFS_DEF)
                    {
                        /* Last element & Interrupt flag */
                        desc[frag - 1].Flags =
                                    TXDESC_FLAG_INTPROC | TXDESC_FLAG_LASTPKT;
                        txRing.SinceIrq = 0;
                    }
                    else
                    { /* Last element */
                        desc[frag - 1].Flags = TXDESC_FLAG_LASTPKT;
                    }
                }
                else
                {
                    desc[frag - 1].Flags =
                                TXDESC_FLAG_INTPROC | TXDESC_FLAG_LASTPKT;
                }

                desc[0].Flags |= TXDESC_FLAG_FIRSTPKT;

                tcb.IndexStart = txRing.SendIdx;
                tcb.Stale = 0;

                thiscopy = NUM_DESC_PER_RING_TX - INDEX10(txRing.SendIdx);

                if (thiscopy >= frag)
                {
                    remainder = 0;
                    thiscopy = frag;
                }
                else
                {
                    remainder = frag - thiscopy;
                }

                MemcpyTxDesc(txRing.TxDescRing!, INDEX10(txRing.SendIdx),
                             desc, 0,
                             thiscopy);

                Add10bit(ref txRing.SendIdx, (int)thiscopy);

                if (INDEX10(txRing.SendIdx) == 0 ||
                    INDEX10(txRing.SendIdx) == NUM_DESC_PER_RING_TX)
                {
                    txRing.SendIdx &= ~ET_DMA10_MASK;
                    txRing.SendIdx ^= ET_DMA10_WRAP;
                }

                if (remainder != 0)
                {
                    MemcpyTxDesc(txRing.TxDescRing!, 0,
                                 desc, thiscopy,
                                 remainder);

                    Add10bit(ref txRing.SendIdx, (int)remainder);
                }

                if (INDEX10(txRing.SendIdx) == 0)
                {
                    if (txRing.SendIdx != 0)
                        tcb.Index = NUM_DESC_PER_RING_TX - 1;
                    else
                        tcb.Index = ET_DMA10_WRAP | (NUM_DESC_PER_RING_TX - 1);
                }
                else
                {
                    tcb.Index = txRing.SendIdx - 1;
                }

                SpinLock(adapter.TcbSendQlock);

                if (txRing.SendTail != null)
                    txRing.SendTail.Next = tcb;
                else
                    txRing.SendHead = tcb;

                txRing.SendTail = tcb;

                WarnOn(tcb.Next != null);

                txRing.Used++;

                SpinUnlock(adapter.TcbSendQlock);

                /* Write the new write pointer back to the device. */
                Writel(txRing.SendIdx, ref adapter.Regs!.Txdma.ServiceRequest);

                /* For Gig only, we use Tx Interrupt coalescing.  Enable the software
                 * timer to wake us up if this packet isn't followed by N more.
                 */
                if (phydev != null && phydev.Speed == Speed1000)
                {
                    Writel(PARM_TX_TIME_INT_DEF * NANO_IN_A_MICRO,
                           ref adapter.Regs.Global.WatchdogTimer);
                }
                return 0;
            }

            static int SendPacket(SkBuff skb, Et131xAdapter adapter)
            {
                int status;
                Tcb? tcb;
                TxRing txRing = adapter.TxRing;

                /* All packets must have at least a MAC address and a protocol type */
                if (skb.Len < EthHlen)
                    return -EIO;

                SpinLockIrqsave(adapter.TcbReadyQlock);

                tcb = txRing.TcbQhead;

                if (tcb == null)
                {
                    SpinUnlockIrqrestore(adapter.TcbReadyQlock);
                    return -ENOMEM;
                }

                txRing.TcbQhead = tcb.Next;

                if (txRing.TcbQhead == null)
                    txRing.TcbQtail = null;

                SpinUnlockIrqrestore(adapter.TcbReadyQlock);

                tcb.Skb = skb;
                tcb.Next = null;

                status = NicSendPacket(adapter, tcb);

                if (status != 0)
                {
                    SpinLockIrqsave(adapter.TcbReadyQlock);

                    if (txRing.TcbQtail != null)
                        txRing.TcbQtail.Next = tcb;
                    else
                        /* Apparently ready Q is empty. */
                        txRing.TcbQhead = tcb;

                    txRing.TcbQtail = tcb;
                    SpinUnlockIrqrestore(adapter.TcbReadyQlock);
                    return status;
                }
                WarnOn(txRing.Used > NUM_TCB);
                return 0;
            }

            /* free_send_packet - Recycle a struct tcb */
            static void FreeSendPacket(Et131xAdapter adapter, Tcb tcb)
            {
                TxDesc? desc = null;
                NetDeviceStats stats = adapter.Netdev.Stats;
                TxRing txRing = adapter.TxRing;
                ulong dmaAddr;

                if (tcb.Skb != null)
                {
                    stats.TxBytes += tcb.Skb.Len;

                    /* Iterate through the TX descriptors on the ring
                     * corresponding to this packet and umap the fragments
                     * they point to
                     */
                    do
                    {
                        desc = txRing.TxDescRing![INDEX10(tcb.IndexStart)];

                        dmaAddr = desc.AddrLo;
                        dmaAddr |= (ulong)desc.AddrHi << 32;

                        Dma.UnmapSingle(adapter.Pdev,
                                        DmaAddr.FromRaw(dmaAddr),
                                        desc.LenVlan, DmaDirection.ToDevice);

                        Add10bit(ref tcb.IndexStart, 1);
                        if (INDEX10(tcb.IndexStart) >=
                                                NUM_DESC_PER_RING_TX)
                        {
                            tcb.IndexStart &= ~ET_DMA10_MASK;
                            tcb.IndexStart ^= ET_DMA10_WRAP;
                        }
                    } while (desc != txRing.TxDescRing[INDEX10(tcb.Index)]);

                    DevKfreeSkbAny(tcb.Skb);
                }

                MemsetTcb(tcb);

                /* Add the TCB to the Ready Q */
                SpinLockIrqsave(adapter.TcbReadyQlock);

                stats.TxPackets++;

                if (txRing.TcbQtail != null)
                    txRing.TcbQtail.Next = tcb;
                else /* Apparently ready Q is empty. */
                    txRing.TcbQhead = tcb;

                txRing.TcbQtail = tcb;

                SpinUnlockIrqrestore(adapter.TcbReadyQlock);
                WarnOn(txRing.Used < 0);
            }

            /* et131x_free_busy_send_packets - Free and complete the stopped active sends */
            static void Et131xFreeBusySendPackets(Et131xAdapter adapter)
            {
                Tcb? tcb;
                uint freed = 0;
                TxRing txRing = adapter.TxRing;

                /* Any packets being sent? Check the first TCB on the send list */
                SpinLockIrqsave(adapter.TcbSendQlock);

                tcb = txRing.SendHead;

                while (tcb != null && freed < NUM_TCB)
                {
                    Tcb? next = tcb.Next;

                    txRing.SendHead = next;

                    if (next == null)
                        txRing.SendTail = null;

                    txRing.Used--;

                    SpinUnlockIrqrestore(adapter.TcbSendQlock);

                    freed++;
                    FreeSendPacket(adapter, tcb);

                    SpinLockIrqsave(adapter.TcbSendQlock);

                    tcb = txRing.SendHead;
                }

                WarnOn(freed == NUM_TCB);

                SpinUnlockIrqrestore(adapter.TcbSendQlock);

                txRing.Used = 0;
            }

            /* et131x_handle_send_pkts
             *
             * Re-claim the send resources, complete sends and get more to send from
             * the send wait queue.
             */
            static void Et131xHandleSendPkts(Et131xAdapter adapter)
            {
                uint serviced;
                Tcb? tcb;
                uint index;
                TxRing txRing = adapter.TxRing;

                serviced = Readl(ref adapter.Regs!.Txdma.NewServiceComplete);
                index = INDEX10(serviced);

                /* Has the ring wrapped?  Process any descriptors that do not have
                 * the same "wrap" indicator as the current completion indicator
                 */
                SpinLockIrqsave(adapter.TcbSendQlock);

                tcb = txRing.SendHead;

                while (tcb != null &&
                       ((serviced ^ tcb.Index) & ET_DMA10_WRAP) != 0 &&
                       index < INDEX10(tcb.Index))
                {
                    txRing.Used--;
                    txRing.SendHead = tcb.Next;
                    if (tcb.Next == null)
                        txRing.SendTail = null;

                    SpinUnlockIrqrestore(adapter.TcbSendQlock);
                    FreeSendPacket(adapter, tcb);
                    SpinLockIrqsave(adapter.TcbSendQlock);

                    /* Goto the next packet */
                    tcb = txRing.SendHead;
                }
                while (tcb != null &&
                       ((serviced ^ tcb.Index) & ET_DMA10_WRAP) == 0 &&
                       index > (tcb.Index & ET_DMA10_MASK))
                {
                    txRing.Used--;
                    txRing.SendHead = tcb.Next;
                    if (tcb.Next == null)
                        txRing.SendTail = null;

                    SpinUnlockIrqrestore(adapter.TcbSendQlock);
                    FreeSendPacket(adapter, tcb);
                    SpinLockIrqsave(adapter.TcbSendQlock);

                    /* Goto the next packet */
                    tcb = txRing.SendHead;
                }

                /* Wake up the queue when we hit a low-water mark */
                if (txRing.Used <= NUM_TCB / 3)
                    NetifWakeQueue(adapter.Netdev);

                SpinUnlockIrqrestore(adapter.TcbSendQlock);
            }

            static void Et131xAdapterMemoryFree(Et131xAdapter adapter)
            {
                Et131xTxDmaMemoryFree(adapter);
                Et131xRxDmaMemoryFree(adapter);
            }

            static int Et131xAdapterMemoryAlloc(Et131xAdapter adapter)
            {
                int status;

                status = Et131xTxDmaMemoryAlloc(adapter);
                if (status != 0)
                {
                    DevErr(adapter.Pdev, "et131x_tx_dma_memory_alloc FAILED\n");
                    Et131xTxDmaMemoryFree(adapter);
                    return status;
                }

                status = Et131xRxDmaMemoryAlloc(adapter);
                if (status != 0)
                {
                    DevErr(adapter.Pdev, "et131x_rx_dma_memory_alloc FAILED\n");
                    Et131xAdapterMemoryFree(adapter);
                    return status;
                }

                status = Et131xInitRecv(adapter);
                if (status != 0)
                {
                    DevErr(adapter.Pdev, "et131x_init_recv FAILED\n");
                    Et131xAdapterMemoryFree(adapter);
                }
                return status;
            }

            static void Et131xAdjustLink(NetDevice netdev)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);
                PhyDevice? phydev = netdev.Phydev;

                if (phydev == null)
                    return;
                if (phydev.Link == adapter.Link)
                    return;

                /* Check to see if we are in coma mode and if
                 * so, disable it because we will not be able
                 * to read PHY values until we are out.
                 */
                if (Et1310InPhyComa(adapter) != 0)
                    Et1310DisablePhyComa(adapter);

                adapter.Link = phydev.Link;
                PhyPrintStatus(phydev);

                if (phydev.Link != 0)
                {
                    adapter.BootComa = 20;

                    Et1310ConfigFlowControl(adapter);

                    Et131xSetRxDmaTimer(adapter);
                    Et1310ConfigMacRegs2(adapter);
                }
                else
                {
                    adapter.BootComa = 0;

                    Et131xFreeBusySendPackets(adapter);
                    Et131xInitSend(adapter);

                    /* Bring the device back to the state it was during
                     * init prior to autonegotiation being complete. This
                     * way, when we get the auto-neg complete interrupt,
                     * we can complete init by calling config_mac_regs2.
                     */
                    Et131xSoftReset(adapter);

                    Et131xAdapterSetup(adapter);

                    Et131xDisableTxrx(netdev);
                    Et131xEnableTxrx(netdev);
                }
            }

            static void Et131xPciRemove(NetDevice netdev)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);

                Et131xAdapterMemoryFree(adapter);
                adapter.Regs = null;   // iounmap
            }

            static int Et131xPoll(Et131xAdapter adapter, int budget)
            {
                int workDone = Et131xHandleRecvPkts(adapter, budget);

                Et131xHandleSendPkts(adapter);

                if (workDone < budget)
                {
                    NapiCompleteDone(adapter, workDone);
                    Et131xEnableInterrupts(adapter);
                }

                return workDone;
            }

            static int Et131xTx(SkBuff skb, NetDevice netdev)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);
                TxRing txRing = adapter.TxRing;

                /* This driver does not support TSO, it is very unlikely
                 * this condition is true.
                 */
                if (SkbShinfo(skb).NrFrags > MAX_TX_DESC_PER_PKT - 2)
                {
                    if (SkbLinearize(skb) != 0)
                        goto drop_err;
                }
                /* stop the queue if it's getting full */
                if (txRing.Used >= NUM_TCB - 1 && !NetifQueueStopped(netdev))
                    NetifStopQueue(netdev);

                /* Save the timestamp for the TX timeout watchdog */
                NetifTransUpdate(netdev);

                /* TCB is not available */
                if (txRing.Used >= NUM_TCB)
                    goto drop_err;

                if ((adapter.Flags & FMP_ADAPTER_FAIL_SEND_MASK) != 0 ||
                    !NetifCarrierOk(netdev))
                    goto drop_err;

                if (SendPacket(skb, adapter) != 0)
                    goto drop_err;

                return NetdevTxOk;

            drop_err:
                DevKfreeSkbAny(skb);
                adapter.Netdev.Stats.TxDropped++;
                return NetdevTxOk;
            }

            /* et131x_tx_timeout - Timeout handler */
            static void Et131xTxTimeout(NetDevice netdev, uint txqueue)
            {
                Et131xAdapter adapter = NetdevPriv(netdev);
                TxRing txRing = adapter.TxRing;
                Tcb? tcb;

                /* If the device is closed, ignore the timeout */
                if ((adapter.Flags & FMP_ADAPTER_INTERRUPT_IN_USE) == 0)
                    return;

                /* Any nonrecoverable hardware error?
                 * Checks adapter->flags for any failure in phy reading
                 */
                if ((adapter.Flags & FMP_ADAPTER_NON_RECOVER_ERROR) != 0)
                    return;

                /* Hardware failure? */
                if ((adapter.Flags & FMP_ADAPTER_HARDWARE_ERROR) != 0)
                {
                    DevErr(adapter.Pdev, "hardware error - reset\n");
                    return;
                }

                /* Is send stuck? */
                SpinLockIrqsave(adapter.TcbSendQlock);
                tcb = txRing.SendHead;
                SpinUnlockIrqrestore(adapter.TcbSendQlock);

                if (tcb != null)
                {
                    tcb.Count++;

                    if (tcb.Count > NIC_SEND_HANG_THRESHOLD)
                    {
                        DevWarn(adapter.Pdev, "Send stuck - reset.\n");

                        adapter.Netdev.Stats.TxErrors++;

                        /* perform reset of tx/rx */
                        Et131xDisableTxrx(netdev);
                        Et131xEnableTxrx(netdev);
                    }
                }
            }

            static int Et131xChangeMtu(NetDevice netdev, int newMtu)
            {
                int result = 0;
                Et131xAdapter adapter = NetdevPriv(netdev);

                Et131xDisableTxrx(netdev);

                netdev.Mtu = newMtu;

                Et131xAdapterMemoryFree(adapter);

                /* Set the config parameter for Jumbo Packet support */
                adapter.RegistryJumboPacket = (uint)newMtu + 14;
                Et131xSoftReset(adapter);

                result = Et131xAdapterMemoryAlloc(adapter);
                if (result != 0)
                {
                    DevWarn(adapter.Pdev, "Change MTU failed; couldn't re-alloc DMA memory\n");
                    return result;
                }

                Et131xInitSend(adapter);
                Et131xHwaddrInit(adapter);

                /* Init the device with the new settings */
                Et131xAdapterSetup(adapter);
                Et131xEnableTxrx(netdev);

                return result;
            }

            // et131x_pci_setup: what of probe sets up the TX memory (PCI enable, regions, mii bus stubbed).
            static int Et131xPciSetup(PciDevice pdev, NetDevice netdev)
            {
                Et131xAdapter adapter;
                int rc;

                /* Check the DMA addressing support of this device */
                if (Dma.SetMaskAndCoherent(pdev, Dma.BitMask(64)) != DmaError.None)
                {
                    DevErr(pdev, "No usable DMA addressing method\n");
                    return -EIO;
                }

                adapter = new Et131xAdapter { Netdev = netdev, Pdev = pdev, RegistryJumboPacket = 1514 };
                netdev.Priv = adapter;

                rc = Et131xPciInit(adapter, pdev);
                if (rc < 0)
                    goto err_free_dev;

                /* Map the bus-relative registers to system virtual memory */
                adapter.Regs = new AddressMap();

                Et131xSoftReset(adapter);
                Et131xDisableInterrupts(adapter);

                rc = Et131xAdapterMemoryAlloc(adapter);
                if (rc < 0)
                {
                    DevErr(pdev, "Could not alloc adapter memory (DMA)\n");
                    goto err_iounmap;
                }

                Et131xInitSend(adapter);

                rc = Et131xMiiProbe(netdev);
                if (rc < 0)
                {
                    DevErr(pdev, "failed to probe MII bus\n");
                    goto err_mem_free;
                }

                Et131xAdapterSetup(adapter);

                /* Init variable for counting how long we do not have link status */
                adapter.BootComa = 0;
                Et1310DisablePhyComa(adapter);

                return 0;

            err_mem_free:
                Et131xAdapterMemoryFree(adapter);
            err_iounmap:
                adapter.Regs = null;
            err_free_dev:
                netdev.Priv = null!;
                return rc;
            }
        }
        """;

    // The merged v2 diff (d61f6cb6f6ef), applied to the before text (marks removed).
    internal static readonly string Et131xFixed = Et131xBeforeFix
        .Replace("{|P2P0020:", string.Empty)
        .Replace("|}", string.Empty)
        .Replace(
            """
                                                    SkbHeadlen(skb),
                                                    DmaDirection.ToDevice);
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """,
            """
                                                    SkbHeadlen(skb),
                                                    DmaDirection.ToDevice);
                            if (Dma.MappingError(adapter.Pdev,
                                                 dmaAddr))
                                return -ENOMEM;

                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """)
        .Replace(
            """
                                                    skb.Head, skb.DataOffset,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice);
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """,
            """
                                                    skb.Head, skb.DataOffset,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice);
                            if (Dma.MappingError(adapter.Pdev,
                                                 dmaAddr))
                                return -ENOMEM;

                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """)
        .Replace(
            """
                                                    SkbHeadlen(skb) / 2,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice);
                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """,
            """
                                                    SkbHeadlen(skb) / 2,
                                                    SkbHeadlen(skb) / 2,
                                                    DmaDirection.ToDevice);
                            if (Dma.MappingError(adapter.Pdev,
                                                 dmaAddr))
                                goto unmap_first_out;

                            desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """)
        .Replace(
            """
                                                desc[frag].LenVlan,
                                                DmaDirection.ToDevice);
                        desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """,
            """
                                                desc[frag].LenVlan,
                                                DmaDirection.ToDevice);
                        if (Dma.MappingError(adapter.Pdev, dmaAddr))
                            goto unmap_out;

                        desc[frag].AddrLo = LowerBits32(dmaAddr.Raw);
        """)
        .Replace(
            """
                           ref adapter.Regs.Global.WatchdogTimer);
                }
                return 0;
            }
        """,
            """
                           ref adapter.Regs.Global.WatchdogTimer);
                }
                return 0;

            unmap_out:
                // Unmap the body of the packet with map_page
                while (--i != 0)
                {
                    frag--;
                    dmaAddr = DmaAddr.FromRaw(desc[frag].AddrLo);
                    dmaAddr = DmaAddr.FromRaw(dmaAddr.Raw | (ulong)desc[frag].AddrHi << 32);
                    Dma.UnmapPage(adapter.Pdev, dmaAddr,
                                  desc[frag].LenVlan, DmaDirection.ToDevice);
                }

            unmap_first_out:
                // Unmap the header with map_single
                while (frag-- != 0)
                {
                    dmaAddr = DmaAddr.FromRaw(desc[frag].AddrLo);
                    dmaAddr = DmaAddr.FromRaw(dmaAddr.Raw | (ulong)desc[frag].AddrHi << 32);
                    Dma.UnmapSingle(adapter.Pdev, dmaAddr,
                                    desc[frag].LenVlan, DmaDirection.ToDevice);
                }

                return -ENOMEM;
            }
        """);

    [Fact]
    public Task Et131x_BeforeFix_FourUncheckedTxMappingsIntoTheDescriptorRing_Reports() =>
        KernelVerify.RunAsync(Linux, Et131xH, Et131xBeforeFix);

    [Fact]
    public Task Et131x_AsFixed_NoDiagnostic()
    {
        // The replacements above must all have applied, or this would test the unfixed code.
        Assert.Equal(4, Et131xFixed.Split("Dma.MappingError(").Length - 1);
        Assert.Contains("unmap_first_out:", Et131xFixed);
        Assert.DoesNotContain("{|", Et131xFixed);
        return KernelVerify.RunAsync(Linux, Et131xH, Et131xFixed);
    }
}
