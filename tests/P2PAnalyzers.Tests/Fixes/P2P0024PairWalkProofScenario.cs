using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// isci's SGL pair walk (two entries an iteration), before and after P2P0024's walk fix bounds each advance at the count
/// (<c>P2P0024FixProofTests</c>).
/// </summary>
public sealed class P2P0024PairWalkProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // sci_request_build_sgl's shape: the SGL takes the entries two at a time
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                Scatterlist? sg = sglist[0];
                int n = 0;
                while ({|P2P0024:sg != null|})
                {
                    hwAddress[n] = sg.DmaAddress;
                    hwLen[n++] = sg.DmaLength;
                    sg = sg.Next();
                    if (sg != null)
                    {
                        hwAddress[n] = sg.DmaAddress;
                        hwLen[n++] = sg.DmaLength;
                        sg = sg.Next();
                    }
                }
                return n;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // sci_request_build_sgl's shape: the SGL takes the entries two at a time
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                Scatterlist? sg = sglist[0];
                int n = 0;
                int segment = 0;
                while (sg != null)
                {
                    hwAddress[n] = sg.DmaAddress;
                    hwLen[n++] = sg.DmaLength;
                    sg = ++segment < count ? sg.Next() : null;
                    if (sg != null)
                    {
                        hwAddress[n] = sg.DmaAddress;
                        hwLen[n++] = sg.DmaLength;
                        sg = ++segment < count ? sg.Next() : null;
                    }
                }
                return n;
            }
        }
        """;

    [Fact]
    public Task Program_EveryAdvanceStopsAtTheCount() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
