using Microsoft.CodeAnalysis.Testing;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0021: an unmap given another direction or size than its map call. The positives are ath10k's management-frame
/// path ("ath10k: fix dma unmap direction for management frames", 2019), split as the driver splits it.
/// </summary>
public sealed class P2P0021Tests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    private const string Ath10k = """
        class SkBuff
        {
            public KernelBuffer Data = null!;
            public uint Len;
        }

        class Ath10k
        {
            public PciDevice Dev = null!;
            public Queue<SkBuff> MgmtTxQueue = new();

            public int WmiMgmtTxSend(SkBuff skb, DmaAddr paddr) => paddr.Raw == 0 ? -5 : 0;
        }

        """;

    [Fact]
    public Task Ath10kMgmtOverWmiTxWork_UnmapsFromDeviceWhatWasMappedToDevice_Reports() => Verifier.Analyzer(Usings + Ath10k + """
        static class Mac
        {
            // ath10k_mgmt_over_wmi_tx_work (drivers/net/wireless/ath/ath10k/mac.c)
            public static void Ath10kMgmtOverWmiTxWork(Ath10k ar)
            {
                while (ar.MgmtTxQueue.TryDequeue(out SkBuff? skb))
                {
                    DmaAddr paddr = {|#1:Dma.MapSingle(ar.Dev, skb.Data, 0, skb.Len, DmaDirection.ToDevice)|};
                    if (Dma.MappingError(ar.Dev, paddr))
                    {
                        continue;
                    }

                    int ret = ar.WmiMgmtTxSend(skb, paddr);
                    if (ret != 0)
                    {
                        Dma.UnmapSingle(ar.Dev, paddr, skb.Len, {|#0:DmaDirection.FromDevice|});
                    }
                }
            }
        }
        """,
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSingle", "paddr", "direction", "FromDevice", "Dma.MapSingle", "ToDevice"));

    [Fact]
    public Task WmiProcessMgmtTxComp_UnmapsThePendingFrameFromDevice_Reports() => Verifier.Analyzer(Usings + """
        class MgmtTxPktAddr
        {
            public KernelBuffer Vaddr = null!;
            public uint Len;
            public DmaAddr Paddr;
        }

        class Ath10kWmi
        {
            public PciDevice Dev = null!;
            private MgmtTxPktAddr? _pending;

            // ath10k_wmi_mgmt_tx_send keeps the frame and its address until the firmware completes it
            public int MgmtTxSend(KernelBuffer frame, uint len)
            {
                DmaAddr paddr = {|#1:Dma.MapSingle(Dev, frame, 0, len, DmaDirection.ToDevice)|};
                if (Dma.MappingError(Dev, paddr))
                {
                    return -12;
                }

                _pending = new MgmtTxPktAddr { Vaddr = frame, Len = len, {|#2:Paddr = paddr|} };
                return 0;
            }

            // wmi_process_mgmt_tx_comp
            public int ProcessMgmtTxComp(int status)
            {
                MgmtTxPktAddr? pktAddr = _pending;
                if (pktAddr is null)
                {
                    return -2;
                }

                Dma.UnmapSingle(Dev, pktAddr.Paddr, pktAddr.Len, {|#0:DmaDirection.FromDevice|});
                _pending = null;
                return status;
            }
        }
        """,
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("Dma.UnmapSingle", "pktAddr.Paddr", "direction", "FromDevice", "Dma.MapSingle, stored into MgmtTxPktAddr.Paddr in MgmtTxSend", "ToDevice"));

    [Fact]
    public Task UnmappedWithAnotherLiteralSize_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf)
            {
                DmaAddr addr = {|#1:Dma.MapSingle(dev, buf, 0, 2048, DmaDirection.FromDevice)|};
                if (Dma.MappingError(dev, addr))
                {
                    return;
                }

                Dma.UnmapSingle(dev, addr, {|#0:4096|}, DmaDirection.FromDevice);
            }
        }
        """,
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSingle", "addr", "size", "4096", "Dma.MapSingle", "2048"));

    [Fact]
    public Task MappedInALoop_UnmappedInFinallyWithTheOtherDirection_Reports() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Rx(PciDevice dev, KernelBuffer[] bufs)
            {
                foreach (KernelBuffer buf in bufs)
                {
                    DmaAddr addr = {|#1:Dma.MapSingle(dev, buf, 0, 2048, DmaDirection.FromDevice)|};
                    if (Dma.MappingError(dev, addr))
                    {
                        continue;
                    }

                    try
                    {
                        Consume(addr);
                    }
                    finally
                    {
                        Dma.UnmapSingle(dev, addr, 2048, {|#0:DmaDirection.ToDevice|});
                    }
                }
            }

            static void Consume(DmaAddr addr)
            {
            }
        }
        """,
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1)
            .WithArguments("Dma.UnmapSingle", "addr", "direction", "ToDevice", "Dma.MapSingle", "FromDevice"));

    [Fact]
    public Task TwoBranchesMapWithDifferentDirections_EachUnmapsItsOwn_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf, bool write)
            {
                if (write)
                {
                    DmaAddr tx = Dma.MapSingle(dev, buf, 0, 512, DmaDirection.ToDevice);
                    if (!Dma.MappingError(dev, tx))
                    {
                        Dma.UnmapSingle(dev, tx, 512, DmaDirection.ToDevice);
                    }
                }
                else
                {
                    DmaAddr rx = Dma.MapSingle(dev, buf, 0, 512, DmaDirection.FromDevice);
                    if (!Dma.MappingError(dev, rx))
                    {
                        Dma.UnmapSingle(dev, rx, 512, DmaDirection.FromDevice);
                    }
                }
            }
        }
        """);

    // ---------------------------------------------------------------- correct code

    [Fact]
    public Task Ath10k_AsFixed_UnmapsToDevice_NoDiagnostic() => Verifier.Analyzer(Usings + Ath10k + """
        static class Mac
        {
            public static void Ath10kMgmtOverWmiTxWork(Ath10k ar)
            {
                while (ar.MgmtTxQueue.TryDequeue(out SkBuff? skb))
                {
                    DmaAddr paddr = Dma.MapSingle(ar.Dev, skb.Data, 0, skb.Len, DmaDirection.ToDevice);
                    if (Dma.MappingError(ar.Dev, paddr))
                    {
                        continue;
                    }

                    if (ar.WmiMgmtTxSend(skb, paddr) != 0)
                    {
                        Dma.UnmapSingle(ar.Dev, paddr, skb.Len, DmaDirection.ToDevice);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task DirectionChosenAtRunTime_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class SoloP2m
        {
            // solo_p2m_dma: the direction is wr ? TO_DEVICE : FROM_DEVICE at both calls; nothing to compare
            static void Io(PciDevice dev, KernelBuffer buf, bool wr)
            {
                DmaAddr addr = Dma.MapSingle(dev, buf, 0, buf.Size, wr ? DmaDirection.ToDevice : DmaDirection.FromDevice);
                if (Dma.MappingError(dev, addr))
                {
                    return;
                }

                Dma.UnmapSingle(dev, addr, buf.Size, wr ? DmaDirection.ToDevice : DmaDirection.FromDevice);
            }
        }
        """);

    [Fact]
    public Task TwoMappingsOneUnmapEach_EachMatchesItsOwn_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Nic
        {
            static void Io(PciDevice dev, KernelBuffer tx, KernelBuffer rx)
            {
                DmaAddr txAddr = Dma.MapSingle(dev, tx, 0, 1536, DmaDirection.ToDevice);
                DmaAddr rxAddr = Dma.MapSingle(dev, rx, 0, 2048, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, txAddr) || Dma.MappingError(dev, rxAddr))
                {
                    return;
                }

                Dma.UnmapSingle(dev, rxAddr, 2048, DmaDirection.FromDevice);
                Dma.UnmapSingle(dev, txAddr, 1536, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task ResourceUnmappedWithUnmapPage_SameFamilySinceLinux617_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Exporter
        {
            static void Io(PciDevice dev, PhysAddr bar)
            {
                DmaAddr addr = Dma.MapResource(dev, bar, 4096, DmaDirection.Bidirectional, DmaAttrs.Mmio);
                if (Dma.MappingError(dev, addr))
                {
                    return;
                }

                Dma.UnmapPage(dev, addr, 4096, DmaDirection.Bidirectional);
            }
        }
        """);

    // e1000e: struct e1000_buffer serves both rings; TX maps DMA_TO_DEVICE, RX DMA_FROM_DEVICE, and each ring's clean
    // path unmaps its own with its own direction. The field's summary holds both stores: an unmap matching one of the
    // mappings that reach it through the field is not reported.
    private const string SharedBuffer = """
        class Buf
        {
            public DmaAddr Dma;
        }

        static class Drv
        {
            static void Tx(PciDevice d, KernelBuffer b, Buf bi)
            {
                {|#2:bi.Dma = {|#1:Dma.MapSingle(d, b, 0, 64, DmaDirection.ToDevice)|}|};
                if (Dma.MappingError(d, bi.Dma))
                {
                    return;
                }
            }

            static void Rx(PciDevice d, KernelBuffer b, Buf bi)
            {
                bi.Dma = Dma.MapSingle(d, b, 0, 64, DmaDirection.FromDevice);
                if (Dma.MappingError(d, bi.Dma))
                {
                    return;
                }
            }

            static void TxDone(PciDevice d, Buf bi) => Dma.UnmapSingle(d, bi.Dma, 64, DmaDirection.ToDevice);

            static void RxDone(PciDevice d, Buf bi) => Dma.UnmapSingle(d, bi.Dma, 64, DmaDirection.FromDevice);

            UNMAP
        }
        """;

    [Fact]
    public Task SharedBufferStruct_TxAndRxRingsEachUnmapTheirOwn_NoDiagnostic() =>
        Verifier.Analyzer(Usings + SharedBuffer.Replace("{|#2:", "").Replace("{|#1:", "").Replace("|}", "").Replace("UNMAP", string.Empty));

    // Neither mapping that reaches the unmap through the field was made bidirectional.
    [Fact]
    public Task SharedBufferStruct_UnmapMatchingNoMapping_Reports() => Verifier.Analyzer(Usings + SharedBuffer.Replace("UNMAP",
        "static void Abort(PciDevice d, Buf bi) => Dma.UnmapSingle(d, bi.Dma, 64, {|#0:DmaDirection.Bidirectional|});"),
        Verifier.Diagnostic("P2P0021").WithLocation(0).WithLocation(1).WithLocation(2)
            .WithArguments("Dma.UnmapSingle", "bi.Dma", "direction", "Bidirectional", "Dma.MapSingle, stored into Buf.Dma in Tx", "ToDevice"));

    // drivers/dma/dmaengine.c's dmaengine_unmap as mv_xor's self tests use it (MvXorTests has the driver): addr[] holds
    // to_cnt entries mapped DMA_TO_DEVICE, then from_cnt DMA_FROM_DEVICE, then bidi_cnt DMA_BIDIRECTIONAL, and the
    // unmap splits it by those counts. No caller stores a bidirectional mapping, and none is unmapped so: no report.
    [Fact]
    public Task DmaengineUnmap_SplitsItsArrayByTheCounts_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class DmaengineUnmapData
        {
            public int ToCnt, FromCnt, BidiCnt;
            public ulong Len;
            public PciDevice Dev = null!;
            public DmaAddr[] Addr = new DmaAddr[8];
        }

        static class Dmaengine
        {
            static void DmaengineUnmap(DmaengineUnmapData unmap)
            {
                int cnt = unmap.ToCnt;
                int i;
                for (i = 0; i < cnt; i++)
                    Dma.UnmapPage(unmap.Dev, unmap.Addr[i], unmap.Len, DmaDirection.ToDevice);
                cnt += unmap.FromCnt;
                for (; i < cnt; i++)
                    Dma.UnmapPage(unmap.Dev, unmap.Addr[i], unmap.Len, DmaDirection.FromDevice);
                cnt += unmap.BidiCnt;
                for (; i < cnt; i++)
                {
                    if (unmap.Addr[i].Raw == 0)
                        continue;
                    Dma.UnmapPage(unmap.Dev, unmap.Addr[i], unmap.Len, DmaDirection.Bidirectional);
                }
            }

            static int MemcpySelfTest(PciDevice dev, KernelBuffer src, KernelBuffer dest, DmaengineUnmapData unmap)
            {
                unmap.Len = 4096;
                unmap.Addr[0] = Dma.MapPage(dev, src.Page, 0, 4096, DmaDirection.ToDevice);
                unmap.ToCnt = 1;
                if (Dma.MappingError(dev, unmap.Addr[0]))
                {
                    DmaengineUnmap(unmap);
                    return -12;
                }

                unmap.Addr[1] = Dma.MapPage(dev, dest.Page, 0, 4096, DmaDirection.FromDevice);
                unmap.FromCnt = 1;
                if (Dma.MappingError(dev, unmap.Addr[1]))
                {
                    DmaengineUnmap(unmap);
                    return -12;
                }

                DmaengineUnmap(unmap);
                return 0;
            }
        }
        """);
}
