using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// The DMA API documentation's descriptor loop bounded by the nents given, before and after P2P0024's loop fix
/// (<c>P2P0024FixProofTests</c>).
/// </summary>
public sealed class P2P0024LoopProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // map the list, then program one hardware descriptor (address, length) per DMA segment
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                int i;
                for (i = 0; i < {|P2P0024:nents|}; i++)
                {
                    hwAddress[i] = sglist[i].DmaAddress;
                    hwLen[i] = sglist[i].DmaLength;
                }

                return i;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // map the list, then program one hardware descriptor (address, length) per DMA segment
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                int i;
                for (i = 0; i < count; i++)
                {
                    hwAddress[i] = sglist[i].DmaAddress;
                    hwLen[i] = sglist[i].DmaLength;
                }

                return i;
            }
        }
        """;

    [Fact]
    public Task Program_LoopsOverTheCount() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
