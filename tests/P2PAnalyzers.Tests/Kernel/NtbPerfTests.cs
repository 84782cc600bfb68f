namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// ntb_perf (drivers/ntb/test/ntb_perf.c) writes through the NTB's outbound memory window with a DMA engine. The
/// window's address comes from the hardware driver's peer_mw_get_addr (drivers/ntb/hw/intel/ntb_hw_gen1.c,
/// intel_ntb_peer_mw_get_addr: pci_resource_start of the window's BAR), is cached in perf_setup_peer_mw, and mapped for
/// the DMA engine in perf_init_test with dma_map_resource: the DMA engine and the NTB are peers, the map type never asked.
/// </summary>
public sealed class NtbPerfTests
{
    // include/linux/ntb.h: struct ntb_dev_ops, the hardware driver's table of callbacks.
    private const string NtbHw = """
        interface INtbDevOps
        {
            int PeerMwGetAddr(int widx, out PhysAddr baseAddr, out ulong size);
        }

        sealed class NtbDev
        {
            public PciDevice Pdev = null!;
            public INtbDevOps Ops = null!;
        }

        // ntb_hw_gen1.c: struct intel_ntb_dev
        sealed class IntelNtbDev : INtbDevOps
        {
            public NtbDev Ntb = new();
            public int B2bIdx = -1;
            public ulong B2bOff;
            public int[] MwBars = { 2, 4 };

            // intel_ntb_peer_mw_get_addr
            public int PeerMwGetAddr(int idx, out PhysAddr baseAddr, out ulong size)
            {
                int bar = MwBars[idx];
                baseAddr = Ntb.Pdev.Bar(bar).CpuStart + (idx == B2bIdx ? B2bOff : 0);
                size = Ntb.Pdev.Bar(bar).Size - (idx == B2bIdx ? B2bOff : 0);
                return 0;
            }
        }
        """;

    private const string Perf = """
        sealed class PerfPeer
        {
            public PerfCtx Perf = null!;
            public PhysAddr OutPhysAddr;
            public ulong OutbufSize;
            public DmaAddr DmaDstAddr;
        }

        sealed class PerfCtx
        {
            public NtbDev Ntb = null!;
            public int Gidx;
            public PerfPeer TestPeer = null!;
        }

        sealed class PerfThread
        {
            public PerfCtx Perf = null!;
            public PciDevice? DmaChanDev;   // pthr->dma_chan->device->dev
            public KernelBuffer? Src;
        }

        static class NtbPerf
        {
            public static ulong MaxMwSize;

            // perf_setup_peer_mw: the outbound window's CPU address is cached in the peer
            public static int SetupPeerMw(PerfPeer peer)
            {
                PerfCtx perf = peer.Perf;
                int ret = perf.Ntb.Ops.PeerMwGetAddr(perf.Gidx, out PhysAddr physAddr, out peer.OutbufSize);
                if (ret != 0)
                {
                    return ret;
                }

                peer.OutPhysAddr = physAddr;
                if (MaxMwSize != 0 && peer.OutbufSize > MaxMwSize)
                {
                    peer.OutbufSize = MaxMwSize;
                }

                return 0;
            }

            // perf_init_test: map MMIO for the DMA engine
            public static int InitTest(PerfThread pthr, SystemMemory mem, PciDevice? dmaChan)
            {
                PerfCtx perf = pthr.Perf;
                PerfPeer peer = perf.TestPeer;
                pthr.Src = mem.Kmalloc(peer.OutbufSize);
                pthr.DmaChanDev = dmaChan;
                if (pthr.DmaChanDev is null)
                {
                    return -19;
                }

                peer.DmaDstAddr = {|P2P0010:Dma.MapResource(pthr.DmaChanDev, peer.OutPhysAddr, peer.OutbufSize, DmaDirection.FromDevice, 0)|};
                if (Dma.MappingError(pthr.DmaChanDev, peer.DmaDstAddr))
                {
                    peer.DmaDstAddr = DmaAddr.FromRaw(0);
                    return -19;
                }

                return 0;
            }

            // perf_clear_test
            public static void ClearTest(PerfThread pthr)
            {
                PerfPeer peer = pthr.Perf.TestPeer;
                if (pthr.DmaChanDev is not null)
                {
                    Dma.UnmapResource(pthr.DmaChanDev, peer.DmaDstAddr, peer.OutbufSize, DmaDirection.FromDevice, 0);
                }
            }
        }
        """;

    [Fact(Skip = "Gap: missed P2P0010 at Dma.MapResource in NtbPerf.InitTest. The BAR address reaches it as the out parameter of INtbDevOps.PeerMwGetAddr, stored into PerfPeer.OutPhysAddr in SetupPeerMw. Measured: caught only when both (1) the call goes to the class, not through the interface (an interface method's out parameter is not followed to IntelNtbDev) and (2) the implementation assigns CpuStart without the conditional offset (an out parameter assigned CpuStart + (idx == B2bIdx ? B2bOff : 0) loses the BAR fact, although the same expression is followed within a method)")]
    public Task PerfInitTest_DmaMapResourceOfOutPhysAddrCachedInPerfSetupPeerMw_Reports() => KernelVerify.RunAsync(NtbHw, Perf);

    // How the mapping reads with the provider of the window's BAR: one P2P-aware call per test.
    [Fact]
    public Task PerfInitTest_WithDmaMapP2POfTheWindowProvider_NoDiagnostic() => KernelVerify.RunAsync(
        NtbHw,
        """
        sealed class PerfPeer
        {
            public P2PProvider Provider = null!;
            public PhysAddr OutPhysAddr;
            public ulong OutbufSize;
            public P2PDmaMapping? DmaDst;
        }

        static class NtbPerf
        {
            public static int SetupPeerMw(NtbDev ntb, int gidx, PerfPeer peer)
            {
                int ret = ntb.Ops.PeerMwGetAddr(gidx, out PhysAddr physAddr, out peer.OutbufSize);
                peer.OutPhysAddr = physAddr;
                return ret;
            }

            public static int InitTest(PerfPeer peer, PciDevice dmaChanDev)
            {
                P2PDmaMapping m = Dma.MapP2P(dmaChanDev, peer.Provider, peer.OutPhysAddr, peer.OutbufSize, DmaDirection.FromDevice);
                if (m.Failed)
                {
                    return (int)m.Error;
                }

                peer.DmaDst = m;
                return 0;
            }

            public static void ClearTest(PerfPeer peer) => peer.DmaDst?.Unmap();
        }
        """);
}
