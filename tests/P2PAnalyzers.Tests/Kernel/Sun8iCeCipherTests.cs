namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// sun8i-ce (drivers/crypto/allwinner/sun8i-ce, the Allwinner H3/A64/H5/H6/R40 Crypto Engine, a crypto_engine driver)
/// before "crypto: sun8i-ce-cipher - fix error handling in sun8i_ce_cipher_prepare()" (f31adc3e356f, Ovidiu Panait,
/// 2025, Fixes: 06f751b61329 "crypto: allwinner - Add sun8i-ce Crypto Engine"; the hash is the upstream one named in
/// the 6.12 stable review patch, "[ Upstream commit f31adc3e356f7350d4a4d68c98d3f60f2f6e26b3 ]", whose diff was read).
/// The skcipher path is split as the crypto_engine API splits it: <c>sun8i_ce_cipher_prepare</c> maps the key
/// (<c>dma_map_single</c> DMA_TO_DEVICE into <c>rctx-&gt;addr_key</c>), the IV (<c>dma_map_single</c> of the channel's
/// bounce buffer into <c>rctx-&gt;addr_iv</c>) and the source and destination scatterlists (one DMA_BIDIRECTIONAL map when
/// <c>src == dst</c>, else DMA_TO_DEVICE and DMA_FROM_DEVICE), writes the addresses into the channel's coherent
/// <c>struct ce_task</c>, and keeps the counts in the request context; <c>sun8i_ce_cipher_run</c> hands the task to
/// <c>sun8i_ce_run_task</c> (sun8i-ce-core.c), which starts the flow and waits for <c>ce_irq_handler</c>; then
/// <c>sun8i_ce_cipher_unprepare</c> unmaps all of it.
/// <para>
/// Bug sites before the fix (P2P0023, both in sun8i_ce_cipher_prepare's unwinding):
/// (1) when <c>dma_map_sg</c> of <c>areq-&gt;dst</c> fails, the <c>goto theend_sgs</c> reaches
/// <c>dma_unmap_sg(ce-&gt;dev, areq-&gt;dst, nd, DMA_FROM_DEVICE)</c>: an unmap of a table on its map call's failure edge
/// ("tries to free DMA memory it has not allocated"); (2) when <c>dma_map_single</c> of the IV fails, the
/// <c>goto theend_iv</c> reaches <c>if (rctx-&gt;addr_iv) dma_unmap_single(..rctx-&gt;addr_iv..)</c>: the zero guard does not
/// stop DMA_MAPPING_ERROR (the commit quotes DMA-API "device driver tries to free an invalid DMA memory address"). The
/// fix guards the first with <c>if (nr_sgd &gt; 0)</c> and the second with <c>if (!dma_mapping_error(..))</c>.
/// </para>
/// <para>
/// Left by the fix, marked in both versions (P2P0024): <c>sun8i_ce_cipher_unprepare</c> unmaps the lists with
/// <c>rctx-&gt;nr_sgs</c>/<c>rctx-&gt;nr_sgd</c>, the counts <c>dma_map_sg</c> returned, not the nents it was given; fixed later
/// in 2025 by "crypto: sun8i-ce - fix nents passed to dma_unmap_sg()" (Ovidiu Panait; title seen in the stable queues,
/// the mainline hash not confirmed).
/// Not marked: <c>nr_sgs &gt; MAX_SG</c> / <c>nr_sgd &gt; MAX_SG</c> send a mapped list to an exit that does not unmap it, but
/// cannot happen: <c>sun8i_ce_skencrypt</c>/<c>skdecrypt</c> fall back to software when <c>sg_nents_for_len</c> exceeds
/// MAX_SG, and <c>dma_map_sg</c> returns at most the nents it was given.
/// </para>
/// <para>
/// Transliteration: the code is the stored torvalds/linux sun8i-ce-cipher.c at 031bc3e8b9e2 (two commits after the
/// fix; the fix's hunk context matches it line for line), with the two hunks taken back out for the before text;
/// sun8i-ce.h as of that era (bounce_iv/backup_iv on the flow, <c>ivlen</c> in the request context); sun8i-ce-core.c's
/// <c>sun8i_ce_run_task</c>, <c>ce_irq_handler</c>, <c>sun8i_ce_get_engine_number</c> and the channel list allocation
/// written from the upstream file (the ESR decoding per variant is reduced to one mask). Deviations: the platform
/// device is the library's PciDevice; <c>struct scatterlist *</c> lists are SgTables, <c>for_each_sg</c> a loop over the
/// table's entries; <c>container_of(async_req, ..)</c> is a cast; the tfm context, request context and algorithm
/// template hang off the request objects; <c>op-&gt;key</c> and the channel's IV buffers are kmalloc'd KernelBuffers;
/// the descriptor words that the engine reads as addresses are <c>[DmaAddress]</c>; registers are an array behind
/// readl/writel; completion, mutex, bh, pm_runtime, debug statistics and <c>scatterwalk_map_and_copy</c> are stubs.
/// Not transliterated: the hash, PRNG and TRNG files, probe/remove and clocks, the fallback tfm setup
/// (<c>sun8i_ce_cipher_init</c>/<c>exit</c>) and the DES3 setkey.
/// </para>
/// <para>
/// Measured by the blind trial: both P2P0023 sites caught (the table unmap on the dst map's failure edge, and the IV
/// unmap past the zero guard), the three P2P0024 sites in unprepare caught in both versions; both tests were skipped
/// for one false positive pair, P2P0022 at the two <c>dma_map_sg</c> calls of <c>areq-&gt;src</c> ("The mapping
/// Dma.MapSg made here is still mapped at 'return err;', which returns an error"), on the <c>nr_sgs &gt; MAX_SG</c> arm
/// of the failure test, which cannot run: skencrypt/skdecrypt fall back to software when sg_nents_for_len(src) &gt;
/// MAX_SG, and dma_map_sg returns at most the ns it was given. The range check beside the zero test is now read as the
/// mapping's failure test (CountRangeChecks), and both tests run.
/// </para>
/// </summary>
public sealed class Sun8iCeCipherTests
{
    // include/crypto/skcipher.h, crypto/engine.h, linux/scatterlist.h: what sun8i-ce uses of them.
    internal const string Crypto = """
        sealed class Completion { public bool Done; }

        sealed class CryptoEngine { public bool Running; }

        // struct crypto_skcipher (with crypto_skcipher_ctx and crypto_skcipher_alg)
        sealed class CryptoSkcipher
        {
            public Sun8iCipherTfmCtx Ctx = new();
            public Sun8iCeAlgTemplate Alg = new();
            public uint Ivsize;
            public string Name = "cbc(aes)";
        }

        // struct skcipher_request (with skcipher_request_ctx)
        sealed class SkcipherRequest
        {
            public CryptoSkcipher Tfm = null!;
            public SgTable Src = null!;
            public SgTable Dst = null!;
            public uint Cryptlen;
            public byte[]? Iv;
            public Sun8iCipherReqCtx Rctx = new();
        }

        static partial class Sun8iCe
        {
            const int EINVAL = 22;
            const int ENOMEM = 12;
            const int EFAULT = 14;

            static CryptoSkcipher CryptoSkcipherReqtfm(SkcipherRequest req) => req.Tfm;
            static Sun8iCipherTfmCtx CryptoSkcipherCtx(CryptoSkcipher tfm) => tfm.Ctx;
            static Sun8iCipherReqCtx SkcipherRequestCtx(SkcipherRequest req) => req.Rctx;
            static Sun8iCeAlgTemplate CryptoSkcipherAlg(CryptoSkcipher tfm) => tfm.Alg;
            static uint CryptoSkcipherIvsize(CryptoSkcipher tfm) => tfm.Ivsize;

            // sg_nents_for_len
            static int SgNentsForLen(SgTable sg, uint len)
            {
                int nents = 0;
                ulong total = 0;
                foreach (Scatterlist s in sg)
                {
                    nents++;
                    total += s.Length;
                    if (total >= len)
                        return nents;
                }
                return -EINVAL;
            }

            // scatterwalk_map_and_copy: copies between a buffer and the list's pages (CPU side)
            static void ScatterwalkMapAndCopy(byte[] buf, SgTable sg, uint start, uint nbytes, int output) { }

            static void Memcpy(KernelBuffer dst, byte[] src, uint n) => dst.Write(0, src[..(int)n]);
            static void Memcpy(byte[] dst, KernelBuffer src, uint n) => src.Read(0, (int)n).CopyTo(dst, 0);
            static void MemzeroExplicit(KernelBuffer buf, uint n) => buf.Write(0, new byte[n]);

            static void CryptoFinalizeSkcipherRequest(CryptoEngine engine, SkcipherRequest req, int err) { }
            static int CryptoTransferSkcipherRequestToEngine(CryptoEngine engine, SkcipherRequest req) => 0;
            static int CryptoSkcipherEncrypt(SkcipherRequest req) => 0;
            static int CryptoSkcipherDecrypt(SkcipherRequest req) => 0;

            static void LocalBhDisable() { }
            static void LocalBhEnable() { }
            static void MutexLock(Sun8iCeDev ce) { }
            static void MutexUnlock(Sun8iCeDev ce) { }
            static void Wmb() { }
            static void ReinitCompletion(Completion c) => c.Done = false;
            static void Complete(Completion c) => c.Done = true;
            static long WaitForCompletionInterruptibleTimeout(Completion c, long timeout) => c.Done ? timeout : 0;
            static long MsecsToJiffies(int ms) => ms;

            static void DevErr(PciDevice dev, string msg) { }
            static void DevDbg(PciDevice dev, string msg) { }

            static uint CpuToLe32(uint x) => x;
            static uint Le32ToCpu(uint x) => x;
        }
        """;

