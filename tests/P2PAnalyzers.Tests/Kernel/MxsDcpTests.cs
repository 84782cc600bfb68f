namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// mxs-dcp (drivers/crypto/mxs-dcp.c, the i.MX23/28 Data Co-Processor) before "crypto: mxs-dcp - Check for DMA mapping
/// errors" (df6313d707e5, Sean Anderson, 2021): mxs_dcp_start_dma maps the channel's descriptor with dma_map_single
/// and writes its address into the channel's command pointer register; mxs_dcp_run_aes maps the key, the input and the
/// output bounce buffers and puts their addresses into the descriptor; mxs_dcp_run_sha maps the input buffer and, on the
/// last block, the digest buffer. None checks dma_mapping_error(); each unmaps at its end, where CONFIG_DMA_API_DEBUG
/// reported "device driver failed to check map error" (the commit message quotes it). The fix checks each mapping:
/// start_dma returns the error, run_aes unwinds through the new err_dst/err_src labels, run_sha returns or jumps to
/// done_run.
/// Transliterated from the tree the fix applies to (v5.13: skcipher, the block-size check with aes_done_run, the SHA
/// null-hash shortcut with done_run). The descriptor (struct dcp_dma_desc) lives in sdcp->coh, plain kmalloc'ed memory
/// that start_dma maps for the device, and the DCP reads source/destination/payload from it: those fields are declared
/// DMA address sinks. writel() is a plain register write (no [DmaAddress]: it writes any value).
/// Not part of this commit but a real bug in both trees: mxs_dcp_start_dma returns -ETIMEDOUT and -EINVAL with
/// desc_phys still mapped (the unmap is only on the success path): P2P0022 in both.
/// </summary>
public sealed class MxsDcpTests
{
    // struct dcp, struct dcp_coherent_block, struct dcp_dma_desc, struct dcp_async_ctx and the constants of mxs-dcp.c.
    internal const string Dcp = """
        // struct dcp_dma_desc: what the DCP fetches through MXS_DCP_CH_N_CMDPTR
        sealed class DcpDmaDesc
        {
            public const ulong SizeOf = 32;

            public KernelBuffer Mem = null!;  // the descriptor's own bytes inside sdcp->coh
            public uint NextCmdAddr;
            public uint Control0;
            public uint Control1;
            [DmaAddress] public uint Source;
            [DmaAddress] public uint Destination;
            public uint Size;
            [DmaAddress] public uint Payload;
            public uint Status;
        }

        // struct dcp_coherent_block (devm_kzalloc'ed; mapped per operation with dma_map_single)
        sealed class DcpCoherentBlock
        {
            public KernelBuffer AesInBuf = null!;
            public KernelBuffer AesOutBuf = null!;
            public KernelBuffer ShaInBuf = null!;
            public KernelBuffer ShaOutBuf = null!;
            public KernelBuffer AesKey = null!;
            public DcpDmaDesc[] Desc = new DcpDmaDesc[4];
        }

        sealed class Completion
        {
            public bool Done;
        }

        // struct dcp
        sealed class Dcp
        {
            public PciDevice Dev = null!;
            public uint[] Base = new uint[0x1000];  // void __iomem *base
            public DcpCoherentBlock Coh = new();
            public Completion[] Completion = new Completion[4];
        }

        // struct dcp_async_ctx
        sealed class DcpAsyncCtx
        {
            public int Chan;
            public uint Fill;
            public uint Alg;
        }

        // struct dcp_aes_req_ctx
        sealed class DcpAesReqCtx
        {
            public int Enc;
            public int Ecb;
        }

        // struct dcp_sha_req_ctx
        sealed class DcpShaReqCtx
        {
            public int Init;
            public int Fini;
        }

        static partial class MxsDcp
        {
            const int EINVAL = 22;
            const int ETIMEDOUT = 110;

            const ulong DcpBufSz = 0x1000;
            const ulong DcpShaPaySz = 64;
            const ulong AesKeysize128 = 16;
            const uint AesBlockSize = 16;

            const int MxsDcpStat = 0x10;
            static int MxsDcpChNCmdptr(int n) => 0x100 + n * 0x40;
            static int MxsDcpChNSema(int n) => 0x110 + n * 0x40;
            static int MxsDcpChNStat(int n) => 0x120 + n * 0x40;
            static int MxsDcpChNStatClr(int n) => 0x128 + n * 0x40;

            const uint MxsDcpControl0HashTerm = 1u << 13, MxsDcpControl0HashInit = 1u << 12;
            const uint MxsDcpControl0PayloadKey = 1u << 11, MxsDcpControl0CipherEncrypt = 1u << 8;
            const uint MxsDcpControl0CipherInit = 1u << 9, MxsDcpControl0EnableHash = 1u << 6;
            const uint MxsDcpControl0EnableCipher = 1u << 5, MxsDcpControl0DecrSemaphore = 1u << 1;
            const uint MxsDcpControl0Interrupt = 1u << 0;
            const uint MxsDcpControl1CipherSelectAes128 = 0, MxsDcpControl1CipherModeEcb = 0;
            const uint MxsDcpControl1CipherModeCbc = 1u << 4;
            const uint MxsDcpControl1HashSelectSha1 = 0;

            // static struct dcp *global_sdcp;
            static Dcp GlobalSdcp = null!;

            static void Writel(uint value, uint[] regs, int reg) => regs[reg / 4] = value;
            static uint Readl(uint[] regs, int reg) => regs[reg / 4];

            static void ReinitCompletion(Completion c) => c.Done = false;

            static ulong WaitForCompletionTimeout(Completion c, int ms) => c.Done ? (ulong)ms : 0;

            static void DevErr(PciDevice dev, string msg) { }
        }
        """;

