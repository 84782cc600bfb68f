using P2PAnalyzers.CodeFixes.Fixes;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0013 through thin wrappers: rw.c (v4.20..v5.6) maps P2P memory with <c>pci_p2pdma_map_sg</c> (a wrapper of the
/// P2P-aware map) and unmaps on its error path with <c>ib_dma_unmap_sg</c> (a wrapper of the pre-6.2 unmap, which unmaps
/// bus-address entries too). The wrapper's call is judged where the table is known; inside the wrapper nothing is
/// reported (its other callers hand it RAM tables mapped with <c>ib_dma_map_sg</c>).
/// </summary>
public sealed class P2P0013WrapperTests
{
    private const string Source = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        static class Wrappers
        {
            public static int PciP2PDmaMapSg(PciDevice dev, SgTable sg, int nents, DmaDirection dir) => Dma.MapSg(dev, sg, nents, dir);

            public static int IbDmaMapSg(PciDevice dev, SgTable sg, int nents, DmaDirection dir) => Dma.LegacyMapSg(dev, sg, nents, dir);

            public static void IbDmaUnmapSg(PciDevice dev, SgTable sg, int nents, DmaDirection dir) => Dma.LegacyUnmapSg(dev, sg, nents, dir);
        }

        static class Rw
        {
            static int CtxInit(PciDevice dev, SgTable sg, int nents, bool p2p, DmaDirection dir)
            {
                int ret = p2p ? MAP_P2P : Wrappers.IbDmaMapSg(dev, sg, nents, dir);
                if (ret == 0)
                {
                    return -12;
                }

                if (ret > 16)
                {
                    UNMAP;
                    return -5;
                }

                return ret;
            }

            static int SignatureInit(PciDevice dev, SgTable sg, int nents, DmaDirection dir)
            {
                if (Wrappers.IbDmaMapSg(dev, sg, nents, dir) == 0)
                {
                    return -12;
                }

                Wrappers.IbDmaUnmapSg(dev, sg, nents, dir);
                return 0;
            }
        }
        """;

    [Fact]
    public Task P2PMappedTableUnmappedThroughTheLegacyWrapper_ReportedAtTheCall_NoFix() => Verifier.NoCodeFix<P2P0013BusAddressUnmappedCodeFix>(
        Source.Replace("MAP_P2P", "Wrappers.PciP2PDmaMapSg(dev, sg, nents, dir)").Replace("UNMAP", "{|#0:Wrappers.IbDmaUnmapSg(dev, sg, nents, dir)|}"),
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments("Wrappers.IbDmaUnmapSg", "sg",
            "was mapped P2P-aware (Wrappers.PciP2PDmaMapSg) and may hold bus-address entries; use Dma.UnmapSgTable"));

    [Fact]
    public Task RamTablesOnly_NoDiagnostic() => Verifier.Analyzer(
        Source.Replace("MAP_P2P", "Wrappers.IbDmaMapSg(dev, sg, nents, dir)").Replace("UNMAP", "Wrappers.IbDmaUnmapSg(dev, sg, nents, dir)"));
}
