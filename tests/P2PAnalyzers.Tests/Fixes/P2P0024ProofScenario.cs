using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>The bcm2835 error path before and after P2P0024's fix, for the executed proof (<c>P2P0024FixProofTests</c>).</summary>
public sealed class P2P0024ProofScenario
{
    private const string Template = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // bcm2835_prepare_dma: the DMA engine gives no descriptor, so the error path unmaps what was mapped.
            public static int PrepareDma(PciDevice dev, SgTable sg, int sgLen)
            {
                int mapped = Dma.MapSg(dev, sg, sgLen, DmaDirection.ToDevice);
                if (mapped == 0)
                {
                    return -12;
                }

                if (PrepSlaveSg(sg, mapped) is null)
                {
                    Dma.UnmapSg(dev, sg, NENTS, DmaDirection.ToDevice);
                    return -5;
                }

                return 0;
            }

            // dmaengine_prep_slave_sg, out of descriptors.
            private static object? PrepSlaveSg(SgTable sg, int segments) => null;
        }
        """;

    internal static readonly string Before = Template.Replace("NENTS", "{|P2P0024:mapped|}");

    internal static readonly string After = Template.Replace("NENTS", "sgLen");

    [Fact]
    public Task Bcm2835ErrorPath_UnmapsWithSgLen() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