    // mxs_dcp_start_dma, mxs_dcp_run_aes and mxs_dcp_run_sha before df6313d707e5.
    internal const string BeforeFix = """
        static partial class MxsDcp
        {
            // mxs_dcp_start_dma
            static int MxsDcpStartDma(DcpAsyncCtx actx)
            {
                Dcp sdcp = GlobalSdcp;
                int chan = actx.Chan;
                uint stat;
                ulong ret;
                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];

                // P2P0022: the -ETIMEDOUT/-EINVAL returns below leave desc_phys mapped. writel() into the command pointer
                // register programs the DCP with the address; it does not hand the mapping on.
                DmaAddr descPhys = {|P2P0020:{|P2P0022:Dma.MapSingle(sdcp.Dev, desc.Mem, 0, DcpDmaDesc.SizeOf, DmaDirection.ToDevice)|}|};

                ReinitCompletion(sdcp.Completion[chan]);

                /* Clear status register. */
                Writel(0xffffffff, sdcp.Base, MxsDcpChNStatClr(chan));

                /* Load the DMA descriptor. */
                Writel((uint)descPhys.Raw, sdcp.Base, MxsDcpChNCmdptr(chan));

                /* Increment the semaphore to start the DMA transfer. */
                Writel(1, sdcp.Base, MxsDcpChNSema(chan));

                ret = WaitForCompletionTimeout(sdcp.Completion[chan], 1000);
                if (ret == 0)
                {
                    DevErr(sdcp.Dev, "Channel timeout");
                    return -ETIMEDOUT;  // desc_phys left mapped (not this commit's bug)
                }

                stat = Readl(sdcp.Base, MxsDcpChNStat(chan));
                if ((stat & 0xff) != 0)
                {
                    DevErr(sdcp.Dev, "Channel error");
                    return -EINVAL;  // likewise
                }

                Dma.UnmapSingle(sdcp.Dev, descPhys, DcpDmaDesc.SizeOf, DmaDirection.ToDevice);

                return 0;
            }

            // mxs_dcp_run_aes
            static int MxsDcpRunAes(DcpAsyncCtx actx, DcpAesReqCtx rctx, int init)
            {
                Dcp sdcp = GlobalSdcp;
                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];
                int ret;

                DmaAddr keyPhys = {|P2P0020:Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesKey, 0, 2 * AesKeysize128, DmaDirection.ToDevice)|};
                DmaAddr srcPhys = {|P2P0020:Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesInBuf, 0, DcpBufSz, DmaDirection.ToDevice)|};
                DmaAddr dstPhys = {|P2P0020:Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesOutBuf, 0, DcpBufSz, DmaDirection.FromDevice)|};

                if (actx.Fill % AesBlockSize != 0)
                {
                    DevErr(sdcp.Dev, "Invalid block size!");
                    ret = -EINVAL;
                    goto aesDoneRun;
                }

                /* Fill in the DMA descriptor. */
                desc.Control0 = MxsDcpControl0DecrSemaphore |
                    MxsDcpControl0Interrupt |
                    MxsDcpControl0EnableCipher;

                /* Payload contains the key. */
                desc.Control0 |= MxsDcpControl0PayloadKey;

                if (rctx.Enc != 0)
                    desc.Control0 |= MxsDcpControl0CipherEncrypt;
                if (init != 0)
                    desc.Control0 |= MxsDcpControl0CipherInit;

                desc.Control1 = MxsDcpControl1CipherSelectAes128;

                if (rctx.Ecb != 0)
                    desc.Control1 |= MxsDcpControl1CipherModeEcb;
                else
                    desc.Control1 |= MxsDcpControl1CipherModeCbc;

                desc.NextCmdAddr = 0;
                desc.Source = (uint)srcPhys.Raw;
                desc.Destination = (uint)dstPhys.Raw;
                desc.Size = actx.Fill;
                desc.Payload = (uint)keyPhys.Raw;
                desc.Status = 0;

                ret = MxsDcpStartDma(actx);

            aesDoneRun:
                Dma.UnmapSingle(sdcp.Dev, keyPhys, 2 * AesKeysize128, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, srcPhys, DcpBufSz, DmaDirection.ToDevice);
                Dma.UnmapSingle(sdcp.Dev, dstPhys, DcpBufSz, DmaDirection.FromDevice);

                return ret;
            }

            // mxs_dcp_run_sha
            static int MxsDcpRunSha(DcpAsyncCtx actx, DcpShaReqCtx rctx, uint digestsize)
            {
                Dcp sdcp = GlobalSdcp;
                int ret;

                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];

                DmaAddr digestPhys = default;
                DmaAddr bufPhys = {|P2P0020:Dma.MapSingle(sdcp.Dev, sdcp.Coh.ShaInBuf, 0, DcpBufSz, DmaDirection.ToDevice)|};

                /* Fill in the DMA descriptor. */
                desc.Control0 = MxsDcpControl0DecrSemaphore |
                    MxsDcpControl0Interrupt |
                    MxsDcpControl0EnableHash;
                if (rctx.Init != 0)
                    desc.Control0 |= MxsDcpControl0HashInit;

                desc.Control1 = actx.Alg;
                desc.NextCmdAddr = 0;
                desc.Source = (uint)bufPhys.Raw;
                desc.Destination = 0;
                desc.Size = actx.Fill;
                desc.Payload = 0;
                desc.Status = 0;

                /*
                 * Align driver with hw behavior when generating null hashes
                 */
                if (rctx.Init != 0 && rctx.Fini != 0 && desc.Size == 0)
                {
                    byte[] shaBuf = new byte[digestsize];  // sha1_null_hash : sha256_null_hash
                    sdcp.Coh.ShaOutBuf.Write(0, shaBuf);
                    ret = 0;
                    goto doneRun;
                }

                /* Set HASH_TERM bit for last transfer block. */
                if (rctx.Fini != 0)
                {
                    digestPhys = {|P2P0020:Dma.MapSingle(sdcp.Dev, sdcp.Coh.ShaOutBuf, 0, DcpShaPaySz, DmaDirection.FromDevice)|};
                    desc.Control0 |= MxsDcpControl0HashTerm;
                    desc.Payload = (uint)digestPhys.Raw;
                }

                ret = MxsDcpStartDma(actx);

                if (rctx.Fini != 0)
                    Dma.UnmapSingle(sdcp.Dev, digestPhys, DcpShaPaySz, DmaDirection.FromDevice);

            doneRun:
                Dma.UnmapSingle(sdcp.Dev, bufPhys, DcpBufSz, DmaDirection.ToDevice);

                return ret;
            }
        }
        """;

