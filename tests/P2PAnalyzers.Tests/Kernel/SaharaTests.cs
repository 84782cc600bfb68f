namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// sahara (drivers/crypto/sahara.c, Freescale i.MX27/i.MX53 SAHARA2 accelerator) before two fixes of Ovidiu Panait's
/// December 2023 series:
/// <list type="bullet">
/// <item>"crypto: sahara - fix error handling in sahara_hw_descriptor_create()": when dma_map_sg() of dev-&gt;in_sg
/// failed the function jumped to <c>unmap_in</c>, unmapping the list it had just failed to map; when the map of
/// dev-&gt;out_sg failed it jumped to <c>unmap_out</c>, unmapping dev-&gt;out_sg that was never mapped (then in_sg,
/// rightly). The fix returns at once on the first failure and sends the second to <c>unmap_in</c>, dropping
/// <c>unmap_out</c>.</item>
/// <item>"crypto: sahara - fix wait_for_completion_timeout() error handling" (2dba8e1d1a79): sahara_aes_process() and
/// sahara_sha_process() returned -ETIMEDOUT when the interrupt (sahara_irq_handler, which completes
/// dev-&gt;dma_completion) never came, leaving the lists that sahara_hw_descriptor_create() or
/// sahara_sha_hw_links_create() had mapped into dev-&gt;in_sg/out_sg still mapped. The fix unmaps before testing the
/// timeout.</item>
/// </list>
/// The lists, their nents and the descriptors live in struct sahara_dev; the kthread (sahara_queue_manage) runs the
/// process functions; the descriptor builders map; the process functions unmap after the IRQ handler completes.
/// <para>
/// Sites the series did not fix, present before and after it (marked per P2P0024's page, the loop half): the link
/// builders walk the mapped lists with sg_next for dev-&gt;nb_in_sg / nb_out_sg entries, the nents given to
/// dma_map_sg(), reading sg-&gt;dma_address, instead of the segment count it returned.
/// </para>
/// </summary>
public sealed class SaharaTests
{
    // The SHA timeout return leaks what sahara_sha_hw_links_create mapped, two helpers deep (sahara_sha_hw_data_descriptor_create
    // calls it and passes its error on). As fixed, sahara_sha_process unmaps under `if (rctx->sg_in_idx)`, the mark the data
    // descriptor sets; P2P0022 takes a test of a member of what the helper was handed, guarding the unmap, as that mark.
    // (The kernel sets sg_in_idx to the descriptor index, 0 for the first request, so that request's list is never
    // unmapped at all; that is a leak on the success path, which P2P0022 does not hold a helper's caller to.)
    // struct sahara_dev and friends, the register and completion helpers, the IRQ handler and the queue kthread.
    internal const string Dev = """
        // struct sahara_hw_desc, struct sahara_hw_link
        sealed class SaharaHwDesc { public uint Hdr, Len1, P1, Len2, P2, Next; }

        sealed class SaharaHwLink { public uint Len, P, Next; }

        // struct sahara_ctx
        sealed class SaharaCtx
        {
            public byte[] Key = new byte[16];
            public int Keylen;
        }

        // struct sahara_aes_reqctx
        sealed class SaharaAesReqctx { public ulong Mode; }

        // struct sahara_sha_reqctx
        sealed class SaharaShaReqctx
        {
            public byte[] Context = new byte[36];
            public uint Mode;
            public int ContextSize;
            public int DigestSize;
            public bool First, Last;
            public int SgInIdx;
            public SgTable InSg = null!;
            public uint Total;
        }

        sealed class Completion { public bool Done; }

        // struct skcipher_request / ahash_request (the fields used)
        sealed class SkcipherRequest
        {
            public SgTable Src = null!, Dst = null!;
            public uint Cryptlen;
            public byte[]? Iv;
            public SaharaAesReqctx Rctx = new();
            public SaharaCtx Ctx = new();
        }

        sealed class AhashRequest
        {
            public SgTable Src = null!;
            public uint Nbytes;
            public byte[]? Result;
            public SaharaShaReqctx Rctx = new();
        }

        // struct sahara_dev
        sealed class SaharaDev
        {
            public PciDevice Device = null!;
            public SaharaCtx Ctx = null!;
            public ulong Flags;
            public SaharaHwDesc[] HwDesc = { new(), new() };
            public uint[] HwPhysDesc = new uint[2];
            public byte[] KeyBase = new byte[32];
            public uint KeyPhysBase, IvPhysBase;
            public byte[] ContextBase = new byte[36];
            public uint ContextPhysBase;
            public SaharaHwLink[] HwLink = new SaharaHwLink[20];
            public uint[] HwPhysLink = new uint[20];
            public uint Total;
            public SgTable InSg = null!;
            public int NbInSg;
            public SgTable OutSg = null!;
            public int NbOutSg;
            public Completion DmaCompletion = new();
            public uint Dar;
        }

        static partial class Sahara
        {
            const ulong FlagsCbc = 1 << 1;
            const int SaharaMaxHwLink = 20;
            const ulong SaharaTimeoutMs = 1000;

            static SaharaDev DevPtr = null!;

            static void SaharaWrite(SaharaDev dev, uint data, uint reg) => dev.Dar = data;

            static void ReinitCompletion(Completion c) => c.Done = false;

            static void Complete(Completion c) => c.Done = true;

            // wait_for_completion_timeout: 0 when it timed out
            static ulong WaitForCompletionTimeout(Completion c, ulong ms) => c.Done ? ms : 0;

            // sg_nents_for_len
            static int SgNentsForLen(SgTable sg, uint len) => len <= (ulong)sg.Count * 4096 ? sg.Count : -22;


            static uint SaharaAesKeyHdr(SaharaDev dev) => 0x10880000;

            static uint SaharaAesDataLinkHdr(SaharaDev dev) => 0x10840000;

            static uint SaharaShaInitHdr(SaharaDev dev, SaharaShaReqctx rctx) => rctx.Mode;

            // sahara_irq_handler
            public static int SaharaIrqHandler(SaharaDev dev)
            {
                Complete(dev.DmaCompletion);
                return 1;  // IRQ_HANDLED
            }

            // sahara_queue_manage, one dequeued request
            public static int SaharaQueueManage(object asyncReq)
            {
                int ret;
                if (asyncReq is AhashRequest hreq)
                {
                    ret = SaharaShaProcess(hreq);
                }
                else
                {
                    ret = SaharaAesProcess((SkcipherRequest)asyncReq);
                }

                return ret;  // crypto_request_complete(async_req, ret)
            }
        }

        """;

