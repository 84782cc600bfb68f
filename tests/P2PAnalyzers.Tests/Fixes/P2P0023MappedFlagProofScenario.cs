using P2PAnalyzers.Tests.Infrastructure;

namespace P2PAnalyzers.Tests.Fixes;

/// <summary>
/// rk_hash_run's shape (drivers/crypto/rockchip/rk3288_crypto_ahash.c): a mapping helper's failure goes to the label
/// whose unmapping helper unmaps the list never mapped, before and after P2P0023's fix unmaps only where the helper
/// mapped (<c>P2P0023FixProofTests</c>).
/// </summary>
public sealed class P2P0023MappedFlagProofScenario
{
    private const string Template = """
        using P2PDma.Mapping;
        using P2PDma.Pci;

        public sealed class HashRequest
        {
            public PciDevice Dev = null!;
            public SgTable Src = null!;
            public int Nents;
            public int Nrsg;
            public int Completed;
        }

        public static class Scenario
        {
            // rk_hash_prepare
            static int Prepare(HashRequest areq)
            {
                int ret = Dma.MapSg(areq.Dev, areq.Src, areq.Nents, DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                areq.Nrsg = ret;
                return 0;
            }

            // rk_hash_unprepare
            static void Unprepare(HashRequest areq) => Dma.UnmapSg(areq.Dev, areq.Src, areq.Nents, DmaDirection.ToDevice);

            // crypto_finalize_hash_request: the request completes whatever happened
            static void Finalize(HashRequest areq, int err) => areq.Completed = err == 0 ? 1 : -1;

            // the engine's request, then rk_hash_run
            public static int Hash(PciDevice dev, SgTable src, int nents) => Run(new HashRequest { Dev = dev, Src = src, Nents = nents });

            // rk_hash_run
            static int Run(HashRequest areq)
            {%DECLARE%
                int err = Prepare(areq);
                if (err != 0)
                {
                    goto theend;
                }
        %SET%
                areq.Nrsg += 0;

            theend:
                Finalize(areq, err);
                %UNPREPARE%
                return 0;
            }
        }
        """;

    internal static readonly string Before = Template.Replace("%DECLARE%", "").Replace("%SET%", "")
        .Replace("%UNPREPARE%", "{|P2P0023:Unprepare(areq)|};");

    internal static readonly string After = Template.Replace("%DECLARE%", "\n        bool mapped = false;")
        .Replace("%SET%", "\n        mapped = true;")
        .Replace("%UNPREPARE%", "if (mapped)\n        {\n            Unprepare(areq);\n        }");

    [Fact]
    public Task Run_UnpreparesOnlyWhereThePrepareMapped() =>
        Verify<P2PAnalyzers.Rules.P2P0023UseAfterUnmapAnalyzer>.CodeFix<P2PAnalyzers.CodeFixes.Fixes.P2P0023UseAfterUnmapCodeFix>(Before, After);
}