    // sun8i-ce.h: the task descriptor, the flow, the device and the contexts.
    internal const string Header = """
        // struct ce_task's source/destination entries
        sealed class SgInfo
        {
            [DmaAddress] public uint Addr;
            public uint Len;
        }

        // struct ce_task
        sealed class CeTask
        {
            public uint TId;
            public uint TCommonCtl;
            public uint TSymCtl;
            public uint TAsymCtl;
            [DmaAddress] public uint TKey;
            [DmaAddress] public uint TIv;
            [DmaAddress] public uint TCtr;
            public uint TDlen;
            public SgInfo[] TSrc = { new(), new(), new(), new(), new(), new(), new(), new() };
            public SgInfo[] TDst = { new(), new(), new(), new(), new(), new(), new(), new() };
            public uint Next;
        }

        // struct ce_variant (the fields the cipher path reads)
        sealed class CeVariant
        {
            public byte[] AlgCipher = new byte[8];
            public uint[] OpMode = new uint[8];
            public bool CipherTDlenInBytes;
            public bool NeedsWordAddresses;
            public int Esr;
        }

        // struct sun8i_ce_flow
        sealed class Sun8iCeFlow
        {
            public CryptoEngine Engine = null!;
            public Completion Complete = new();
            public int Status;
            public DmaAddr TPhy;
            public KernelBuffer? TlMem;     // the coherent block tl points into
            public CeTask Tl = null!;
            public KernelBuffer BackupIv = null!;
            public KernelBuffer BounceIv = null!;
            public int Timeout;
            public ulong StatReq;
        }

        // struct sun8i_ce_dev
        sealed class Sun8iCeDev
        {
            public uint[] Base = new uint[64];   // void __iomem *base, in 32-bit registers
            public PciDevice Dev = null!;
            public SystemMemory Mem = null!;
            public Sun8iCeFlow[]? Chanlist;
            public int Flow;                     // atomic_t flow
            public CeVariant Variant = new();
        }

        // struct sun8i_cipher_req_ctx
        sealed class Sun8iCipherReqCtx
        {
            public uint OpDir;
            public int Flow;
            public int NrSgs;
            public int NrSgd;
            public DmaAddr AddrIv;
            public DmaAddr AddrKey;
            public uint Ivlen;
            public SkcipherRequest FallbackReq = null!;
        }

        // struct sun8i_cipher_tfm_ctx
        sealed class Sun8iCipherTfmCtx
        {
            public KernelBuffer? Key;
            public uint Keylen;
            public Sun8iCeDev Ce = null!;
            public CryptoSkcipher FallbackTfm = null!;
        }

        // struct sun8i_ce_alg_template
        sealed class Sun8iCeAlgTemplate
        {
            public uint Type;
            public uint CeAlgoId;
            public uint CeBlockmode;
            public Sun8iCeDev Ce = null!;
            public ulong StatReq, StatFb, StatFbMaxsg, StatFbLeniv, StatFbLen0, StatFbMod16;
            public ulong StatFbSrcali, StatFbSrclen, StatFbDstali, StatFbDstlen;
        }

        static partial class Sun8iCe
        {
            const int MAXFLOW = 4;
            const int MAX_SG = 8;
            const uint CE_ENCRYPTION = 0;
            const uint CE_DECRYPTION = 1 << 8;
            const uint CE_COMM_INT = 1u << 31;
            const uint CE_AES_128BITS = 0, CE_AES_192BITS = 1, CE_AES_256BITS = 2;
            const int CE_ICR = 0x08, CE_ISR = 0x0C, CE_TLR = 0x10, CE_TDQ = 0x14, CE_ESR = 0x18;
            const bool CRYPTO_DEV_SUN8I_CE_DEBUG = false;   // IS_ENABLED(CONFIG_CRYPTO_DEV_SUN8I_CE_DEBUG)

            static uint DescAddrVal(Sun8iCeDev dev, DmaAddr addr)
            {
                if (dev.Variant.NeedsWordAddresses)
                    return (uint)(addr.Raw / 4);

                return (uint)addr.Raw;
            }

            static uint DescAddrValLe32(Sun8iCeDev dev, DmaAddr addr) => CpuToLe32(DescAddrVal(dev, addr));

            static uint Readl(Sun8iCeDev ce, int reg) => ce.Base[reg / 4];
            static void Writel(uint v, Sun8iCeDev ce, int reg) => ce.Base[reg / 4] = v;
        }
        """;