    // The same three functions after df6313d707e5.
    internal const string Fixed = """
        static partial class MxsDcp
        {
            // mxs_dcp_start_dma
            static int MxsDcpStartDma(DcpAsyncCtx actx)
            {
                bool dmaErr;
                Dcp sdcp = GlobalSdcp;
                int chan = actx.Chan;
                uint stat;
                ulong ret;
                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];
                // P2P0022 as before the fix (the timeout/error returns).
                DmaAddr descPhys = {|P2P0022:Dma.MapSingle(sdcp.Dev, desc.Mem, 0, DcpDmaDesc.SizeOf, DmaDirection.ToDevice)|};

                dmaErr = Dma.MappingError(sdcp.Dev, descPhys);
                if (dmaErr)
                    return -12;  // return dma_err; (dma_mapping_error's -ENOMEM)

                ReinitCompletion(sdcp.Completion[chan]);

                /* Clear status register. */
                Writel(0xffffffff, sdcp.Base, MxsDcpChNStatClr(chan));

                /* Load the DMA descriptor. */
                Writel((uint)descPhys.Raw, sdcp.Base, MxsDcpChNCmdptr(chan));

                /* Increment the semaphore to start the DMA transfer. */
                Writel(1, sdcp.Base, MxsDcpChNSema(chan));

                ret = WaitForCompletionTimeout(sdcp.Completion[chan], 1000);
                if (ret == 0)
                {
                    DevErr(sdcp.Dev, "Channel timeout");
                    return -ETIMEDOUT;  // desc_phys still left mapped: not what df6313d707e5 fixed
                }

                stat = Readl(sdcp.Base, MxsDcpChNStat(chan));
                if ((stat & 0xff) != 0)
                {
                    DevErr(sdcp.Dev, "Channel error");
                    return -EINVAL;
                }

                Dma.UnmapSingle(sdcp.Dev, descPhys, DcpDmaDesc.SizeOf, DmaDirection.ToDevice);

                return 0;
            }

            // mxs_dcp_run_aes
            static int MxsDcpRunAes(DcpAsyncCtx actx, DcpAesReqCtx rctx, int init)
            {
                DmaAddr keyPhys, srcPhys, dstPhys;
                Dcp sdcp = GlobalSdcp;
                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];
                int ret;

                keyPhys = Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesKey, 0, 2 * AesKeysize128, DmaDirection.ToDevice);
                ret = Dma.MappingError(sdcp.Dev, keyPhys) ? -12 : 0;
                if (ret != 0)
                    return ret;

                srcPhys = Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesInBuf, 0, DcpBufSz, DmaDirection.ToDevice);
                ret = Dma.MappingError(sdcp.Dev, srcPhys) ? -12 : 0;
                if (ret != 0)
                    goto errSrc;

                dstPhys = Dma.MapSingle(sdcp.Dev, sdcp.Coh.AesOutBuf, 0, DcpBufSz, DmaDirection.FromDevice);
                ret = Dma.MappingError(sdcp.Dev, dstPhys) ? -12 : 0;
                if (ret != 0)
                    goto errDst;

                if (actx.Fill % AesBlockSize != 0)
                {
                    DevErr(sdcp.Dev, "Invalid block size!");
                    ret = -EINVAL;
                    goto aesDoneRun;
                }

                /* Fill in the DMA descriptor. */
                desc.Control0 = MxsDcpControl0DecrSemaphore |
                    MxsDcpControl0Interrupt |
                    MxsDcpControl0EnableCipher;

                /* Payload contains the key. */
                desc.Control0 |= MxsDcpControl0PayloadKey;

                if (rctx.Enc != 0)
                    desc.Control0 |= MxsDcpControl0CipherEncrypt;
                if (init != 0)
                    desc.Control0 |= MxsDcpControl0CipherInit;

                desc.Control1 = MxsDcpControl1CipherSelectAes128;

                if (rctx.Ecb != 0)
                    desc.Control1 |= MxsDcpControl1CipherModeEcb;
                else
                    desc.Control1 |= MxsDcpControl1CipherModeCbc;

                desc.NextCmdAddr = 0;
                desc.Source = (uint)srcPhys.Raw;
                desc.Destination = (uint)dstPhys.Raw;
                desc.Size = actx.Fill;
                desc.Payload = (uint)keyPhys.Raw;
                desc.Status = 0;

                ret = MxsDcpStartDma(actx);

            aesDoneRun:
                Dma.UnmapSingle(sdcp.Dev, dstPhys, DcpBufSz, DmaDirection.FromDevice);
            errDst:
                Dma.UnmapSingle(sdcp.Dev, srcPhys, DcpBufSz, DmaDirection.ToDevice);
            errSrc:
                Dma.UnmapSingle(sdcp.Dev, keyPhys, 2 * AesKeysize128, DmaDirection.ToDevice);

                return ret;
            }

            // mxs_dcp_run_sha
            static int MxsDcpRunSha(DcpAsyncCtx actx, DcpShaReqCtx rctx, uint digestsize)
            {
                Dcp sdcp = GlobalSdcp;
                int ret;

                DcpDmaDesc desc = sdcp.Coh.Desc[actx.Chan];

                DmaAddr digestPhys = default;
                DmaAddr bufPhys = Dma.MapSingle(sdcp.Dev, sdcp.Coh.ShaInBuf, 0, DcpBufSz, DmaDirection.ToDevice);

                ret = Dma.MappingError(sdcp.Dev, bufPhys) ? -12 : 0;
                if (ret != 0)
                    return ret;

                /* Fill in the DMA descriptor. */
                desc.Control0 = MxsDcpControl0DecrSemaphore |
                    MxsDcpControl0Interrupt |
                    MxsDcpControl0EnableHash;
                if (rctx.Init != 0)
                    desc.Control0 |= MxsDcpControl0HashInit;

                desc.Control1 = actx.Alg;
                desc.NextCmdAddr = 0;
                desc.Source = (uint)bufPhys.Raw;
                desc.Destination = 0;
                desc.Size = actx.Fill;
                desc.Payload = 0;
                desc.Status = 0;

                /*
                 * Align driver with hw behavior when generating null hashes
                 */
                if (rctx.Init != 0 && rctx.Fini != 0 && desc.Size == 0)
                {
                    byte[] shaBuf = new byte[digestsize];  // sha1_null_hash : sha256_null_hash
                    sdcp.Coh.ShaOutBuf.Write(0, shaBuf);
                    ret = 0;
                    goto doneRun;
                }

                /* Set HASH_TERM bit for last transfer block. */
                if (rctx.Fini != 0)
                {
                    digestPhys = Dma.MapSingle(sdcp.Dev, sdcp.Coh.ShaOutBuf, 0, DcpShaPaySz, DmaDirection.FromDevice);
                    ret = Dma.MappingError(sdcp.Dev, digestPhys) ? -12 : 0;
                    if (ret != 0)
                        goto doneRun;

                    desc.Control0 |= MxsDcpControl0HashTerm;
                    desc.Payload = (uint)digestPhys.Raw;
                }

                ret = MxsDcpStartDma(actx);

                if (rctx.Fini != 0)
                    Dma.UnmapSingle(sdcp.Dev, digestPhys, DcpShaPaySz, DmaDirection.FromDevice);

            doneRun:
                Dma.UnmapSingle(sdcp.Dev, bufPhys, DcpBufSz, DmaDirection.ToDevice);

                return ret;
            }
        }
        """;