    // sahara_hw_descriptor_create, sahara_aes_process, sahara_sha_hw_links_create ... sahara_sha_process: before the
    // series. %MARK_*% are replaced by the buggy or the fixed text.
    private const string Template = """
        static partial class Sahara
        {
            // sahara_hw_descriptor_create
            static int SaharaHwDescriptorCreate(SaharaDev dev)
            {
                SaharaCtx ctx = dev.Ctx;
                Scatterlist sg;
                int ret;
                int i, j;
                int idx = 0;
                uint len;

                Array.Copy(ctx.Key, dev.KeyBase, ctx.Keylen);

                if ((dev.Flags & FlagsCbc) != 0)
                {
                    dev.HwDesc[idx].Len1 = 16;  // AES_BLOCK_SIZE
                    dev.HwDesc[idx].P1 = dev.IvPhysBase;
                }
                else
                {
                    dev.HwDesc[idx].Len1 = 0;
                    dev.HwDesc[idx].P1 = 0;
                }

                dev.HwDesc[idx].Len2 = (uint)ctx.Keylen;
                dev.HwDesc[idx].P2 = dev.KeyPhysBase;
                dev.HwDesc[idx].Next = dev.HwPhysDesc[1];
                dev.HwDesc[idx].Hdr = SaharaAesKeyHdr(dev);

                idx++;

                dev.NbInSg = SgNentsForLen(dev.InSg, dev.Total);
                if (dev.NbInSg < 0)
                {
                    // dev_err(dev->device, "Invalid numbers of src SG.\n");
                    return dev.NbInSg;
                }

                dev.NbOutSg = SgNentsForLen(dev.OutSg, dev.Total);
                if (dev.NbOutSg < 0)
                {
                    // dev_err(dev->device, "Invalid numbers of dst SG.\n");
                    return dev.NbOutSg;
                }

                if ((dev.NbInSg + dev.NbOutSg) > SaharaMaxHwLink)
                {
                    // dev_err(dev->device, "not enough hw links (%d)\n", ...);
                    return -22;
                }

                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg,
                                DmaDirection.ToDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map in sg\n");
                    %IN_FAIL%
                }

                ret = Dma.MapSg(dev.Device, dev.OutSg, dev.NbOutSg,
                                DmaDirection.FromDevice);
                if (ret == 0)
                {
                    // dev_err(dev->device, "couldn't map out sg\n");
                    %OUT_FAIL%
                }

                // Create input links
                dev.HwDesc[idx].P1 = dev.HwPhysLink[0];
                sg = dev.InSg[0];
                len = dev.Total;
                for (i = 0; i < {|P2P0024:dev.NbInSg|}; i++)
                {
                    dev.HwLink[i].Len = Math.Min(len, (uint)sg.Length);
                    dev.HwLink[i].P = (uint)sg.DmaAddress.Raw;
                    if (i == (dev.NbInSg - 1))
                    {
                        dev.HwLink[i].Next = 0;
                    }
                    else
                    {
                        len -= Math.Min(len, (uint)sg.Length);
                        dev.HwLink[i].Next = dev.HwPhysLink[i + 1];
                        sg = sg.Next()!;
                    }
                }

                // Create output links
                dev.HwDesc[idx].P2 = dev.HwPhysLink[i];
                sg = dev.OutSg[0];
                len = dev.Total;
                for (j = i; j < {|P2P0024:dev.NbOutSg + i|}; j++)
                {
                    dev.HwLink[j].Len = Math.Min(len, (uint)sg.Length);
                    dev.HwLink[j].P = (uint)sg.DmaAddress.Raw;
                    if (j == (dev.NbOutSg + i - 1))
                    {
                        dev.HwLink[j].Next = 0;
                    }
                    else
                    {
                        len -= Math.Min(len, (uint)sg.Length);
                        dev.HwLink[j].Next = dev.HwPhysLink[j + 1];
                        sg = sg.Next()!;
                    }
                }

                // Fill remaining fields of hw_desc[1]
                dev.HwDesc[idx].Hdr = SaharaAesDataLinkHdr(dev);
                dev.HwDesc[idx].Len1 = dev.Total;
                dev.HwDesc[idx].Len2 = dev.Total;
                dev.HwDesc[idx].Next = 0;

                SaharaWrite(dev, dev.HwPhysDesc[0], 0x04);  // SAHARA_REG_DAR

                return 0;

            %LABELS%
                return -22;
            }

            // sahara_aes_process
            static int SaharaAesProcess(SkcipherRequest req)
            {
                SaharaDev dev = DevPtr;
                SaharaCtx ctx;
                SaharaAesReqctx rctx;
                int ret;
                ulong timeout;

                // assign new request to device
                dev.Total = req.Cryptlen;
                dev.InSg = req.Src;
                dev.OutSg = req.Dst;

                rctx = req.Rctx;
                ctx = req.Ctx;
                dev.Flags = rctx.Mode;

                // assign new context to device
                dev.Ctx = ctx;

                ReinitCompletion(dev.DmaCompletion);

                ret = %AES_CREATE%;
                if (ret != 0)
                {
                    return -22;
                }

                timeout = WaitForCompletionTimeout(dev.DmaCompletion, SaharaTimeoutMs);
                %AES_TAIL%

                return 0;
            }

            // sahara_sha_hw_links_create
            static int SaharaShaHwLinksCreate(SaharaDev dev, SaharaShaReqctx rctx, int start)
            {
                Scatterlist sg;
                int i;
                int ret;

                dev.InSg = rctx.InSg;

                dev.NbInSg = SgNentsForLen(dev.InSg, rctx.Total);
                if (dev.NbInSg < 0)
                {
                    // dev_err(dev->device, "Invalid numbers of src SG.\n");
                    return dev.NbInSg;
                }

                if ((dev.NbInSg) > SaharaMaxHwLink)
                {
                    // dev_err(dev->device, "not enough hw links (%d)\n", ...);
                    return -22;
                }

                sg = dev.InSg[0];
                ret = Dma.MapSg(dev.Device, dev.InSg, dev.NbInSg, DmaDirection.ToDevice);
                if (ret == 0)
                {
                    return -14;
                }

                for (i = start; i < {|P2P0024:dev.NbInSg + start|}; i++)
                {
                    dev.HwLink[i].Len = (uint)sg.Length;
                    dev.HwLink[i].P = (uint)sg.DmaAddress.Raw;
                    if (i == (dev.NbInSg + start - 1))
                    {
                        dev.HwLink[i].Next = 0;
                    }
                    else
                    {
                        dev.HwLink[i].Next = dev.HwPhysLink[i + 1];
                        sg = sg.Next()!;
                    }
                }

                return i;
            }

            // sahara_sha_hw_data_descriptor_create
            static int SaharaShaHwDataDescriptorCreate(SaharaDev dev, SaharaShaReqctx rctx, AhashRequest req, int index)
            {
                int resultLen;
                int i = index;

                if (rctx.First)
                {
                    // Create initial descriptor: #8
                    dev.HwDesc[index].Hdr = SaharaShaInitHdr(dev, rctx);
                }
                else
                {
                    // Create hash descriptor: #10. Must follow #6.
                    dev.HwDesc[index].Hdr = 0x10880000;  // SAHARA_HDR_MDHA_HASH
                }

                dev.HwDesc[index].Len1 = rctx.Total;
                if (dev.HwDesc[index].Len1 == 0)
                {
                    // if len1 is 0, p1 must be 0, too
                    dev.HwDesc[index].P1 = 0;
                    rctx.SgInIdx = 0;
                }
                else
                {
                    // Create input links
                    dev.HwDesc[index].P1 = dev.HwPhysLink[index];
                    i = SaharaShaHwLinksCreate(dev, rctx, index);

                    rctx.SgInIdx = index;
                    if (i < 0)
                    {
                        return i;
                    }
                }

                dev.HwDesc[index].P2 = dev.HwPhysLink[i];

                // Save the context for the next operation
                resultLen = rctx.ContextSize;
                dev.HwLink[i].P = dev.ContextPhysBase;

                dev.HwLink[i].Len = (uint)resultLen;
                dev.HwDesc[index].Len2 = (uint)resultLen;

                dev.HwLink[i].Next = 0;

                return 0;
            }

            // sahara_sha_hw_context_descriptor_create
            static int SaharaShaHwContextDescriptorCreate(SaharaDev dev, SaharaShaReqctx rctx, AhashRequest req, int index)
            {
                dev.HwDesc[index].Hdr = SaharaShaInitHdr(dev, rctx);

                dev.HwDesc[index].Len1 = (uint)rctx.ContextSize;
                dev.HwDesc[index].P1 = dev.HwPhysLink[index];
                dev.HwDesc[index].Len2 = 0;
                dev.HwDesc[index].P2 = 0;

                dev.HwLink[index].Len = (uint)rctx.ContextSize;
                dev.HwLink[index].P = dev.ContextPhysBase;
                dev.HwLink[index].Next = 0;

                return 0;
            }

            // sahara_sha_prepare_request: -EINPROGRESS when there is data to hash (buffering left out)
            static int SaharaShaPrepareRequest(AhashRequest req)
            {
                SaharaShaReqctx rctx = req.Rctx;
                rctx.InSg = req.Src;
                rctx.Total = req.Nbytes;
                return -115;
            }

            // sahara_sha_process
            static int SaharaShaProcess(AhashRequest req)
            {
                SaharaDev dev = DevPtr;
                SaharaShaReqctx rctx = req.Rctx;
                int ret;
                ulong timeout;

                ret = SaharaShaPrepareRequest(req);
                if (ret == 0)
                {
                    return ret;
                }

                if (rctx.First)
                {
                    %SHA_CREATE_FIRST%;
                    dev.HwDesc[0].Next = 0;
                    rctx.First = false;
                }
                else
                {
                    Array.Copy(rctx.Context, dev.ContextBase, rctx.ContextSize);

                    SaharaShaHwContextDescriptorCreate(dev, rctx, req, 0);
                    dev.HwDesc[0].Next = dev.HwPhysDesc[1];
                    %SHA_CREATE_NEXT%;
                    dev.HwDesc[1].Next = 0;
                }

                ReinitCompletion(dev.DmaCompletion);

                SaharaWrite(dev, dev.HwPhysDesc[0], 0x04);  // SAHARA_REG_DAR

                timeout = WaitForCompletionTimeout(dev.DmaCompletion, SaharaTimeoutMs);
                %SHA_TAIL%

                Array.Copy(dev.ContextBase, rctx.Context, rctx.ContextSize);

                if (req.Result != null && rctx.Last)
                {
                    Array.Copy(rctx.Context, req.Result, rctx.DigestSize);
                }

                return 0;
            }
        }
        """;

