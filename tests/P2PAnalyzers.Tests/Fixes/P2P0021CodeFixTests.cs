using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>P2P0021's fix gives the unmap what the map was given, as "ath10k: fix dma unmap direction for management frames" did.</summary>
public sealed class P2P0021CodeFixTests
{
    private const string Source = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        class MgmtTxPktAddr
        {
            public uint Len;
            public DmaAddr Paddr;
        }

        class Ath10kWmi
        {
            public PciDevice Dev = null!;
            private MgmtTxPktAddr? _pending;

            public int MgmtTxSend(KernelBuffer frame, uint len)
            {
                DmaAddr paddr = Dma.MapSingle(Dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(Dev, paddr))
                {
                    return -12;
                }

                _pending = new MgmtTxPktAddr { Len = len, Paddr = paddr };
                return 0;
            }

            // wmi_process_mgmt_tx_comp
            public void ProcessMgmtTxComp()
            {
                if (_pending is MgmtTxPktAddr pktAddr)
                {
                    Dma.UnmapSingle(Dev, pktAddr.Paddr, pktAddr.Len, DIR);
                    _pending = null;
                }
            }
        }
        """;

    [Fact]
    public Task WmiProcessMgmtTxComp_UnmapsToDevice() => Verifier.CodeFix<P2P0021UnmapDoesNotMatchMapCodeFix>(
        Source.Replace("DIR", "[|DmaDirection.FromDevice|]"), Source.Replace("DIR", "DmaDirection.ToDevice"));

    [Fact]
    public Task LiteralSize_BecomesTheMappedSize() => Verifier.CodeFix<P2P0021UnmapDoesNotMatchMapCodeFix>("""
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf)
            {
                DmaAddr addr = Dma.MapSingle(dev, buf, 0, 2048, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, addr))
                {
                    return;
                }

                Dma.UnmapSingle(dev, addr, [|4096|], DmaDirection.FromDevice);
            }
        }
        """, """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        static class Driver
        {
            static void Io(PciDevice dev, KernelBuffer buf)
            {
                DmaAddr addr = Dma.MapSingle(dev, buf, 0, 2048, DmaDirection.FromDevice);
                if (Dma.MappingError(dev, addr))
                {
                    return;
                }

                Dma.UnmapSingle(dev, addr, 2048, DmaDirection.FromDevice);
            }
        }
        """);

    // A scatterlist unmap takes the direction of its list's map call, in the completion as in the submit path.
    [Fact]
    public Task ScatterlistUnmapInTheCompletion_TakesTheMapsDirection() => Verifier.CodeFix<P2P0021UnmapDoesNotMatchMapCodeFix>(
        SgSource.Replace("DIR", "[|DmaDirection.Bidirectional|]"), SgSource.Replace("DIR", "DmaDirection.FromDevice"));

    // The list is mapped FromDevice for reads and ToDevice for writes, in two submit paths: which one the completion
    // unmaps is not known, so no direction is written for it.
    [Fact]
    public Task ScatterlistMappedWithTwoDirectionsInTwoMethods_NoFix() => Verifier.NoCodeFix<P2P0021UnmapDoesNotMatchMapCodeFix>(
        SgSource.Replace("DIR", "[|DmaDirection.Bidirectional|]").Replace("    static void Complete", """
                static int SubmitWrite(PciDevice dev, Xfer x)
                {
                    x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.ToDevice);
                    return x.Count == 0 ? -12 : 0;
                }

                static void Complete
            """));

    private const string SgSource = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        sealed class Xfer { public SgTable Sgl = SgTable.Alloc(4); public int Nents = 4; public int Count; }

        static class Driver
        {
            static int Submit(PciDevice dev, Xfer x)
            {
                x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                return x.Count == 0 ? -12 : 0;
            }

            static void Complete(PciDevice dev, Xfer x) => Dma.UnmapSg(dev, x.Sgl, x.Nents, DIR);
        }
        """;

    // hisilicon's sgl, as 4154f7d3b1c1 fixed it: the error path unmaps with the `dir` the list was mapped with.
    [Fact]
    public Task DirectionFromTheCallers_UnmapTakesTheParameter() => Verifier.CodeFix<P2P0021UnmapDoesNotMatchMapCodeFix>(
        HwSgl.Replace("UNMAP", "[|DmaDirection.Bidirectional|]"), HwSgl.Replace("UNMAP", "dir"));

    private const string HwSgl = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        static class Sgl
        {
            static int MapToHwSgl(PciDevice dev, SgTable sgl, int n, bool full, DmaDirection dir)
            {
                int mapped = Dma.MapSg(dev, sgl, n, dir);
                if (mapped == 0)
                {
                    return -22;
                }

                if (full)
                {
                    Dma.UnmapSg(dev, sgl, n, UNMAP);
                    return -22;
                }

                return mapped;
            }

            static int DoWork(PciDevice dev, SgTable src, SgTable dst, int n) =>
                MapToHwSgl(dev, src, n, false, DmaDirection.ToDevice) + MapToHwSgl(dev, dst, n, false, DmaDirection.FromDevice);
        }
        """;
}
