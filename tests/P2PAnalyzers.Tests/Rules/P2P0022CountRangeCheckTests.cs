using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0022MappingLeakedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// The Allwinner crypto drivers' range check of a scatterlist mapping's count, one failure test for both ends:
/// <c>nr_sgs = dma_map_sg(ce-&gt;dev, areq-&gt;src, ns, DMA_TO_DEVICE); if (nr_sgs &lt;= 0 || nr_sgs &gt; MAX_SG) { ..;
/// goto theend_iv; }</c> (sun8i_ce_cipher_prepare). The upper arm cannot run (the driver falls back to software above
/// MAX_SG entries, and dma_map_sg returns at most the nents it was given); a blind trial found P2P0022 reporting it.
/// A bound on something else beside the zero test is still an exit with the mapping live.
/// </summary>
public sealed class P2P0022CountRangeCheckTests
{
    private const string Usings = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task CountAboveTheDescriptorsBesideTheZeroTest_IsTheFailureTest_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Sun8iCe
        {
            const int MAX_SG = 8;

            static int Prepare(PciDevice dev, SgTable src, int ns)
            {
                int err = 0;
                int nrSgs = Dma.MapSg(dev, src, ns, DmaDirection.ToDevice);
                if (nrSgs <= 0 || nrSgs > MAX_SG)
                {
                    err = -22;
                    goto theend;
                }

                Dma.UnmapSg(dev, src, ns, DmaDirection.ToDevice);
            theend:
                return err;
            }
        }
        """);

    [Fact]
    public Task BoundWrittenFirstAndMirrored_IsTheFailureTest_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Sun8iCe
        {
            const int MAX_SG = 8;

            static int Prepare(PciDevice dev, SgTable src, int ns)
            {
                int nrSgs = Dma.MapSg(dev, src, ns, DmaDirection.ToDevice);
                if (MAX_SG < nrSgs || 0 >= nrSgs)
                {
                    return -22;
                }

                Dma.UnmapSg(dev, src, ns, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task AnotherValuesBoundBesideTheZeroTest_LeavesTheMappingLive_Reports() => Verifier.Analyzer(Usings + """
        static class Sun8iCe
        {
            const int MAX_LEN = 4096;

            static int Prepare(PciDevice dev, SgTable src, int ns, int len)
            {
                int nrSgs = [|Dma.MapSg(dev, src, ns, DmaDirection.ToDevice)|];
                if (nrSgs <= 0 || len > MAX_LEN)
                {
                    return -22;
                }

                Dma.UnmapSg(dev, src, ns, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task CountBoundTestedAloneAfterTheZeroTest_LeavesTheMappingLive_Reports() => Verifier.Analyzer(Usings + """
        static class Sun8iCe
        {
            const int MAX_SG = 8;

            static int Prepare(PciDevice dev, SgTable src, int ns)
            {
                int nrSgs = [|Dma.MapSg(dev, src, ns, DmaDirection.ToDevice)|];
                if (nrSgs <= 0)
                {
                    return -12;
                }

                if (nrSgs > MAX_SG)
                {
                    return -22;
                }

                Dma.UnmapSg(dev, src, ns, DmaDirection.ToDevice);
                return 0;
            }
        }
        """);
}