    internal static readonly string Before = Template
        .Replace("%IN_FAIL%", "goto unmapIn;")
        .Replace("%OUT_FAIL%", "goto unmapOut;")
        .Replace("%LABELS%", """
            unmapOut:
                    {|P2P0023:Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg,
                        DmaDirection.FromDevice)|};
                unmapIn:
                    {|P2P0023:Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                        DmaDirection.ToDevice)|};

            """)
        .Replace("%AES_CREATE%", "{|P2P0022:SaharaHwDescriptorCreate(dev)|}")
        .Replace("%AES_TAIL%", """
            if (timeout == 0)
                            {
                                // dev_err(dev->device, "AES timeout\n");
                                return -110;
                            }

                            Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg,
                                DmaDirection.FromDevice);
                            Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                                DmaDirection.ToDevice);
            """)
        .Replace("%SHA_CREATE_FIRST%", "{|P2P0022:SaharaShaHwDataDescriptorCreate(dev, rctx, req, 0)|}")
        .Replace("%SHA_CREATE_NEXT%", "{|P2P0022:SaharaShaHwDataDescriptorCreate(dev, rctx, req, 1)|}")
        .Replace("%SHA_TAIL%", """
            if (timeout == 0)
                            {
                                // dev_err(dev->device, "SHA timeout\n");
                                return -110;
                            }

                            if (rctx.SgInIdx != 0)
                            {
                                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                                    DmaDirection.ToDevice);
                            }
            """);

