using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// A transfer's list mapped at submit and unmapped by the completion, before and after P2P0021's fix, for the executed
/// proof (<c>P2P0021FixProofTests</c>).
/// </summary>
public sealed class P2P0021TableProofScenario
{
    private const string Template = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class Xfer { public SgTable Sgl = null!; public int Nents; public int Count; }

        public static class Scenario
        {
            public static int Run(PciDevice dev, SgTable sgl, int nents)
            {
                var x = new Xfer { Sgl = sgl, Nents = nents };
                int ret = Submit(dev, x);
                if (ret == 0)
                {
                    Complete(dev, x);
                }

                return ret;
            }

            static int Submit(PciDevice dev, Xfer x)
            {
                x.Count = Dma.MapSg(dev, x.Sgl, x.Nents, DmaDirection.FromDevice);
                return x.Count == 0 ? -12 : 0;
            }

            static void Complete(PciDevice dev, Xfer x) => Dma.UnmapSg(dev, x.Sgl, x.Nents, DIR);
        }
        """;

    internal static readonly string Before = Template.Replace("DIR", "{|P2P0021:DmaDirection.Bidirectional|}");

    internal static readonly string After = Template.Replace("DIR", "DmaDirection.FromDevice");

    [Fact]
    public Task CompletionUnmapsWithTheSubmitsDirection() =>
        Verify<P2PAnalyzers.Rules.P2P0021UnmapDoesNotMatchMapAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0021UnmapDoesNotMatchMapCodeFix>(Before, After);
}
