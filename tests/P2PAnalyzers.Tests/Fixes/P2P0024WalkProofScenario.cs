using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// rockchip crypto's hash walk (rk_hash_run over what rk_hash_prepare mapped), before and after P2P0024's walk fix
/// (<c>P2P0024FixProofTests</c>).
/// </summary>
public sealed class P2P0024WalkProofScenario
{
    internal const string Before = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class HashCtx
        {
            public PciDevice Dev = null!;
            public int Nrsg;
        }

        public sealed class HashRequest
        {
            public SgTable Src = null!;
            public HashCtx Ctx = new();
        }

        public static class Scenario
        {
            // rk_hash_prepare: map the source list, keep the DMA segment count beside it
            static int Prepare(HashRequest areq)
            {
                HashCtx rctx = areq.Ctx;
                int ret = Dma.MapSg(rctx.Dev, areq.Src, areq.Src.Count, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                rctx.Nrsg = ret;
                return 0;
            }

            // rk_hash_run: one hash DMA (address, length) per segment, walking the list with sg_next
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                var areq = new HashRequest { Src = sglist };
                areq.Ctx.Dev = dev;
                Scatterlist? sg = areq.Src[0];
                int err = Prepare(areq);
                if (err != 0)
                {
                    return err;
                }

                int n = 0;
                while ({|P2P0024:sg != null|})
                {
                    hwAddress[n] = sg.DmaAddress;
                    hwLen[n] = sg.DmaLength;
                    n++;
                    sg = sg.Next();
                }

                return n;
            }
        }
        """;

    internal const string After = """
        using P2PDma.Addresses;
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class HashCtx
        {
            public PciDevice Dev = null!;
            public int Nrsg;
        }

        public sealed class HashRequest
        {
            public SgTable Src = null!;
            public HashCtx Ctx = new();
        }

        public static class Scenario
        {
            // rk_hash_prepare: map the source list, keep the DMA segment count beside it
            static int Prepare(HashRequest areq)
            {
                HashCtx rctx = areq.Ctx;
                int ret = Dma.MapSg(rctx.Dev, areq.Src, areq.Src.Count, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                rctx.Nrsg = ret;
                return 0;
            }

            // rk_hash_run: one hash DMA (address, length) per segment, walking the list with sg_next
            public static int Program(PciDevice dev, SgTable sglist, int nents, DmaAddr[] hwAddress, ulong[] hwLen)
            {
                var areq = new HashRequest { Src = sglist };
                areq.Ctx.Dev = dev;
                Scatterlist? sg = areq.Src[0];
                int err = Prepare(areq);
                if (err != 0)
                {
                    return err;
                }

                int n = 0;
                for (int segment = 0; sg != null && segment < areq.Ctx.Nrsg; segment++)
                {
                    hwAddress[n] = sg.DmaAddress;
                    hwLen[n] = sg.DmaLength;
                    n++;
                    sg = sg.Next();
                }

                return n;
            }
        }
        """;

    [Fact]
    public Task Program_WalksOnlyTheSegments() =>
        Verify<P2PAnalyzers.Rules.P2P0024ScatterlistCountConfusionAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0024ScatterlistCountConfusionCodeFix>(Before, After);
}