    // sun8i-ce-core.c: the flow allocation, the task submission and the interrupt.
    internal const string Core = """
        static partial class Sun8iCe
        {
            public static int Sun8iCeGetEngineNumber(Sun8iCeDev ce)
            {
                return ce.Flow++ % (MAXFLOW - 1);   // atomic_inc_return(&ce->flow) % (MAXFLOW - 1)
            }

            public static int Sun8iCeRunTask(Sun8iCeDev ce, int flow, string name)
            {
                uint v;
                int err = 0;
                CeTask cet = ce.Chanlist![flow].Tl;

                if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                    ce.Chanlist[flow].StatReq++;

                MutexLock(ce);

                v = Readl(ce, CE_ICR);
                v |= 1u << flow;
                Writel(v, ce, CE_ICR);

                ReinitCompletion(ce.Chanlist[flow].Complete);
                Writel(DescAddrVal(ce, ce.Chanlist[flow].TPhy), ce, CE_TDQ);

                ce.Chanlist[flow].Status = 0;
                /* Be sure all data is written before enabling the task */
                Wmb();

                /* Only H6 needs to write a part of t_common_ctl along with "1", but since it is ignored
                 * on older SoCs, we have no reason to complicate things.
                 */
                v = 1 | ((Le32ToCpu(ce.Chanlist[flow].Tl.TCommonCtl) & 0x7F) << 8);
                Writel(v, ce, CE_TLR);
                MutexUnlock(ce);

                WaitForCompletionInterruptibleTimeout(ce.Chanlist[flow].Complete,
                                                      MsecsToJiffies(ce.Chanlist[flow].Timeout));

                if (ce.Chanlist[flow].Status == 0)
                {
                    DevErr(ce.Dev, "DMA timeout\n");
                    err = -EFAULT;
                }
                /* No need to lock for this read, the channel is locked so
                 * nothing could modify the error value for this channel
                 */
                v = Readl(ce, CE_ESR);
                v >>= (flow * 4);   // ESR_H3/A64/R40/H5/H6/D1 decoding reduced to the flow's nibble
                v &= 0xF;
                if (v != 0)
                {
                    DevErr(ce.Dev, "CE ERROR\n");
                    err = -EFAULT;
                }

                return err;
            }

            public static int CeIrqHandler(int irq, Sun8iCeDev ce)
            {
                int flow = 0;
                uint p;

                p = Readl(ce, CE_ISR);
                for (flow = 0; flow < MAXFLOW; flow++)
                {
                    if ((p & (1u << flow)) != 0)
                    {
                        Writel(1u << flow, ce, CE_ISR);
                        ce.Chanlist![flow].Status = 1;
                        Complete(ce.Chanlist[flow].Complete);
                    }
                }

                return 1;   // IRQ_HANDLED
            }

            static void Sun8iCeFreeChanlist(Sun8iCeDev ce, int i)
            {
                while (i >= 0)
                {
                    ce.Chanlist![i].Engine.Running = false;   // crypto_engine_exit
                    if (ce.Chanlist[i].TlMem != null)
                        Dma.FreeCoherent(ce.Dev, 128, ce.Chanlist[i].TlMem!, ce.Chanlist[i].TPhy);
                    i--;
                }
            }

            static int Sun8iCeAllocateChanlist(Sun8iCeDev ce)
            {
                int i, err = 0;

                ce.Chanlist = new Sun8iCeFlow[MAXFLOW];   // devm_kcalloc

                for (i = 0; i < MAXFLOW; i++)
                {
                    ce.Chanlist[i] = new Sun8iCeFlow();
                    ReinitCompletion(ce.Chanlist[i].Complete);   // init_completion

                    ce.Chanlist[i].Engine = new CryptoEngine();  // crypto_engine_alloc_init
                    ce.Chanlist[i].Engine.Running = true;        // crypto_engine_start
                    ce.Chanlist[i].TlMem = Dma.AllocCoherent(ce.Dev, 128,   // sizeof(struct ce_task)
                                                             out ce.Chanlist[i].TPhy);
                    if (ce.Chanlist[i].TlMem == null)
                    {
                        DevErr(ce.Dev, "Cannot get DMA memory for task\n");
                        err = -ENOMEM;
                        goto error_engine;
                    }
                    ce.Chanlist[i].Tl = new CeTask();             // the view of the coherent block
                    ce.Chanlist[i].BounceIv = ce.Mem.Kmalloc(16); // devm_kmalloc(AES_BLOCK_SIZE, GFP_KERNEL | GFP_DMA)
                    ce.Chanlist[i].BackupIv = ce.Mem.Kmalloc(16);
                }
                return 0;
            error_engine:
                Sun8iCeFreeChanlist(ce, i);
                return err;
            }
        }
        """;