    // The fix written with the check tested directly (`if (Dma.MappingError(..)) { ret = -12; ... }`), the shape
    // P2P0020's own fix writes, in all four places (start_dma's `dma_err` local included).
    // Everything else is the fixed tree unchanged; the same result as the faithful form below.
    internal static readonly string FixedCheckInBranch = System.Text.RegularExpressions.Regex.Replace(
        Fixed
            .Replace("bool dmaErr;", string.Empty)
            .Replace("dmaErr = Dma.MappingError(sdcp.Dev, descPhys);", string.Empty)
            .Replace("if (dmaErr)", "if (Dma.MappingError(sdcp.Dev, descPhys))"),
        @"ret = Dma\.MappingError\(([^)]*)\) \? -12 : 0;\r?\n(\s*)if \(ret != 0\)\r?\n(\s*)([^\r\n]*);",
        "if (Dma.MappingError($1))\n$2{\n$3ret = -12;\n$3$4;\n$2}");

    [Fact]
    public Task MxsDcp_BeforeFix_UncheckedDescriptorKeyAndBufferMappings_Reports() =>
        KernelVerify.RunAsync(Dcp, BeforeFix);

    // As fixed, faithfully: `ret = dma_mapping_error(dev, x); if (ret) goto err;` kept as the int it is in C
    // (`ret = Dma.MappingError(dev, x) ? -12 : 0; if (ret != 0) ...`), start_dma's `dma_err` as a bool local
    // (`dmaErr = Dma.MappingError(..); if (dmaErr) return -12;`). Expected: only the known start_dma miss. Before the
    // check kept in a local was read as the failure test (MappingErrorKeptInALocalTests), this drew P2P0022 at all six
    // checked map calls and P2P0023 at the five unmaps after the run_aes/run_sha checks: false positives.
    [Fact]
    public Task MxsDcp_AsFixed_EveryMappingChecked_StillLeaksInStartDma() =>
        KernelVerify.RunAsync(Dcp, Fixed);

    [Fact]
    public Task MxsDcp_AsFixed_CheckInBranch_StillLeaksInStartDma()
    {
        Assert.Equal(6, FixedCheckInBranch.Split("if (Dma.MappingError(").Length - 1);
        Assert.DoesNotContain("dmaErr", FixedCheckInBranch);
        return KernelVerify.RunAsync(Dcp, FixedCheckInBranch);
    }
}
