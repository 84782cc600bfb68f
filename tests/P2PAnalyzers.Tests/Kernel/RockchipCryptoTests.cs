namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// rockchip crypto (drivers/crypto/rockchip/rk3288_crypto_ahash.c) before "crypto: rockchip - Fix dma_unmap_sg() nents
/// value" (2025, 21140e5caf01; Fixes: 57d67c6e8219 "crypto: rockchip - rework by using crypto_engine"): the crypto
/// engine's do_one_request, rk_hash_run(), calls rk_hash_prepare(), which maps areq-&gt;src with
/// <c>sg_nents(areq-&gt;src)</c> and keeps what dma_map_sg() returned in the per-request context, rctx-&gt;nrsg;
/// rk_hash_unprepare() unmaps areq-&gt;src with rctx-&gt;nrsg, the segment count. The fix passes
/// <c>sg_nents(areq-&gt;src)</c>. As in the kernel since "crypto: rockchip - Remove prepare/unprepare request" (2023),
/// both are called from rk_hash_run(): prepare first, unprepare after the request is finalized, past the
/// <c>theend</c> label.
/// <para>
/// Sites the commit did not fix, present before and after it, marked as the rule pages define them: when
/// rk_hash_prepare() fails (dma_map_sg() mapped nothing) rk_hash_run() jumps to <c>theend</c> and still calls
/// rk_hash_unprepare(), which unmaps the list that was never mapped (P2P0023, a helper's unmap on the map's failure);
/// and the <c>while (sg)</c> loop hands every entry of the list to crypto_ahash_dma_start(), which programs
/// sg_dma_address/sg_dma_len, not the rctx-&gt;nrsg segments mapped (P2P0024, the loop half).
/// </para>
/// </summary>
public sealed class RockchipCryptoTests
{
    // The map's failure edge is rk_hash_prepare's error return, which rk_hash_run sends to theend, where rk_hash_unprepare
    // unmaps areq->src: P2P0023 follows a mapping helper's failure to a helper that unmaps what it mapped.
    // rk3288_crypto.h: the device and the request context; the helpers of rk3288_crypto_ahash.c around the DMA.
    internal const string Crypto = """
        sealed class Completion { public bool Done; }

        // struct rk_crypto_info
        sealed class RkCryptoInfo
        {
            public PciDevice Dev = null!;
            public Completion Complete = new();
            public int Status;
            public uint HrdmaS, HrdmaL, HashCtrl;
            public uint[] HashDout = new uint[8];
            public ulong Nreq;
        }

        // struct rk_ahash_rctx
        sealed class RkAhashRctx
        {
            public RkCryptoInfo Dev = null!;
            public int Nrsg;
            public uint Mode;
        }

        // struct ahash_request (the fields used)
        sealed class AhashRequest
        {
            public SgTable Src = null!;
            public uint Nbytes;
            public byte[] Result = new byte[32];
            public RkAhashRctx Rctx = new();
            public int Digestsize;
        }

        sealed class CryptoEngine { }

        static partial class Rk3288CryptoAhash
        {
            // sg_nents
            static int SgNents(SgTable sg) => sg.Count;


            static int PmRuntimeResumeAndGet(PciDevice dev) => 0;

            static void PmRuntimePutAutosuspend(PciDevice dev) { }

            static void CryptoFinalizeHashRequest(CryptoEngine engine, AhashRequest breq, int err) { }

            static void ReinitCompletion(Completion c) => c.Done = false;

            static long WaitForCompletionInterruptibleTimeout(Completion c, long jiffies) => c.Done ? jiffies : 0;

            static void RkAhashRegInit(AhashRequest req, RkCryptoInfo dev) => dev.HashCtrl = 0;

            // crypto_ahash_dma_start
            static void CryptoAhashDmaStart(RkCryptoInfo dev, Scatterlist sg)
            {
                dev.HrdmaS = (uint)sg.DmaAddress.Raw;       // CRYPTO_WRITE(dev, RK_CRYPTO_HRDMAS, sg_dma_address(sg))
                dev.HrdmaL = (uint)(sg.DmaLength / 4);      // CRYPTO_WRITE(dev, RK_CRYPTO_HRDMAL, sg_dma_len(sg) / 4)
                dev.HashCtrl = 1 << 3 | (1 << 3) << 16;     // RK_CRYPTO_HASH_START
            }

            // rk_hash_prepare
            static int RkHashPrepare(CryptoEngine engine, AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                RkCryptoInfo rkc = rctx.Dev;
                int ret;

                ret = Dma.MapSg(rkc.Dev, areq.Src, SgNents(areq.Src), DmaDirection.ToDevice);
                if (ret <= 0)
                {
                    return -22;
                }

                rctx.Nrsg = ret;

                return 0;
            }

            // rk_hash_run
            public static int RkHashRun(CryptoEngine engine, AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                Scatterlist? sg = areq.Src[0];
                RkCryptoInfo rkc = rctx.Dev;
                int err;
                int i;
                uint v;

                err = PmRuntimeResumeAndGet(rkc.Dev);
                if (err != 0)
                {
                    return err;
                }

                err = RkHashPrepare(engine, areq);
                if (err != 0)
                {
                    goto theend;
                }

                rctx.Mode = 0;

                rkc.Nreq++;

                switch (areq.Digestsize)
                {
                    case 20:  // SHA1_DIGEST_SIZE
                        rctx.Mode = 0;  // RK_CRYPTO_HASH_SHA1
                        break;
                    case 32:  // SHA256_DIGEST_SIZE
                        rctx.Mode = 1 << 1;  // RK_CRYPTO_HASH_SHA256
                        break;
                    case 16:  // MD5_DIGEST_SIZE
                        rctx.Mode = 1 << 0;  // RK_CRYPTO_HASH_MD5
                        break;
                    default:
                        err = -22;
                        goto theend;
                }

                RkAhashRegInit(areq, rkc);

                while ({|P2P0024:sg != null|})
                {
                    ReinitCompletion(rkc.Complete);
                    rkc.Status = 0;
                    CryptoAhashDmaStart(rkc, sg);
                    WaitForCompletionInterruptibleTimeout(rkc.Complete, 2000);
                    if (rkc.Status == 0)
                    {
                        // dev_err(rkc->dev, "DMA timeout\n");
                        err = -14;
                        goto theend;
                    }

                    sg = sg.Next();
                }

                for (i = 0; i < areq.Digestsize / 4; i++)
                {
                    v = rkc.HashDout[i];  // readl(rkc->reg + RK_CRYPTO_HASH_DOUT_0 + i * 4)
                    BitConverter.GetBytes(v).CopyTo(areq.Result, i * 4);  // put_unaligned_le32
                }

            theend:
                PmRuntimePutAutosuspend(rkc.Dev);

                CryptoFinalizeHashRequest(engine, areq, err);

                {|P2P0023:RkHashUnprepare(engine, areq)|};

                return 0;
            }
        }

        """;

