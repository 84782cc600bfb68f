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

    internal const string After = """
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
                for (i = 0; i < ret; i++)
                {
                    linkLen[i] = Math.Min(len, sg.DmaLength);
                    linkP[i] = sg.DmaAddress;
                    if (i == (ret - 1))
                    {
                        linkNext[i] = 0;
                    }
                    else
                    {
                        len -= Math.Min(len, sg.DmaLength);
                        linkNext[i] = (ulong)i + 1;
                        sg = sg.Next()!;
                    }
                }

                return i;
            }
        }
        """;

    [Fact]
    public Task Program_LoopsOverTheCount_SizedByTheDmaLength() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
