using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// One result local set by either of two map calls, one per arm of an <c>if</c>, and tested once after them:
/// rdma_rw_ctx_init before v6.2 (<c>if (is_pci_p2pdma_page(sg_page(sg))) ret = pci_p2pdma_map_sg(..); else ret =
/// ib_dma_map_sg(..); if (!ret) return -ENOMEM;</c>). The store in the other arm cannot come after either map on any
/// path, so the test is each map's failure test. A trial on rw.c found P2P0022 reporting the first arm's mapping there.
/// </summary>
public sealed class P2P0022EitherMapTests
{
    private const string Usings = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task CountFromEitherArm_TestedOnce_NoLeak() => Verifier.Analyzer(Usings + """
        static class Rw
        {
            static int CtxInit(PciDevice dev, SgTable sg, int sgCnt, DmaDirection dir, bool p2p, bool fail)
            {
                int ret;
                if (p2p)
                {
                    ret = Dma.MapSg(dev, sg, sgCnt, dir);
                }
                else
                {
                    ret = Dma.LegacyMapSg(dev, sg, sgCnt, dir);
                }

                if (ret == 0)
                {
                    return -12;
                }

                if (fail)
                {
                    if (p2p)
                    {
                        Dma.UnmapSg(dev, sg, sgCnt, dir);
                    }
                    else
                    {
                        Dma.LegacyUnmapSg(dev, sg, sgCnt, dir);
                    }

                    return -5;
                }

                return ret;
            }
        }
        """);

    // A store after the map on its own path (not in another arm) still ends the test's claim to be the map's failure.
    [Fact]
    public Task LaterStoreOnTheSamePath_StillALeak() => Verifier.Analyzer(Usings + """
        static class Rw
        {
            static int CtxInit(PciDevice dev, SgTable sg, int sgCnt, DmaDirection dir, bool p2p)
            {
                int ret = {|#0:Dma.MapSg(dev, sg, sgCnt, dir)|};
                if (p2p)
                {
                    ret = sgCnt;
                }

                if (ret == 0)
                {
                    {|#1:return -12;|}
                }

                Dma.UnmapSg(dev, sg, sgCnt, dir);
                return 0;
            }
        }
        """, Verifier.Diagnostic("P2P0022").WithLocation(0).WithLocation(1).WithArguments("Dma.MapSg", "at 'return -12;', which returns an error"));
}
