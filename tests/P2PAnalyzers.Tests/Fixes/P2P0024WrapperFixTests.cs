using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// P2P0024's fix where the map is made through a thin wrapper (include/rdma/ib_verbs.h's ib_dma_map_sg, v4.11..v5.9)
/// and the function overwrites the nents with the count (rw.c's rdma_rw_ctx_init: <c>sg_cnt = ret;</c>): the copy is
/// kept before the wrapper's call, the one call in the function that maps the table the unmap is given.
/// </summary>
public sealed class P2P0024WrapperFixTests
{
    private const string Source = """
        using P2PDma.Mapping;
        using P2PDma.Pci;
        sealed class IbDevice { public PciDevice DmaDevice = null!; }
        static class IbVerbs
        {
            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) => Dma.LegacyMapSg(dev.DmaDevice, sg, nents, dir);
            public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) => Dma.LegacyUnmapSg(dev.DmaDevice, sg, nents, dir);
        }
        static class Rw
        {
            public static int CtxInit(IbDevice dev, SgTable sg, int sgCnt, DmaDirection dir)
            {
                int ret;
                ret = IbVerbs.IbDmaMapSg(dev, sg, sgCnt, dir);
                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;
                if (sgCnt > 4)
                {
                    goto out_unmap_sg;
                }

                return ret;

            out_unmap_sg:
                IbVerbs.IbDmaUnmapSg(dev, sg, [|sgCnt|], dir);
                return ret;
            }
        }
        """;

    [Fact]
    public Task CountOverwritesTheNentsGivenToTheWrapper_CopyKeptBeforeTheWrapperCall() => Verifier.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(
        Source,
        Source.Replace("        int ret;\n", "        int ret;\n        int origSgCnt = sgCnt;\n").Replace("[|sgCnt|]", "origSgCnt"));
}