    // sun8i-ce-cipher.c right before f31adc3e356f.
    internal const string CipherBeforeFix = """
        static partial class Sun8iCe
        {
            static bool Sun8iCeCipherNeedFallback(SkcipherRequest areq)
            {
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Scatterlist? sg;
                Sun8iCeAlgTemplate algt = CryptoSkcipherAlg(tfm);
                uint todo, len;

                if (SgNentsForLen(areq.Src, areq.Cryptlen) > MAX_SG ||
                    SgNentsForLen(areq.Dst, areq.Cryptlen) > MAX_SG)
                {
                    if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                        algt.StatFbMaxsg++;

                    return true;
                }

                if (areq.Cryptlen < CryptoSkcipherIvsize(tfm))
                {
                    if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                        algt.StatFbLeniv++;

                    return true;
                }

                if (areq.Cryptlen == 0)
                {
                    if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                        algt.StatFbLen0++;

                    return true;
                }

                if (areq.Cryptlen % 16 != 0)
                {
                    if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                        algt.StatFbMod16++;

                    return true;
                }

                len = areq.Cryptlen;
                sg = areq.Src[0];
                while (sg != null)
                {
                    if (sg.Offset % 4 != 0)
                    {
                        if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                            algt.StatFbSrcali++;

                        return true;
                    }
                    todo = (uint)Math.Min(len, sg.Length);
                    if (todo % 4 != 0)
                    {
                        if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                            algt.StatFbSrclen++;

                        return true;
                    }
                    len -= todo;
                    sg = sg.Next();
                }

                len = areq.Cryptlen;
                sg = areq.Dst[0];
                while (sg != null)
                {
                    if (sg.Offset % 4 != 0)
                    {
                        if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                            algt.StatFbDstali++;

                        return true;
                    }
                    todo = (uint)Math.Min(len, sg.Length);
                    if (todo % 4 != 0)
                    {
                        if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                            algt.StatFbDstlen++;

                        return true;
                    }
                    len -= todo;
                    sg = sg.Next();
                }
                return false;
            }

            static int Sun8iCeCipherFallback(SkcipherRequest areq)
            {
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(areq);
                int err;

                if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                {
                    Sun8iCeAlgTemplate algt = CryptoSkcipherAlg(tfm);

                    algt.StatFb++;
                }

                rctx.FallbackReq = new SkcipherRequest
                {
                    Tfm = op.FallbackTfm, Src = areq.Src, Dst = areq.Dst, Cryptlen = areq.Cryptlen, Iv = areq.Iv,
                };
                if ((rctx.OpDir & CE_DECRYPTION) != 0)
                    err = CryptoSkcipherDecrypt(rctx.FallbackReq);
                else
                    err = CryptoSkcipherEncrypt(rctx.FallbackReq);
                return err;
            }

            static int Sun8iCeCipherPrepare(CryptoEngine engine, object asyncReq)
            {
                SkcipherRequest areq = (SkcipherRequest)asyncReq;
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCeDev ce = op.Ce;
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(areq);
                Sun8iCeAlgTemplate algt;
                Sun8iCeFlow chan;
                CeTask cet;
                Scatterlist sg;
                uint todo, len, offset, ivsize;
                uint common, sym;
                int flow, i;
                int nrSgs = 0;
                int nrSgd = 0;
                int err = 0;
                int ns = SgNentsForLen(areq.Src, areq.Cryptlen);
                int nd = SgNentsForLen(areq.Dst, areq.Cryptlen);

                algt = CryptoSkcipherAlg(tfm);

                DevDbg(ce.Dev, "sun8i_ce_cipher_prepare\n");

                if (CRYPTO_DEV_SUN8I_CE_DEBUG)
                    algt.StatReq++;

                flow = rctx.Flow;

                chan = ce.Chanlist![flow];

                cet = chan.Tl;
                cet = chan.Tl = new CeTask();   // memset(cet, 0, sizeof(struct ce_task))

                cet.TId = CpuToLe32((uint)flow);
                common = ce.Variant.AlgCipher[algt.CeAlgoId];
                common |= rctx.OpDir | CE_COMM_INT;
                cet.TCommonCtl = CpuToLe32(common);
                /* CTS and recent CE (H6) need length in bytes, in word otherwise */
                if (ce.Variant.CipherTDlenInBytes)
                    cet.TDlen = CpuToLe32(areq.Cryptlen);
                else
                    cet.TDlen = CpuToLe32(areq.Cryptlen / 4);

                sym = ce.Variant.OpMode[algt.CeBlockmode];
                len = op.Keylen;
                switch (len)
                {
                    case 128 / 8:
                        sym |= CE_AES_128BITS;
                        break;
                    case 192 / 8:
                        sym |= CE_AES_192BITS;
                        break;
                    case 256 / 8:
                        sym |= CE_AES_256BITS;
                        break;
                }

                cet.TSymCtl = CpuToLe32(sym);
                cet.TAsymCtl = 0;

                rctx.AddrKey = Dma.MapSingle(ce.Dev, op.Key!, 0, op.Keylen, DmaDirection.ToDevice);
                if (Dma.MappingError(ce.Dev, rctx.AddrKey))
                {
                    DevErr(ce.Dev, "Cannot DMA MAP KEY\n");
                    err = -EFAULT;
                    goto theend;
                }
                cet.TKey = DescAddrValLe32(ce, rctx.AddrKey);

                ivsize = CryptoSkcipherIvsize(tfm);
                if (areq.Iv != null && CryptoSkcipherIvsize(tfm) > 0)
                {
                    rctx.Ivlen = ivsize;
                    if ((rctx.OpDir & CE_DECRYPTION) != 0)
                    {
                        offset = areq.Cryptlen - ivsize;
                        byte[] backup = new byte[ivsize];
                        ScatterwalkMapAndCopy(backup, areq.Src, offset, ivsize, 0);
                        Memcpy(chan.BackupIv, backup, ivsize);
                    }
                    Memcpy(chan.BounceIv, areq.Iv, ivsize);
                    rctx.AddrIv = Dma.MapSingle(ce.Dev, chan.BounceIv, 0, rctx.Ivlen,
                                                DmaDirection.ToDevice);
                    if (Dma.MappingError(ce.Dev, rctx.AddrIv))
                    {
                        DevErr(ce.Dev, "Cannot DMA MAP IV\n");
                        err = -ENOMEM;
                        goto theend_iv;
                    }
                    cet.TIv = DescAddrValLe32(ce, rctx.AddrIv);
                }

                if (areq.Src == areq.Dst)
                {
                    nrSgs = Dma.MapSg(ce.Dev, areq.Src, ns, DmaDirection.Bidirectional);
                    if (nrSgs <= 0 || nrSgs > MAX_SG)
                    {
                        DevErr(ce.Dev, "Invalid sg number\n");
                        err = -EINVAL;
                        goto theend_iv;
                    }
                    nrSgd = nrSgs;
                }
                else
                {
                    nrSgs = Dma.MapSg(ce.Dev, areq.Src, ns, DmaDirection.ToDevice);
                    if (nrSgs <= 0 || nrSgs > MAX_SG)
                    {
                        DevErr(ce.Dev, "Invalid sg number\n");
                        err = -EINVAL;
                        goto theend_iv;
                    }
                    nrSgd = Dma.MapSg(ce.Dev, areq.Dst, nd, DmaDirection.FromDevice);
                    if (nrSgd <= 0 || nrSgd > MAX_SG)
                    {
                        DevErr(ce.Dev, "Invalid sg number\n");
                        err = -EINVAL;
                        goto theend_sgs;
                    }
                }

                len = areq.Cryptlen;
                for (i = 0; i < nrSgs; i++)   // for_each_sg(areq->src, sg, nr_sgs, i)
                {
                    sg = areq.Src[i];
                    cet.TSrc[i].Addr = DescAddrValLe32(ce, sg.DmaAddress);
                    todo = (uint)Math.Min(len, sg.DmaLength);
                    cet.TSrc[i].Len = CpuToLe32(todo / 4);
                    DevDbg(ce.Dev, "SG\n");
                    len -= todo;
                }
                if (len > 0)
                {
                    DevErr(ce.Dev, "remaining len\n");
                    err = -EINVAL;
                    goto theend_sgs;
                }

                len = areq.Cryptlen;
                for (i = 0; i < nrSgd; i++)   // for_each_sg(areq->dst, sg, nr_sgd, i)
                {
                    sg = areq.Dst[i];
                    cet.TDst[i].Addr = DescAddrValLe32(ce, sg.DmaAddress);
                    todo = (uint)Math.Min(len, sg.DmaLength);
                    cet.TDst[i].Len = CpuToLe32(todo / 4);
                    DevDbg(ce.Dev, "SG\n");
                    len -= todo;
                }
                if (len > 0)
                {
                    DevErr(ce.Dev, "remaining len\n");
                    err = -EINVAL;
                    goto theend_sgs;
                }

                chan.Timeout = (int)areq.Cryptlen;
                rctx.NrSgs = nrSgs;
                rctx.NrSgd = nrSgd;
                return 0;

            theend_sgs:
                if (areq.Src == areq.Dst)
                {
                    Dma.UnmapSg(ce.Dev, areq.Src, ns, DmaDirection.Bidirectional);
                }
                else
                {
                    if (nrSgs > 0)
                        Dma.UnmapSg(ce.Dev, areq.Src, ns, DmaDirection.ToDevice);
                    {|P2P0023:Dma.UnmapSg(ce.Dev, areq.Dst, nd, DmaDirection.FromDevice)|};
                }

            theend_iv:
                if (areq.Iv != null && ivsize > 0)
                {
                    if (rctx.AddrIv.Raw != 0)
                        {|P2P0023:Dma.UnmapSingle(ce.Dev, rctx.AddrIv, rctx.Ivlen, DmaDirection.ToDevice)|};
                    offset = areq.Cryptlen - ivsize;
                    if ((rctx.OpDir & CE_DECRYPTION) != 0)
                    {
                        Memcpy(areq.Iv!, chan.BackupIv, ivsize);
                        MemzeroExplicit(chan.BackupIv, ivsize);
                    }
                    else
                    {
                        ScatterwalkMapAndCopy(areq.Iv!, areq.Dst, offset,
                                              ivsize, 0);
                    }
                    MemzeroExplicit(chan.BounceIv, ivsize);
                }

                Dma.UnmapSingle(ce.Dev, rctx.AddrKey, op.Keylen, DmaDirection.ToDevice);

            theend:
                return err;
            }

            static void Sun8iCeCipherUnprepare(CryptoEngine engine, object asyncReq)
            {
                SkcipherRequest areq = (SkcipherRequest)asyncReq;
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCeDev ce = op.Ce;
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(areq);
                Sun8iCeFlow chan;
                CeTask cet;
                uint ivsize, offset;
                int nrSgs = rctx.NrSgs;
                int nrSgd = rctx.NrSgd;
                int flow;

                flow = rctx.Flow;
                chan = ce.Chanlist![flow];
                cet = chan.Tl;
                ivsize = CryptoSkcipherIvsize(tfm);

                if (areq.Src == areq.Dst)
                {
                    Dma.UnmapSg(ce.Dev, areq.Src, {|P2P0024:nrSgs|}, DmaDirection.Bidirectional);
                }
                else
                {
                    if (nrSgs > 0)
                        Dma.UnmapSg(ce.Dev, areq.Src, {|P2P0024:nrSgs|}, DmaDirection.ToDevice);
                    Dma.UnmapSg(ce.Dev, areq.Dst, {|P2P0024:nrSgd|}, DmaDirection.FromDevice);
                }

                if (areq.Iv != null && ivsize > 0)
                {
                    if (cet.TIv != 0)
                        Dma.UnmapSingle(ce.Dev, rctx.AddrIv, rctx.Ivlen, DmaDirection.ToDevice);
                    offset = areq.Cryptlen - ivsize;
                    if ((rctx.OpDir & CE_DECRYPTION) != 0)
                    {
                        Memcpy(areq.Iv, chan.BackupIv, ivsize);
                        MemzeroExplicit(chan.BackupIv, ivsize);
                    }
                    else
                    {
                        ScatterwalkMapAndCopy(areq.Iv, areq.Dst, offset,
                                              ivsize, 0);
                    }
                    MemzeroExplicit(chan.BounceIv, ivsize);
                }

                Dma.UnmapSingle(ce.Dev, rctx.AddrKey, op.Keylen, DmaDirection.ToDevice);
            }

            static void Sun8iCeCipherRun(CryptoEngine engine, object areq)
            {
                SkcipherRequest breq = (SkcipherRequest)areq;
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(breq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCeDev ce = op.Ce;
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(breq);
                int flow, err;

                flow = rctx.Flow;
                err = Sun8iCeRunTask(ce, flow, tfm.Name);
                Sun8iCeCipherUnprepare(engine, areq);
                LocalBhDisable();
                CryptoFinalizeSkcipherRequest(engine, breq, err);
                LocalBhEnable();
            }

            public static int Sun8iCeCipherDoOne(CryptoEngine engine, object areq)
            {
                int err = Sun8iCeCipherPrepare(engine, areq);

                if (err != 0)
                    return err;

                Sun8iCeCipherRun(engine, areq);
                return 0;
            }

            public static int Sun8iCeSkdecrypt(SkcipherRequest areq)
            {
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(areq);
                CryptoEngine engine;
                int e;

                rctx.OpDir = CE_DECRYPTION;
                if (Sun8iCeCipherNeedFallback(areq))
                    return Sun8iCeCipherFallback(areq);

                e = Sun8iCeGetEngineNumber(op.Ce);
                rctx.Flow = e;
                engine = op.Ce.Chanlist![e].Engine;

                return CryptoTransferSkcipherRequestToEngine(engine, areq);
            }

            public static int Sun8iCeSkencrypt(SkcipherRequest areq)
            {
                CryptoSkcipher tfm = CryptoSkcipherReqtfm(areq);
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCipherReqCtx rctx = SkcipherRequestCtx(areq);
                CryptoEngine engine;
                int e;

                rctx.OpDir = CE_ENCRYPTION;
                if (Sun8iCeCipherNeedFallback(areq))
                    return Sun8iCeCipherFallback(areq);

                e = Sun8iCeGetEngineNumber(op.Ce);
                rctx.Flow = e;
                engine = op.Ce.Chanlist![e].Engine;

                return CryptoTransferSkcipherRequestToEngine(engine, areq);
            }

            public static int Sun8iCeAesSetkey(CryptoSkcipher tfm, byte[] key, uint keylen)
            {
                Sun8iCipherTfmCtx op = CryptoSkcipherCtx(tfm);
                Sun8iCeDev ce = op.Ce;

                switch (keylen)
                {
                    case 128 / 8:
                        break;
                    case 192 / 8:
                        break;
                    case 256 / 8:
                        break;
                    default:
                        DevDbg(ce.Dev, "ERROR: Invalid keylen\n");
                        return -EINVAL;
                }
                op.Key = null;   // kfree_sensitive(op->key)
                op.Keylen = keylen;
                op.Key = ce.Mem.Kmalloc(keylen);   // kmemdup(key, keylen, GFP_KERNEL | GFP_DMA)
                op.Key.Write(0, key[..(int)keylen]);

                return 0;   // crypto_skcipher_setkey(op->fallback_tfm, key, keylen) on the fallback
            }
        }
        """;

