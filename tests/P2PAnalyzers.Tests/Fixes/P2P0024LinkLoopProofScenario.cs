using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// sahara_hw_descriptor_create's input links (drivers/crypto/sahara.c), before and after P2P0024's loop fix
/// (<c>P2P0024FixProofTests</c>): the loop runs for the nents given to dma_map_sg, sizes each link by the entry's CPU
/// length, clipped to what is left of the request, and ends the chain at the last one. The fix bounds it by the count,
/// moves the chain's end with it, and sizes the links by the DMA length.
/// </summary>
public sealed class P2P0024LinkLoopProofScenario
{
    internal const string Before = """
        using System;
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public static class Scenario
        {
            // map the list, then program one hardware link (address, length) per DMA segment; the chain ends at the last
            public static int Program(PciDevice dev, SgTable inSg, int nbInSg, DmaAddr[] linkP, ulong[] linkLen)
            {
                ulong[] linkNext = new ulong[linkP.Length];
                int ret = Dma.MapSg(dev, inSg, nbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -22;
                }

                Scatterlist sg = inSg[0];
                ulong len = 4 * 4096;
                int i;
                for (i = 0; i < {|P2P0024:nbInSg|}; i++)
                {
                    linkLen[i] = Math.Min(len, sg.Length);
                    linkP[i] = sg.DmaAddress;
                    if (i == (nbInSg - 1))
                    {
                        linkNext[i] = 0;
                    }
                    else
                    {
                        len -= Math.Min(len, sg.Length);
                        linkNext[i] = (ulong)i + 1;
                        sg = sg.Next()!;
                    }
                }

                return i;
            }
        }
        """;

    internal static readonly string After = Before
        .Replace("{|P2P0024:nbInSg|}", "ret", System.StringComparison.Ordinal)
        .Replace("(nbInSg - 1)", "(ret - 1)", System.StringComparison.Ordinal)
        .Replace("sg.Length", "sg.DmaLength", System.StringComparison.Ordinal);

    [Fact]
    public Task Program_LoopsOverTheCount_SizedByTheDmaLength() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