    internal static readonly string Fixed = Template
        .Replace("%IN_FAIL%", "return -22;")
        .Replace("%OUT_FAIL%", "goto unmapIn;")
        .Replace("%LABELS%", """
            unmapIn:
                    Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                        DmaDirection.ToDevice);

            """)
        .Replace("%AES_CREATE%", "SaharaHwDescriptorCreate(dev)")
        .Replace("%AES_TAIL%", """
            Dma.UnmapSg(dev.Device, dev.OutSg, dev.NbOutSg,
                                DmaDirection.FromDevice);
                            Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                                DmaDirection.ToDevice);

                            if (timeout == 0)
                            {
                                // dev_err(dev->device, "AES timeout\n");
                                return -110;
                            }
            """)
        .Replace("%SHA_CREATE_FIRST%", "SaharaShaHwDataDescriptorCreate(dev, rctx, req, 0)")
        .Replace("%SHA_CREATE_NEXT%", "SaharaShaHwDataDescriptorCreate(dev, rctx, req, 1)")
        .Replace("%SHA_TAIL%", """
            if (rctx.SgInIdx != 0)
                            {
                                Dma.UnmapSg(dev.Device, dev.InSg, dev.NbInSg,
                                    DmaDirection.ToDevice);
                            }

                            if (timeout == 0)
                            {
                                // dev_err(dev->device, "SHA timeout\n");
                                return -110;
                            }
            """);

    [Fact]
    public Task SaharaHwDescriptorCreate_UnmapsFailedLists_AesAndShaProcess_LeakOnTimeout_Reports() =>
        KernelVerify.RunAsync(Dev, Before);

    // Both fixes applied; the link loops over the nents, which the series did not touch, stay marked.
    [Fact]
    public Task Sahara_AsFixed_ReturnsOnFirstMapFailure_UnmapsBeforeTimeoutTest_OnlyUnfixedLoopsReport() =>
        KernelVerify.RunAsync(Dev, Fixed);
}