    // rk_hash_unprepare before the fix: the count rk_hash_prepare kept.
    internal const string UnprepareBefore = """
        static partial class Rk3288CryptoAhash
        {
            // rk_hash_unprepare
            static void RkHashUnprepare(CryptoEngine engine, AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                RkCryptoInfo rkc = rctx.Dev;

                Dma.UnmapSg(rkc.Dev, areq.Src, {|P2P0024:rctx.Nrsg|}, DmaDirection.ToDevice);
            }
        }
        """;

    // As fixed: sg_nents(areq->src), the nents given to dma_map_sg().
    internal const string UnprepareFixed = """
        static partial class Rk3288CryptoAhash
        {
            // rk_hash_unprepare
            static void RkHashUnprepare(CryptoEngine engine, AhashRequest areq)
            {
                RkAhashRctx rctx = areq.Rctx;
                RkCryptoInfo rkc = rctx.Dev;

                Dma.UnmapSg(rkc.Dev, areq.Src, SgNents(areq.Src), DmaDirection.ToDevice);
            }
        }
        """;

    [Fact]
    public Task RkHashUnprepare_UnmapsWithNrsgKeptByRkHashPrepare_Reports() => KernelVerify.RunAsync(Crypto, UnprepareBefore);

    // The fix's own site is gone; the sites the commit did not touch stay marked in rk_hash_run.
    [Fact]
    public Task RkHashUnprepare_AsFixed_UnmapsWithSgNents_OnlyUnfixedSitesReport() => KernelVerify.RunAsync(Crypto, UnprepareFixed);
}