    // The fix's two hunks, applied to the before text (its P2P0023 marks removed; the P2P0024 marks stay).
    internal static readonly string CipherFixed = CipherBeforeFix
        .Replace(
            """
                            if (nrSgs > 0)
                                Dma.UnmapSg(ce.Dev, areq.Src, ns, DmaDirection.ToDevice);
                            {|P2P0023:Dma.UnmapSg(ce.Dev, areq.Dst, nd, DmaDirection.FromDevice)|};
                """,
            """
                            if (nrSgs > 0)
                                Dma.UnmapSg(ce.Dev, areq.Src, ns, DmaDirection.ToDevice);

                            if (nrSgd > 0)
                                Dma.UnmapSg(ce.Dev, areq.Dst, nd, DmaDirection.FromDevice);
                """)
        .Replace(
            """
                            if (rctx.AddrIv.Raw != 0)
                                {|P2P0023:Dma.UnmapSingle(ce.Dev, rctx.AddrIv, rctx.Ivlen, DmaDirection.ToDevice)|};
                """,
            """
                            if (!Dma.MappingError(ce.Dev, rctx.AddrIv))
                                Dma.UnmapSingle(ce.Dev, rctx.AddrIv, rctx.Ivlen, DmaDirection.ToDevice);

                """);

    [Fact]
    public Task Sun8iCeCipher_BeforeF31adc3e356f_UnmapsOnMapFailureEdges_Reports() =>
        KernelVerify.RunAsync(Crypto, Header, Core, CipherBeforeFix);

    [Fact]
    public Task Sun8iCeCipher_AsFixed_OnlyUnprepareNentsConfusionLeft()
    {
        // Both replacements must have applied, or this would test the unfixed code.
        Assert.DoesNotContain("P2P0023", CipherFixed);
        Assert.Contains("if (nrSgd > 0)", CipherFixed);
        Assert.Equal(3, CipherFixed.Split("{|P2P0024:").Length - 1);
        return KernelVerify.RunAsync(Crypto, Header, Core, CipherFixed);
    }
}
