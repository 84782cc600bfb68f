using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// 8139cp's RX refill (cp_rx_poll) reduced to one ring slot, before and after P2P0020's fix maps the replacement first
/// and keeps the old buffer when that fails (<c>P2P0020FixProofTests</c>).
/// </summary>
public sealed class P2P0020RemapProofScenario
{
    private const string Head = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        // struct cp_desc: the device reads the buffer's address from it
        public sealed class CpDesc
        {
            public uint Opts1;
            [DmaAddress] public ulong Addr;
        }

        public sealed class Cp
        {
            public PciDevice Pdev = null!;
            public SystemMemory Mem = null!;
            public CpDesc[] RxRing = { new CpDesc() };
            public KernelBuffer?[] RxBuf = new KernelBuffer?[1];
            public uint RxBufSz = 1536;
            public int RxDropped;
        }

        public static class Scenario
        {
            static KernelBuffer? AllocRxBuffer(Cp cp, uint len) => cp.Mem.Kmalloc(len);

            // cp_rx_poll for one descriptor: a new buffer replaces the one the device filled
            public static int RxPoll(Cp cp)
            {
                DmaAddr mapping = DmaAddr.FromRaw(cp.RxRing[0].Addr);
                KernelBuffer? newBuf = AllocRxBuffer(cp, cp.RxBufSz);
                if (newBuf is null)
                {
                    cp.RxDropped++;
                    goto rxNext;
                }

        """;

    private const string Tail = """

            rxNext:
                cp.RxRing[0].Addr = mapping.Raw;
                cp.RxRing[0].Opts1 = (1u << 31) | cp.RxBufSz;
                return cp.RxDropped;
            }
        }
        """;

    internal const string Before = Head + """
                Dma.UnmapSingle(cp.Pdev, mapping, cp.RxBufSz, DmaDirection.FromDevice);

                mapping = {|P2P0020:Dma.MapSingle(cp.Pdev, newBuf, 0, cp.RxBufSz, DmaDirection.FromDevice)|};
                cp.RxBuf[0] = newBuf;
        """ + Tail;

    internal const string After = Head + """
                DmaAddr newMapping = Dma.MapSingle(cp.Pdev, newBuf, 0, cp.RxBufSz, DmaDirection.FromDevice);
                if (Dma.MappingError(cp.Pdev, newMapping))
                {
                    cp.RxDropped++;
                    goto rxNext;
                }

                Dma.UnmapSingle(cp.Pdev, mapping, cp.RxBufSz, DmaDirection.FromDevice);

                mapping = newMapping;
                cp.RxBuf[0] = newBuf;
        """ + Tail;

    [Fact]
    public Task RxPoll_MapsTheReplacementFirst() =>
        Verify<P2PAnalyzers.Rules.P2P0020MappingErrorNotCheckedAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0020MappingErrorNotCheckedCodeFix>(Before, After);
}
