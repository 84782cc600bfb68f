namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// Intel Keem Bay OCS HCU (drivers/crypto/intel/keembay/: keembay-ocs-hcu-core.c, the ahash driver on the crypto engine,
/// and ocs-hcu.c, the hardware layer) before and after "crypto: keembay - Fix dma_unmap_sg() nents value" (Thomas
/// Fourier, 2025, upstream 01951a7dc5ac1a37e5fb7d86ea7eb2dfbf96e8b6, as the 6.6 stable review patch names it; Fixes:
/// 472b04444cd3 "crypto: keembay - Add Keem Bay OCS HCU driver"). Before: kmb_ocs_dma_prepare() maps req-&gt;src with
/// <c>nents = sg_nents_for_len(..)</c> and keeps what dma_map_sg() returned in the request context,
/// rctx-&gt;sg_dma_nents; kmb_ocs_hcu_dma_cleanup() unmaps req-&gt;src with rctx-&gt;sg_dma_nents, the segment count.
/// It is reached from prepare's own <c>cleanup:</c> label and from the three DMA paths of kmb_ocs_hcu_do_one_request()
/// (HW HMAC, update, finup) after the hardware ran the linked list. The fix adds <c>rctx-&gt;nents</c>, stores the nents
/// given to dma_map_sg() there right after the map and unmaps with it.
/// <para>
/// Sources: the fixed keembay-ocs-hcu-core.c is torvalds/linux at 01951a7dc5ac (read from the stored tree); the code
/// before is that file with the commit's diff (read from the 6.6 stable review mail) reverted, which matches the
/// pre-fix file also stored in the index. ocs-hcu.c and ocs-hcu.h are the stored torvalds/linux versions, unchanged by
/// the commit.
/// </para>
/// <para>
/// A real bug the commit does not touch, present before and after it, marked as the rule page defines it: ocs_hcu_digest()
/// (ocs-hcu.c, called by do_one_request for the opad step of SW HMAC) maps its data with dma_map_single(), programs the
/// engine, and when ocs_hcu_wait_and_disable_irq() fails (-EIO from an error IRQ, or -ERESTARTSYS) returns rc without
/// dma_unmap_single(): the mapping leaks (P2P0022, at the map call).
/// </para>
/// <para>
/// Not marked, since no rule promises it: kmb_ocs_dma_prepare()'s for_each_sg() over the mapped segments (bounded
/// correctly by the count) leaves rctx-&gt;sg and rctx-&gt;sg_data_offset at a DMA segment and an offset into its
/// sg_dma_len(); flush_sg_to_ocs_buffer() then reads that entry's CPU side (sg-&gt;length, its pages). When the IOMMU
/// merged entries, segment i is not entry i, and the remainder copied for the next update may be the wrong bytes.
/// </para>
/// <para>
/// Transliteration: function by function, in the kernel's order; the crypto API objects (ahash_request, crypto_ahash,
/// crypto_engine) are reduced to the fields the driver reads. <c>struct device *</c> of this platform device is the
/// library's <c>PciDevice</c>. MMIO is a word array with writel/readl helpers (<c>io_base + REG</c> is
/// <c>IoBase[REG / 4]</c>). The DMA list's <c>head</c> array lives in dma_alloc_coherent() memory; its CPU view is an
/// array of entry objects beside the coherent buffer, and the <c>tail</c> pointer is an index into it (-1 for NULL).
/// <c>rctx-&gt;buffer</c> (u8[2 * SHA512_BLOCK_SIZE] inside the request context) is a KernelBuffer. C's implicit
/// conversions between <c>size_t</c>, <c>unsigned int</c> and <c>int</c> are explicit casts. for_each_sg() is its
/// expansion. Left out: setkey, export/import, the cra_init hooks, the algorithm tables, probe/remove, and the
/// CONFIG_CRYPTO_DEV_KEEMBAY_OCS_HCU_HMAC_SHA224 case.
/// </para>
/// </summary>
public sealed class KeembayOcsHcuTests
{
    // ocs-hcu.h and ocs-hcu.c: the HCU hardware layer, its DMA linked list and its interrupt handler.
    internal const string OcsHcu = """
        // enum ocs_hcu_algo
        enum OcsHcuAlgo
        {
            Sha256 = 2,
            Sha224 = 3,
            Sha384 = 4,
            Sha512 = 5,
            Sm3 = 6,
        }

        sealed class Completion { public bool Done; }

        sealed class CryptoEngine { }

        // struct ocs_hcu_dev
        sealed class OcsHcuDev
        {
            public PciDevice Dev = null!;                  // struct device *dev
            public uint[] IoBase = new uint[0x500 / 4];    // void __iomem *io_base
            public CryptoEngine Engine = new();
            public int Irq;
            public Completion IrqDone = new();
            public bool IrqErr;
        }

        // struct ocs_hcu_idata
        sealed class OcsHcuIdata
        {
            public uint MsgLenLo;
            public uint MsgLenHi;
            public byte[] Digest = new byte[64];           // u8 digest[SHA512_DIGEST_SIZE]
        }

        // struct ocs_hcu_hash_ctx
        sealed class OcsHcuHashCtx
        {
            public OcsHcuAlgo Algo;
            public OcsHcuIdata Idata = new();
        }

        // struct ocs_hcu_dma_entry
        sealed class OcsHcuDmaEntry
        {
            public uint SrcAddr;
            public uint SrcLen;
            public uint NxtDesc;
            public uint LlFlags;
        }

        // struct ocs_hcu_dma_list
        sealed class OcsHcuDmaList
        {
            public OcsHcuDmaEntry[] Head = null!;   // CPU view of the coherent array
            public KernelBuffer? HeadMem;           // the dma_alloc_coherent() memory behind head
            public int Tail = -1;                   // struct ocs_hcu_dma_entry *tail, an index into head; -1 is NULL
            public DmaAddr DmaAddr;
            public ulong MaxNents;
        }

        static class OcsHcu
        {
            /* Registers. */
            const int OcsHcuMode = 0x00;
            const int OcsHcuChain = 0x04;
            const int OcsHcuOperation = 0x08;
            const int OcsHcuKey0 = 0x0C;
            const int OcsHcuIsr = 0x50;
            const int OcsHcuIer = 0x54;
            const int OcsHcuStatus = 0x58;
            const int OcsHcuMsgLenLo = 0x60;
            const int OcsHcuMsgLenHi = 0x64;
            const int OcsHcuKeyByteOrderCfg = 0x80;
            const int OcsHcuDmaSrcAddr = 0x400;
            const int OcsHcuDmaSrcSize = 0x408;
            const int OcsHcuDmaDstSize = 0x40C;
            const int OcsHcuDmaDmaMode = 0x410;
            const int OcsHcuDmaNextSrcDescr = 0x418;
            const int OcsHcuDmaMsiIsr = 0x480;
            const int OcsHcuDmaMsiIer = 0x484;
            const int OcsHcuDmaMsiMask = 0x488;

            /* Register bit definitions. */
            const int HcuModeAlgoShift = 16;
            const int HcuModeHmacShift = 22;
            const uint HcuStatusBusy = 1u << 0;
            const uint HcuByteOrderSwap = 1u << 0;
            const uint HcuIrqHashDone = 1u << 2;
            const uint HcuIrqHashErrMask = (1u << 3) | (1u << 1) | (1u << 0);
            const uint HcuDmaIrqSrcDone = 1u << 0;
            const uint HcuDmaIrqErrMask = (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8);
            const uint HcuDmaSnoopMask = 0x7u << 28;
            const uint HcuDmaSrcLlEn = 1u << 25;
            const uint HcuDmaEn = 1u << 31;
            const uint OcsHcuEndiannessValue = 0x2A;
            const uint HcuDmaMsiUnmask = 1u << 0;
            const uint HcuDmaMsiDisable = 0;
            const uint HcuIrqDisable = 0;
            const uint OcsHcuStart = 1u << 0;
            const uint OcsHcuTerminate = 1u << 1;
            const uint OcsLlDmaFlagTerminate = 1u << 31;
            public const int OcsHcuHwKeyLen = 64;
            const int OcsHcuHwKeyLenU32 = OcsHcuHwKeyLen / 4;
            const int HcuDataWriteEndiannessOffset = 26;
            const int OcsHcuNumChainsSha256224Sm3 = 32 / 4;
            const int OcsHcuNumChainsSha384512 = 64 / 4;
            const ulong OcsHcuDmaBitMask = 0xFFFFFFFFUL;   // DMA_BIT_MASK(32)
            const int SizeofDmaEntry = 16;                  // sizeof(struct ocs_hcu_dma_entry)

            const int EINVAL = 22, ENOMEM = 12, EIO = 5, ETIMEDOUT = 110, ERESTARTSYS = 512;
            public const int IrqNone = 0, IrqHandled = 1;

            static void Writel(uint value, uint[] ioBase, int reg) => ioBase[reg / 4] = value;

            static uint Readl(uint[] ioBase, int reg) => ioBase[reg / 4];

            static void DevErr(PciDevice dev, string msg) { }

            static void ReinitCompletion(Completion c) => c.Done = false;

            static void Complete(Completion c) => c.Done = true;

            // wait_for_completion_interruptible: -ERESTARTSYS when a signal comes first
            static int WaitForCompletionInterruptible(Completion c) => c.Done ? 0 : -ERESTARTSYS;

            // ocs_hcu_num_chains
            static uint OcsHcuNumChains(OcsHcuAlgo algo)
            {
                switch (algo)
                {
                    case OcsHcuAlgo.Sha224:
                    case OcsHcuAlgo.Sha256:
                    case OcsHcuAlgo.Sm3:
                        return OcsHcuNumChainsSha256224Sm3;
                    case OcsHcuAlgo.Sha384:
                    case OcsHcuAlgo.Sha512:
                        return OcsHcuNumChainsSha384512;
                    default:
                        return 0;
                }
            }

            // ocs_hcu_digest_size
            static uint OcsHcuDigestSize(OcsHcuAlgo algo)
            {
                switch (algo)
                {
                    case OcsHcuAlgo.Sha224:
                        return 28;   // SHA224_DIGEST_SIZE
                    case OcsHcuAlgo.Sha256:
                    case OcsHcuAlgo.Sm3:
                        /* SM3 shares the same block size. */
                        return 32;   // SHA256_DIGEST_SIZE
                    case OcsHcuAlgo.Sha384:
                        return 48;   // SHA384_DIGEST_SIZE
                    case OcsHcuAlgo.Sha512:
                        return 64;   // SHA512_DIGEST_SIZE
                    default:
                        return 0;
                }
            }

            // ocs_hcu_wait_busy: readl_poll_timeout(io_base + OCS_HCU_STATUS, val, !(val & HCU_STATUS_BUSY), 200, 1000000)
            static int OcsHcuWaitBusy(OcsHcuDev hcuDev)
            {
                long val;

                for (int us = 0; us <= 1000000; us += 200)
                {
                    val = Readl(hcuDev.IoBase, OcsHcuStatus);
                    if ((val & HcuStatusBusy) == 0)
                        return 0;
                }
                return -ETIMEDOUT;
            }

            // ocs_hcu_done_irq_en
            static void OcsHcuDoneIrqEn(OcsHcuDev hcuDev)
            {
                /* Clear any pending interrupts. */
                Writel(0xFFFFFFFF, hcuDev.IoBase, OcsHcuIsr);
                hcuDev.IrqErr = false;
                /* Enable error and HCU done interrupts. */
                Writel(HcuIrqHashDone | HcuIrqHashErrMask, hcuDev.IoBase, OcsHcuIer);
            }

            // ocs_hcu_dma_irq_en
            static void OcsHcuDmaIrqEn(OcsHcuDev hcuDev)
            {
                /* Clear any pending interrupts. */
                Writel(0xFFFFFFFF, hcuDev.IoBase, OcsHcuDmaMsiIsr);
                hcuDev.IrqErr = false;
                /* Only operating on DMA source completion and error interrupts. */
                Writel(HcuDmaIrqErrMask | HcuDmaIrqSrcDone, hcuDev.IoBase, OcsHcuDmaMsiIer);
                /* Unmask */
                Writel(HcuDmaMsiUnmask, hcuDev.IoBase, OcsHcuDmaMsiMask);
            }

            // ocs_hcu_irq_dis
            static void OcsHcuIrqDis(OcsHcuDev hcuDev)
            {
                Writel(HcuIrqDisable, hcuDev.IoBase, OcsHcuIer);
                Writel(HcuDmaMsiDisable, hcuDev.IoBase, OcsHcuDmaMsiIer);
            }

            // ocs_hcu_wait_and_disable_irq
            static int OcsHcuWaitAndDisableIrq(OcsHcuDev hcuDev)
            {
                int rc;

                rc = WaitForCompletionInterruptible(hcuDev.IrqDone);
                if (rc != 0)
                    goto exit;

                if (hcuDev.IrqErr)
                {
                    /* Unset flag and return error. */
                    hcuDev.IrqErr = false;
                    rc = -EIO;
                    goto exit;
                }

            exit:
                OcsHcuIrqDis(hcuDev);

                return rc;
            }

            // ocs_hcu_get_intermediate_data
            static int OcsHcuGetIntermediateData(OcsHcuDev hcuDev, OcsHcuIdata? data, OcsHcuAlgo algo)
            {
                int n = (int)OcsHcuNumChains(algo);
                byte[] chain;
                int rc;
                int i;

                /* Data not requested. */
                if (data == null)
                    return -EINVAL;

                chain = data.Digest;

                /* Ensure that the OCS is no longer busy before reading the chains. */
                rc = OcsHcuWaitBusy(hcuDev);
                if (rc != 0)
                    return rc;

                for (i = 0; i < n; i++)
                    BitConverter.GetBytes(Readl(hcuDev.IoBase, OcsHcuChain)).CopyTo(chain, i * 4);

                data.MsgLenLo = Readl(hcuDev.IoBase, OcsHcuMsgLenLo);
                data.MsgLenHi = Readl(hcuDev.IoBase, OcsHcuMsgLenHi);

                return 0;
            }

            // ocs_hcu_set_intermediate_data
            static void OcsHcuSetIntermediateData(OcsHcuDev hcuDev, OcsHcuIdata data, OcsHcuAlgo algo)
            {
                int n = (int)OcsHcuNumChains(algo);
                byte[] chain = data.Digest;
                int i;

                for (i = 0; i < n; i++)
                    Writel(BitConverter.ToUInt32(chain, i * 4), hcuDev.IoBase, OcsHcuChain);

                Writel(data.MsgLenLo, hcuDev.IoBase, OcsHcuMsgLenLo);
                Writel(data.MsgLenHi, hcuDev.IoBase, OcsHcuMsgLenHi);
            }

            // ocs_hcu_get_digest
            static int OcsHcuGetDigest(OcsHcuDev hcuDev, OcsHcuAlgo algo, byte[]? dgst, ulong dgstLen)
            {
                byte[] chain;
                int rc;
                int i;

                if (dgst == null)
                    return -EINVAL;

                /* Length of the output buffer must match the algo digest size. */
                if (dgstLen != OcsHcuDigestSize(algo))
                    return -EINVAL;

                /* Ensure that the OCS is no longer busy before reading the chains. */
                rc = OcsHcuWaitBusy(hcuDev);
                if (rc != 0)
                    return rc;

                chain = dgst;
                for (i = 0; (ulong)i < dgstLen / 4; i++)
                    BitConverter.GetBytes(Readl(hcuDev.IoBase, OcsHcuChain)).CopyTo(chain, i * 4);

                return 0;
            }

            // ocs_hcu_hw_cfg
            static int OcsHcuHwCfg(OcsHcuDev hcuDev, OcsHcuAlgo algo, bool useHmac)
            {
                uint cfg;
                int rc;

                if (algo != OcsHcuAlgo.Sha256 && algo != OcsHcuAlgo.Sha224 &&
                    algo != OcsHcuAlgo.Sha384 && algo != OcsHcuAlgo.Sha512 &&
                    algo != OcsHcuAlgo.Sm3)
                    return -EINVAL;

                rc = OcsHcuWaitBusy(hcuDev);
                if (rc != 0)
                    return rc;

                /* Ensure interrupts are disabled. */
                OcsHcuIrqDis(hcuDev);

                /* Configure endianness, hashing algorithm and HW HMAC (if needed) */
                cfg = OcsHcuEndiannessValue << HcuDataWriteEndiannessOffset;
                cfg |= (uint)algo << HcuModeAlgoShift;
                if (useHmac)
                    cfg |= 1u << HcuModeHmacShift;

                Writel(cfg, hcuDev.IoBase, OcsHcuMode);

                return 0;
            }

            // ocs_hcu_clear_key
            static void OcsHcuClearKey(OcsHcuDev hcuDev)
            {
                int regOff;

                /* Clear OCS_HCU_KEY_[0..15] */
                for (regOff = 0; regOff < OcsHcuHwKeyLen; regOff += 4)
                    Writel(0, hcuDev.IoBase, OcsHcuKey0 + regOff);
            }

            // ocs_hcu_write_key
            static int OcsHcuWriteKey(OcsHcuDev hcuDev, byte[] key, ulong len)
            {
                byte[] keyU32 = new byte[OcsHcuHwKeyLen];   // u32 key_u32[OCS_HCU_HW_KEY_LEN_U32]
                int i;

                if (len > OcsHcuHwKeyLen)
                    return -EINVAL;

                /* Copy key into temporary u32 array. */
                Array.Copy(key, keyU32, (int)len);

                /* Pad with zero until we reach OCS_HCU_HW_KEY_LEN. */
                Array.Clear(keyU32, (int)len, OcsHcuHwKeyLen - (int)len);

                Writel(HcuByteOrderSwap, hcuDev.IoBase, OcsHcuKeyByteOrderCfg);
                for (i = 0; i < OcsHcuHwKeyLenU32; i++)
                    Writel(BitConverter.ToUInt32(keyU32, (OcsHcuHwKeyLenU32 - 1 - i) * 4), hcuDev.IoBase, OcsHcuKey0 + 4 * i);

                Array.Clear(keyU32, 0, OcsHcuHwKeyLen);   // memzero_explicit

                return 0;
            }

            // ocs_hcu_ll_dma_start
            static int OcsHcuLlDmaStart(OcsHcuDev hcuDev, OcsHcuDmaList? dmaList, bool finalize)
            {
                uint cfg = HcuDmaSnoopMask | HcuDmaSrcLlEn | HcuDmaEn;
                int rc;

                if (dmaList == null)
                    return -EINVAL;

                if (finalize)
                    OcsHcuDoneIrqEn(hcuDev);
                else
                    OcsHcuDmaIrqEn(hcuDev);

                ReinitCompletion(hcuDev.IrqDone);
                Writel((uint)dmaList.DmaAddr.Raw, hcuDev.IoBase, OcsHcuDmaNextSrcDescr);
                Writel(0, hcuDev.IoBase, OcsHcuDmaSrcSize);
                Writel(0, hcuDev.IoBase, OcsHcuDmaDstSize);

                Writel(OcsHcuStart, hcuDev.IoBase, OcsHcuOperation);

                Writel(cfg, hcuDev.IoBase, OcsHcuDmaDmaMode);

                if (finalize)
                    Writel(OcsHcuTerminate, hcuDev.IoBase, OcsHcuOperation);

                rc = OcsHcuWaitAndDisableIrq(hcuDev);
                if (rc != 0)
                    return rc;

                return 0;
            }

            // ocs_hcu_dma_list_alloc
            public static OcsHcuDmaList? OcsHcuDmaListAlloc(OcsHcuDev hcuDev, int maxNents)
            {
                OcsHcuDmaList dmaList;

                dmaList = new OcsHcuDmaList();   // kmalloc(sizeof(*dma_list), GFP_KERNEL)

                /* Total size of the DMA list to allocate. */
                dmaList.HeadMem = Dma.AllocCoherent(hcuDev.Dev, (ulong)(SizeofDmaEntry * maxNents), out dmaList.DmaAddr);
                if (dmaList.HeadMem == null)
                {
                    return null;   // kfree(dma_list)
                }
                dmaList.Head = new OcsHcuDmaEntry[maxNents];
                for (int e = 0; e < maxNents; e++)
                    dmaList.Head[e] = new OcsHcuDmaEntry();
                dmaList.MaxNents = (ulong)maxNents;
                dmaList.Tail = -1;

                return dmaList;
            }

            // ocs_hcu_dma_list_free
            public static void OcsHcuDmaListFree(OcsHcuDev hcuDev, OcsHcuDmaList? dmaList)
            {
                if (dmaList == null)
                    return;

                Dma.FreeCoherent(hcuDev.Dev, SizeofDmaEntry * dmaList.MaxNents, dmaList.HeadMem!, dmaList.DmaAddr);

                /* kfree(dma_list) */
            }

            /* Add a new DMA entry at the end of the OCS DMA list. */
            // ocs_hcu_dma_list_add_tail
            public static int OcsHcuDmaListAddTail(OcsHcuDev hcuDev, OcsHcuDmaList? dmaList, DmaAddr addr, uint len)
            {
                PciDevice dev = hcuDev.Dev;
                int oldTail;
                int newTail;

                if (len == 0)
                    return 0;

                if (dmaList == null)
                    return -EINVAL;

                if ((addr.Raw & ~OcsHcuDmaBitMask) != 0)
                {
                    DevErr(dev, "Unexpected error: Invalid DMA address for OCS HCU\n");
                    return -EINVAL;
                }

                oldTail = dmaList.Tail;
                newTail = oldTail >= 0 ? oldTail + 1 : 0;

                /* Check if list is full. */
                if ((ulong)newTail >= dmaList.MaxNents)
                    return -ENOMEM;

                /*
                 * If there was an old tail (i.e., this is not the first element we are
                 * adding), un-terminate the old tail and make it point to the new one.
                 */
                if (oldTail >= 0)
                {
                    dmaList.Head[oldTail].LlFlags &= ~OcsLlDmaFlagTerminate;
                    /*
                     * The old tail 'nxt_desc' must point to the DMA address of the
                     * new tail.
                     */
                    dmaList.Head[oldTail].NxtDesc = (uint)(dmaList.DmaAddr.Raw + (ulong)(SizeofDmaEntry * newTail));
                }

                dmaList.Head[newTail].SrcAddr = (uint)addr.Raw;
                dmaList.Head[newTail].SrcLen = len;
                dmaList.Head[newTail].LlFlags = OcsLlDmaFlagTerminate;
                dmaList.Head[newTail].NxtDesc = 0;

                /* Update list tail with new tail. */
                dmaList.Tail = newTail;

                return 0;
            }

            // ocs_hcu_hash_init
            public static int OcsHcuHashInit(OcsHcuHashCtx? ctx, OcsHcuAlgo algo)
            {
                if (ctx == null)
                    return -EINVAL;

                ctx.Algo = algo;
                ctx.Idata.MsgLenLo = 0;
                ctx.Idata.MsgLenHi = 0;
                /* No need to set idata.digest to 0. */

                return 0;
            }

            // ocs_hcu_hash_update
            public static int OcsHcuHashUpdate(OcsHcuDev? hcuDev, OcsHcuHashCtx? ctx, OcsHcuDmaList? dmaList)
            {
                int rc;

                if (hcuDev == null || ctx == null)
                    return -EINVAL;

                /* Configure the hardware for the current request. */
                rc = OcsHcuHwCfg(hcuDev, ctx.Algo, false);
                if (rc != 0)
                    return rc;

                /* If we already processed some data, idata needs to be set. */
                if (ctx.Idata.MsgLenLo != 0 || ctx.Idata.MsgLenHi != 0)
                    OcsHcuSetIntermediateData(hcuDev, ctx.Idata, ctx.Algo);

                /* Start linked-list DMA hashing. */
                rc = OcsHcuLlDmaStart(hcuDev, dmaList, false);
                if (rc != 0)
                    return rc;

                /* Update idata and return. */
                return OcsHcuGetIntermediateData(hcuDev, ctx.Idata, ctx.Algo);
            }

            // ocs_hcu_hash_finup
            public static int OcsHcuHashFinup(OcsHcuDev? hcuDev, OcsHcuHashCtx? ctx, OcsHcuDmaList? dmaList, byte[] dgst, ulong dgstLen)
            {
                int rc;

                if (hcuDev == null || ctx == null)
                    return -EINVAL;

                /* Configure the hardware for the current request. */
                rc = OcsHcuHwCfg(hcuDev, ctx.Algo, false);
                if (rc != 0)
                    return rc;

                /* If we already processed some data, idata needs to be set. */
                if (ctx.Idata.MsgLenLo != 0 || ctx.Idata.MsgLenHi != 0)
                    OcsHcuSetIntermediateData(hcuDev, ctx.Idata, ctx.Algo);

                /* Start linked-list DMA hashing. */
                rc = OcsHcuLlDmaStart(hcuDev, dmaList, true);
                if (rc != 0)
                    return rc;

                /* Get digest and return. */
                return OcsHcuGetDigest(hcuDev, ctx.Algo, dgst, dgstLen);
            }

            // ocs_hcu_hash_final
            public static int OcsHcuHashFinal(OcsHcuDev? hcuDev, OcsHcuHashCtx? ctx, byte[] dgst, ulong dgstLen)
            {
                int rc;

                if (hcuDev == null || ctx == null)
                    return -EINVAL;

                /* Configure the hardware for the current request. */
                rc = OcsHcuHwCfg(hcuDev, ctx.Algo, false);
                if (rc != 0)
                    return rc;

                /* If we already processed some data, idata needs to be set. */
                if (ctx.Idata.MsgLenLo != 0 || ctx.Idata.MsgLenHi != 0)
                    OcsHcuSetIntermediateData(hcuDev, ctx.Idata, ctx.Algo);

                /*
                 * Enable HCU interrupts, so that HCU_DONE will be triggered once the
                 * final hash is computed.
                 */
                OcsHcuDoneIrqEn(hcuDev);
                ReinitCompletion(hcuDev.IrqDone);
                Writel(OcsHcuTerminate, hcuDev.IoBase, OcsHcuOperation);

                rc = OcsHcuWaitAndDisableIrq(hcuDev);
                if (rc != 0)
                    return rc;

                /* Get digest and return. */
                return OcsHcuGetDigest(hcuDev, ctx.Algo, dgst, dgstLen);
            }

            // ocs_hcu_digest: the error return after the wait leaves data mapped (not touched by the commit).
            public static int OcsHcuDigest(OcsHcuDev hcuDev, OcsHcuAlgo algo, KernelBuffer data, ulong dataLen, byte[] dgst, ulong dgstLen)
            {
                PciDevice dev = hcuDev.Dev;
                DmaAddr dmaHandle;
                uint reg;
                int rc;

                /* Configure the hardware for the current request. */
                rc = OcsHcuHwCfg(hcuDev, algo, false);
                if (rc != 0)
                    return rc;

                // P2P0022: `if (rc) return rc;` after ocs_hcu_wait_and_disable_irq() returns without dma_unmap_single().
                dmaHandle = {|P2P0022:Dma.MapSingle(dev, data, 0, dataLen, DmaDirection.ToDevice)|};
                if (Dma.MappingError(dev, dmaHandle))
                    return -EIO;

                reg = HcuDmaSnoopMask | HcuDmaEn;

                OcsHcuDoneIrqEn(hcuDev);

                ReinitCompletion(hcuDev.IrqDone);

                Writel((uint)dmaHandle.Raw, hcuDev.IoBase, OcsHcuDmaSrcAddr);
                Writel((uint)dataLen, hcuDev.IoBase, OcsHcuDmaSrcSize);
                Writel(OcsHcuStart, hcuDev.IoBase, OcsHcuOperation);
                Writel(reg, hcuDev.IoBase, OcsHcuDmaDmaMode);

                Writel(OcsHcuTerminate, hcuDev.IoBase, OcsHcuOperation);

                rc = OcsHcuWaitAndDisableIrq(hcuDev);
                if (rc != 0)
                    return rc;

                Dma.UnmapSingle(dev, dmaHandle, dataLen, DmaDirection.ToDevice);

                return OcsHcuGetDigest(hcuDev, algo, dgst, dgstLen);
            }

            // ocs_hcu_hmac
            public static int OcsHcuHmac(OcsHcuDev hcuDev, OcsHcuAlgo algo, byte[]? key, ulong keyLen, OcsHcuDmaList? dmaList, byte[] dgst, ulong dgstLen)
            {
                int rc;

                /* Ensure 'key' is not NULL. */
                if (key == null || keyLen == 0)
                    return -EINVAL;

                /* Configure the hardware for the current request. */
                rc = OcsHcuHwCfg(hcuDev, algo, true);
                if (rc != 0)
                    return rc;

                rc = OcsHcuWriteKey(hcuDev, key, keyLen);
                if (rc != 0)
                    return rc;

                rc = OcsHcuLlDmaStart(hcuDev, dmaList, true);

                /* Clear HW key before processing return code. */
                OcsHcuClearKey(hcuDev);

                if (rc != 0)
                    return rc;

                return OcsHcuGetDigest(hcuDev, algo, dgst, dgstLen);
            }

            // ocs_hcu_irq_handler
            public static int OcsHcuIrqHandler(int irq, object devId)
            {
                OcsHcuDev hcuDev = (OcsHcuDev)devId;
                uint hcuIrq;
                uint dmaIrq;

                /* Read and clear the HCU interrupt. */
                hcuIrq = Readl(hcuDev.IoBase, OcsHcuIsr);
                Writel(hcuIrq, hcuDev.IoBase, OcsHcuIsr);

                /* Read and clear the HCU DMA interrupt. */
                dmaIrq = Readl(hcuDev.IoBase, OcsHcuDmaMsiIsr);
                Writel(dmaIrq, hcuDev.IoBase, OcsHcuDmaMsiIsr);

                /* Check for errors. */
                if ((hcuIrq & HcuIrqHashErrMask) != 0 || (dmaIrq & HcuDmaIrqErrMask) != 0)
                {
                    hcuDev.IrqErr = true;
                    goto complete;
                }

                /* Check for DONE IRQs. */
                if ((hcuIrq & HcuIrqHashDone) != 0 || (dmaIrq & HcuDmaIrqSrcDone) != 0)
                    goto complete;

                return IrqNone;

            complete:
                Complete(hcuDev.IrqDone);

                return IrqHandled;
            }
        }
        """;

    // keembay-ocs-hcu-core.c: the crypto API objects, and the ahash ops and do_one_request, unchanged by the commit.
    internal const string Core = """
        // struct ocs_hcu_ctx
        sealed class OcsHcuCtx
        {
            public OcsHcuDev? HcuDev;
            public byte[] Key = new byte[128];   // u8 key[SHA512_BLOCK_SIZE]
            public ulong KeyLen;
            public bool IsSm3Tfm;
            public bool IsHmacTfm;
        }

        // struct crypto_ahash (the tfm context and the digest size)
        sealed class CryptoAhash
        {
            public OcsHcuCtx Ctx = new();
            public uint Digestsize;
        }

        // struct ahash_request
        sealed class AhashRequest
        {
            public CryptoAhash Tfm = null!;
            public SgTable Src = null!;
            public uint Nbytes;
            public byte[] Result = new byte[64];
            public OcsHcuRctx RctxDma = null!;   // ahash_request_ctx_dma(req)
        }

        static partial class KeembayOcsHcuCore
        {
            /* Flag marking a final request. */
            const uint ReqFinal = 1u << 0;
            /* Flag marking a HMAC request. */
            const uint ReqFlagsHmac = 1u << 1;
            /* Flag set when HW HMAC is being used. */
            const uint ReqFlagsHmacHw = 1u << 2;
            /* Flag set when SW HMAC is being used. */
            const uint ReqFlagsHmacSw = 1u << 3;

            const int RctxBufferSize = 2 * 128;   // sizeof(rctx->buffer): 2 * SHA512_BLOCK_SIZE
            const byte HmacIpadValue = 0x36, HmacOpadValue = 0x5c;
            const int EINVAL = 22, ENOMEM = 12, ENOENT = 2, EINPROGRESS = 115;

            // struct ocs_hcu_drv ocs_hcu: the device list and its lock
            static readonly List<OcsHcuDev> DevList = new();
            static readonly object Lock = new();

            static OcsHcuRctx AhashRequestCtxDma(AhashRequest req) => req.RctxDma;

            static CryptoAhash CryptoAhashReqtfm(AhashRequest req) => req.Tfm;

            static OcsHcuCtx CryptoAhashCtx(CryptoAhash tfm) => tfm.Ctx;

            static void DevErr(PciDevice dev, string msg) { }

            static bool Warn(bool condition, string msg = "") => condition;

            static void CryptoFinalizeHashRequest(CryptoEngine engine, AhashRequest req, int err) { }

            static int CryptoTransferHashRequestToEngine(CryptoEngine engine, AhashRequest req) => -EINPROGRESS;

            // scatterwalk_map_and_copy(buf, sg, start, nbytes, 0): copies from the entry's pages into buf (CPU side)
            static void ScatterwalkMapAndCopy(KernelBuffer buf, ulong bufOffset, Scatterlist sg, uint start, ulong nbytes, int output) { }

            // sg_nents_for_len
            static int SgNentsForLen(SgTable sgl, ulong len)
            {
                Scatterlist? sg;
                int nents;
                ulong total;

                if (len == 0)
                    return 0;

                for (nents = 0, total = 0, sg = sgl[0]; sg != null; sg = sg.Next())
                {
                    nents++;
                    total += sg.Length;
                    if (total >= len)
                        return nents;
                }

                return -EINVAL;
            }

            /*
             * Return the total amount of data in the request; that is: the data in the
             * request buffer + the data in the sg list.
             */
            // kmb_get_total_data
            static uint KmbGetTotalData(OcsHcuRctx rctx)
            {
                return (uint)(rctx.SgDataTotal + rctx.BufCnt);
            }

            /* Move remaining content of scatter-gather list to context buffer. */
            // flush_sg_to_ocs_buffer
            static int FlushSgToOcsBuffer(OcsHcuRctx rctx)
            {
                ulong count;

                if (rctx.SgDataTotal > (RctxBufferSize - rctx.BufCnt))
                {
                    Warn(true, "sg data does not fit in buffer");
                    return -EINVAL;
                }

                while (rctx.SgDataTotal != 0)
                {
                    if (rctx.Sg == null)
                    {
                        Warn(true, "unexpected NULL sg");
                        return -EINVAL;
                    }
                    /*
                     * If current sg has been fully processed, skip to the next
                     * one.
                     */
                    if (rctx.SgDataOffset == rctx.Sg.Length)
                    {
                        rctx.Sg = rctx.Sg.Next();
                        rctx.SgDataOffset = 0;
                        continue;
                    }
                    /*
                     * Determine the maximum data available to copy from the node.
                     * Minimum of the length left in the sg node, or the total data
                     * in the request.
                     */
                    count = Math.Min(rctx.Sg.Length - rctx.SgDataOffset, rctx.SgDataTotal);
                    /* Copy from scatter-list entry to context buffer. */
                    ScatterwalkMapAndCopy(rctx.Buffer, rctx.BufCnt, rctx.Sg, rctx.SgDataOffset, count, 0);

                    rctx.SgDataOffset += (uint)count;
                    rctx.SgDataTotal -= (uint)count;
                    rctx.BufCnt += count;
                }

                return 0;
            }

            // kmb_ocs_hcu_find_dev
            static OcsHcuDev? KmbOcsHcuFindDev(AhashRequest req)
            {
                CryptoAhash tfm = CryptoAhashReqtfm(req);
                OcsHcuCtx tctx = CryptoAhashCtx(tfm);

                /* If the HCU device for the request was previously set, return it. */
                if (tctx.HcuDev != null)
                    return tctx.HcuDev;

                /*
                 * Otherwise, get the first HCU device available (there should be one
                 * and only one device).
                 */
                lock (Lock)
                {
                    tctx.HcuDev = DevList.Count > 0 ? DevList[0] : null;
                }

                return tctx.HcuDev;
            }

            // kmb_ocs_hcu_secure_cleanup
            static void KmbOcsHcuSecureCleanup(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);

                /* Clear buffer of any data. */
                rctx.Buffer.Write(0, new byte[RctxBufferSize]);   // memzero_explicit
            }

            // kmb_ocs_hcu_handle_queue
            static int KmbOcsHcuHandleQueue(AhashRequest req)
            {
                OcsHcuDev? hcuDev = KmbOcsHcuFindDev(req);

                if (hcuDev == null)
                    return -ENOENT;

                return CryptoTransferHashRequestToEngine(hcuDev.Engine, req);
            }

            // prepare_ipad
            static int PrepareIpad(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                CryptoAhash tfm = CryptoAhashReqtfm(req);
                OcsHcuCtx ctx = CryptoAhashCtx(tfm);
                int i;

                Warn(rctx.BufCnt != 0, "Context buffer is not empty");
                Warn((rctx.Flags & ReqFlagsHmacSw) == 0, "HMAC_SW flag is not set");
                /*
                 * Key length must be equal to block size. If key is shorter,
                 * we pad it with zero (note: key cannot be longer, since
                 * longer keys are hashed by kmb_ocs_hcu_setkey()).
                 */
                if (ctx.KeyLen > rctx.BlkSz)
                {
                    Warn(true, "Invalid key length in tfm context");
                    return -EINVAL;
                }
                Array.Clear(ctx.Key, (int)ctx.KeyLen, (int)(rctx.BlkSz - ctx.KeyLen));   // memzero_explicit
                ctx.KeyLen = rctx.BlkSz;
                /*
                 * Prepare IPAD for HMAC. Only done for first block.
                 * HMAC(k,m) = H(k ^ opad || H(k ^ ipad || m))
                 * k ^ ipad will be first hashed block.
                 * k ^ opad will be calculated in the final request.
                 * Only needed if not using HW HMAC.
                 */
                for (i = 0; (ulong)i < rctx.BlkSz; i++)
                    rctx.Buffer.Write((ulong)i, new[] { (byte)(ctx.Key[i] ^ HmacIpadValue) });
                rctx.BufCnt = rctx.BlkSz;

                return 0;
            }

            // kmb_ocs_hcu_do_one_request (the crypto engine's do_one_request)
            public static int KmbOcsHcuDoOneRequest(CryptoEngine engine, AhashRequest req)
            {
                OcsHcuDev? hcuDev = KmbOcsHcuFindDev(req);
                CryptoAhash tfm = CryptoAhashReqtfm(req);
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                OcsHcuCtx tctx = CryptoAhashCtx(tfm);
                int rc;
                int i;

                if (hcuDev == null)
                {
                    rc = -ENOENT;
                    goto error;
                }

                /*
                 * If hardware HMAC flag is set, perform HMAC in hardware.
                 *
                 * NOTE: this flag implies REQ_FINAL && kmb_get_total_data(rctx)
                 */
                if ((rctx.Flags & ReqFlagsHmacHw) != 0)
                {
                    /* Map input data into the HCU DMA linked list. */
                    rc = KmbOcsDmaPrepare(req);
                    if (rc != 0)
                        goto error;

                    rc = OcsHcu.OcsHcuHmac(hcuDev, rctx.Algo, tctx.Key, tctx.KeyLen, rctx.DmaList, req.Result, rctx.DigSz);

                    /* Unmap data and free DMA list regardless of return code. */
                    KmbOcsHcuDmaCleanup(req, rctx);

                    /* Process previous return code. */
                    if (rc != 0)
                        goto error;

                    goto done;
                }

                /* Handle update request case. */
                if ((rctx.Flags & ReqFinal) == 0)
                {
                    /* Update should always have input data. */
                    if (KmbGetTotalData(rctx) == 0)
                        return -EINVAL;

                    /* Map input data into the HCU DMA linked list. */
                    rc = KmbOcsDmaPrepare(req);
                    if (rc != 0)
                        goto error;

                    /* Do hashing step. */
                    rc = OcsHcu.OcsHcuHashUpdate(hcuDev, rctx.HashCtx, rctx.DmaList);

                    /* Unmap data and free DMA list regardless of return code. */
                    KmbOcsHcuDmaCleanup(req, rctx);

                    /* Process previous return code. */
                    if (rc != 0)
                        goto error;

                    /*
                     * Reset request buffer count (data in the buffer was just
                     * processed).
                     */
                    rctx.BufCnt = 0;
                    /*
                     * Move remaining sg data into the request buffer, so that it
                     * will be processed during the next request.
                     *
                     * NOTE: we have remaining data if kmb_get_total_data() was not
                     * a multiple of block size.
                     */
                    rc = FlushSgToOcsBuffer(rctx);
                    if (rc != 0)
                        goto error;

                    goto done;
                }

                /* If we get here, this is a final request. */

                /* If there is data to process, use finup. */
                if (KmbGetTotalData(rctx) != 0)
                {
                    /* Map input data into the HCU DMA linked list. */
                    rc = KmbOcsDmaPrepare(req);
                    if (rc != 0)
                        goto error;

                    /* Do hashing step. */
                    rc = OcsHcu.OcsHcuHashFinup(hcuDev, rctx.HashCtx, rctx.DmaList, req.Result, rctx.DigSz);
                    /* Free DMA list regardless of return code. */
                    KmbOcsHcuDmaCleanup(req, rctx);

                    /* Process previous return code. */
                    if (rc != 0)
                        goto error;
                }
                else
                {  /* Otherwise (if we have no data), use final. */
                    rc = OcsHcu.OcsHcuHashFinal(hcuDev, rctx.HashCtx, req.Result, rctx.DigSz);
                    if (rc != 0)
                        goto error;
                }

                /*
                 * If we are finalizing a SW HMAC request, we just computed the result
                 * of: H(k ^ ipad || m).
                 *
                 * We now need to complete the HMAC calculation with the OPAD step,
                 * that is, we need to compute H(k ^ opad || digest), where digest is
                 * the digest we just obtained, i.e., H(k ^ ipad || m).
                 */
                if ((rctx.Flags & ReqFlagsHmacSw) != 0)
                {
                    /*
                     * Compute k ^ opad and store it in the request buffer (which
                     * is not used anymore at this point).
                     * Note: key has been padded / hashed already (so keylen ==
                     * blksz) .
                     */
                    Warn(tctx.KeyLen != rctx.BlkSz);
                    for (i = 0; (ulong)i < rctx.BlkSz; i++)
                        rctx.Buffer.Write((ulong)i, new[] { (byte)(tctx.Key[i] ^ HmacOpadValue) });
                    /* Now append the digest to the rest of the buffer. */
                    for (i = 0; (ulong)i < rctx.DigSz; i++)
                        rctx.Buffer.Write(rctx.BlkSz + (ulong)i, new[] { req.Result[i] });

                    /* Now hash the buffer to obtain the final HMAC. */
                    rc = OcsHcu.OcsHcuDigest(hcuDev, rctx.Algo, rctx.Buffer, rctx.BlkSz + rctx.DigSz, req.Result, rctx.DigSz);
                    if (rc != 0)
                        goto error;
                }

                /* Perform secure clean-up. */
                KmbOcsHcuSecureCleanup(req);
            done:
                CryptoFinalizeHashRequest(hcuDev.Engine, req, 0);

                return 0;

            error:
                KmbOcsHcuSecureCleanup(req);
                return rc;
            }

            // kmb_ocs_hcu_init
            public static int KmbOcsHcuInit(AhashRequest req)
            {
                OcsHcuDev? hcuDev = KmbOcsHcuFindDev(req);
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                CryptoAhash tfm = CryptoAhashReqtfm(req);
                OcsHcuCtx ctx = CryptoAhashCtx(tfm);

                if (hcuDev == null)
                    return -ENOENT;

                /* Initialize entire request context to zero. */
                rctx.Memset0();

                rctx.HcuDev = hcuDev;
                rctx.DigSz = tfm.Digestsize;   // crypto_ahash_digestsize(tfm)

                switch (rctx.DigSz)
                {
                    case 32:   // SHA256_DIGEST_SIZE
                        rctx.BlkSz = 64;   // SHA256_BLOCK_SIZE
                        /*
                         * SHA256 and SM3 have the same digest size: use info from tfm
                         * context to find out which one we should use.
                         */
                        rctx.Algo = ctx.IsSm3Tfm ? OcsHcuAlgo.Sm3 : OcsHcuAlgo.Sha256;
                        break;
                    case 48:   // SHA384_DIGEST_SIZE
                        rctx.BlkSz = 128;   // SHA384_BLOCK_SIZE
                        rctx.Algo = OcsHcuAlgo.Sha384;
                        break;
                    case 64:   // SHA512_DIGEST_SIZE
                        rctx.BlkSz = 128;   // SHA512_BLOCK_SIZE
                        rctx.Algo = OcsHcuAlgo.Sha512;
                        break;
                    default:
                        return -EINVAL;
                }

                /* Initialize intermediate data. */
                OcsHcu.OcsHcuHashInit(rctx.HashCtx, rctx.Algo);

                /* If this a HMAC request, set HMAC flag. */
                if (ctx.IsHmacTfm)
                    rctx.Flags |= ReqFlagsHmac;

                return 0;
            }

            // kmb_ocs_hcu_update
            public static int KmbOcsHcuUpdate(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                int rc;

                if (req.Nbytes == 0)
                    return 0;

                rctx.SgDataTotal = req.Nbytes;
                rctx.SgDataOffset = 0;
                rctx.Sg = req.Src[0];

                /*
                 * If we are doing HMAC, then we must use SW-assisted HMAC, since HW
                 * HMAC does not support context switching (there it can only be used
                 * with finup() or digest()).
                 */
                if ((rctx.Flags & ReqFlagsHmac) != 0 &&
                    (rctx.Flags & ReqFlagsHmacSw) == 0)
                {
                    rctx.Flags |= ReqFlagsHmacSw;
                    rc = PrepareIpad(req);
                    if (rc != 0)
                        return rc;
                }

                /*
                 * If remaining sg_data fits into ctx buffer, just copy it there; we'll
                 * process it at the next update() or final().
                 */
                if (rctx.SgDataTotal <= (RctxBufferSize - rctx.BufCnt))
                    return FlushSgToOcsBuffer(rctx);

                return KmbOcsHcuHandleQueue(req);
            }

            /* Common logic for kmb_ocs_hcu_final() and kmb_ocs_hcu_finup(). */
            // kmb_ocs_hcu_fin_common
            static int KmbOcsHcuFinCommon(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                CryptoAhash tfm = CryptoAhashReqtfm(req);
                OcsHcuCtx ctx = CryptoAhashCtx(tfm);
                int rc;

                rctx.Flags |= ReqFinal;

                /*
                 * If this is a HMAC request and, so far, we didn't have to switch to
                 * SW HMAC, check if we can use HW HMAC.
                 */
                if ((rctx.Flags & ReqFlagsHmac) != 0 &&
                    (rctx.Flags & ReqFlagsHmacSw) == 0)
                {
                    if (KmbGetTotalData(rctx) != 0 &&
                        ctx.KeyLen <= OcsHcu.OcsHcuHwKeyLen)
                    {
                        rctx.Flags |= ReqFlagsHmacHw;
                    }
                    else
                    {
                        rctx.Flags |= ReqFlagsHmacSw;
                        rc = PrepareIpad(req);
                        if (rc != 0)
                            return rc;
                    }
                }

                return KmbOcsHcuHandleQueue(req);
            }

            // kmb_ocs_hcu_final
            public static int KmbOcsHcuFinal(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);

                rctx.SgDataTotal = 0;
                rctx.SgDataOffset = 0;
                rctx.Sg = null;

                return KmbOcsHcuFinCommon(req);
            }

            // kmb_ocs_hcu_finup
            public static int KmbOcsHcuFinup(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);

                rctx.SgDataTotal = req.Nbytes;
                rctx.SgDataOffset = 0;
                rctx.Sg = req.Src[0];

                return KmbOcsHcuFinCommon(req);
            }

            // kmb_ocs_hcu_digest
            public static int KmbOcsHcuDigest(AhashRequest req)
            {
                int rc = 0;
                OcsHcuDev? hcuDev = KmbOcsHcuFindDev(req);

                if (hcuDev == null)
                    return -ENOENT;

                rc = KmbOcsHcuInit(req);
                if (rc != 0)
                    return rc;

                rc = KmbOcsHcuFinup(req);

                return rc;
            }
        }
        """;

    // keembay-ocs-hcu-core.c before 01951a7dc5ac: struct ocs_hcu_rctx, kmb_ocs_hcu_dma_cleanup, kmb_ocs_dma_prepare.
    internal const string DmaBefore = """
        // struct ocs_hcu_rctx
        sealed class OcsHcuRctx
        {
            public OcsHcuDev HcuDev = null!;
            public uint Flags;
            public OcsHcuAlgo Algo;
            public ulong BlkSz;
            public ulong DigSz;
            public OcsHcuDmaList? DmaList;
            public OcsHcuHashCtx HashCtx = new();
            public KernelBuffer Buffer = null!;   // u8 buffer[2 * SHA512_BLOCK_SIZE]
            public ulong BufCnt;
            public DmaAddr BufDmaAddr;
            public ulong BufDmaCount;
            public Scatterlist? Sg;
            public uint SgDataTotal;
            public uint SgDataOffset;
            public uint SgDmaNents;

            // memset(rctx, 0, sizeof(*rctx)) in kmb_ocs_hcu_init
            public void Memset0()
            {
                HcuDev = null!;
                Flags = 0;
                Algo = 0;
                BlkSz = 0;
                DigSz = 0;
                DmaList = null;
                HashCtx = new();
                Buffer.Write(0, new byte[2 * 128]);
                BufCnt = 0;
                BufDmaAddr = default;
                BufDmaCount = 0;
                Sg = null;
                SgDataTotal = 0;
                SgDataOffset = 0;
                SgDmaNents = 0;
            }
        }

        static partial class KeembayOcsHcuCore
        {
            /* Free OCS DMA linked list and DMA-able context buffer. */
            // kmb_ocs_hcu_dma_cleanup
            static void KmbOcsHcuDmaCleanup(AhashRequest req, OcsHcuRctx rctx)
            {
                OcsHcuDev hcuDev = rctx.HcuDev;
                PciDevice dev = hcuDev.Dev;

                /* Unmap rctx->buffer (if mapped). */
                if (rctx.BufDmaCount != 0)
                {
                    Dma.UnmapSingle(dev, rctx.BufDmaAddr, rctx.BufDmaCount, DmaDirection.ToDevice);
                    rctx.BufDmaCount = 0;
                }

                /* Unmap req->src (if mapped). */
                if (rctx.SgDmaNents != 0)
                {
                    Dma.UnmapSg(dev, req.Src, {|P2P0024:(int)rctx.SgDmaNents|}, DmaDirection.ToDevice);
                    rctx.SgDmaNents = 0;
                }

                /* Free dma_list (if allocated). */
                if (rctx.DmaList != null)
                {
                    OcsHcu.OcsHcuDmaListFree(hcuDev, rctx.DmaList);
                    rctx.DmaList = null;
                }
            }

            /*
             * Prepare for DMA operation:
             * - DMA-map request context buffer (if needed)
             * - DMA-map SG list (only the entries to be processed, see note below)
             * - Allocate OCS HCU DMA linked list (number of elements =  SG entries to
             *   process + context buffer (if not empty)).
             * - Add DMA-mapped request context buffer to OCS HCU DMA list.
             * - Add SG entries to DMA list.
             */
            // kmb_ocs_dma_prepare
            static int KmbOcsDmaPrepare(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                PciDevice dev = rctx.HcuDev.Dev;
                uint remainder = 0;
                uint total;
                ulong nents;
                ulong count;
                int rc;
                int i;

                /* This function should be called only when there is data to process. */
                total = KmbGetTotalData(rctx);
                if (total == 0)
                    return -EINVAL;

                /*
                 * If this is not a final DMA (terminated DMA), the data passed to the
                 * HCU must be aligned to the block size; compute the remainder data to
                 * be processed in the next request.
                 */
                if ((rctx.Flags & ReqFinal) == 0)
                    remainder = (uint)(total % rctx.BlkSz);

                /* Determine the number of scatter gather list entries to process. */
                nents = (ulong)SgNentsForLen(req.Src, rctx.SgDataTotal - remainder);

                /* If there are entries to process, map them. */
                if (nents != 0)
                {
                    rctx.SgDmaNents = (uint)Dma.MapSg(dev, req.Src, (int)nents, DmaDirection.ToDevice);
                    if (rctx.SgDmaNents == 0)
                    {
                        DevErr(dev, "Failed to MAP SG\n");
                        rc = -ENOMEM;
                        goto cleanup;
                    }
                    /*
                     * The value returned by dma_map_sg() can be < nents; so update
                     * nents accordingly.
                     */
                    nents = rctx.SgDmaNents;
                }

                /*
                 * If context buffer is not empty, map it and add extra DMA entry for
                 * it.
                 */
                if (rctx.BufCnt != 0)
                {
                    rctx.BufDmaAddr = Dma.MapSingle(dev, rctx.Buffer, 0, rctx.BufCnt, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, rctx.BufDmaAddr))
                    {
                        DevErr(dev, "Failed to map request context buffer\n");
                        rc = -ENOMEM;
                        goto cleanup;
                    }
                    rctx.BufDmaCount = rctx.BufCnt;
                    /* Increase number of dma entries. */
                    nents++;
                }

                /* Allocate OCS HCU DMA list. */
                rctx.DmaList = OcsHcu.OcsHcuDmaListAlloc(rctx.HcuDev, (int)nents);
                if (rctx.DmaList == null)
                {
                    rc = -ENOMEM;
                    goto cleanup;
                }

                /* Add request context buffer (if previously DMA-mapped) */
                if (rctx.BufDmaCount != 0)
                {
                    rc = OcsHcu.OcsHcuDmaListAddTail(rctx.HcuDev, rctx.DmaList, rctx.BufDmaAddr, (uint)rctx.BufDmaCount);
                    if (rc != 0)
                        goto cleanup;
                }

                /* Add the SG nodes to be processed to the DMA linked list. */
                // for_each_sg(req->src, rctx->sg, rctx->sg_dma_nents, i)
                for (i = 0, rctx.Sg = req.Src[0]; i < rctx.SgDmaNents; i++, rctx.Sg = rctx.Sg!.Next())
                {
                    /*
                     * The number of bytes to add to the list entry is the minimum
                     * between:
                     * - The DMA length of the SG entry.
                     * - The data left to be processed.
                     */
                    count = Math.Min(rctx.SgDataTotal - remainder, rctx.Sg!.DmaLength - rctx.SgDataOffset);
                    /*
                     * Do not create a zero length DMA descriptor. Check in case of
                     * zero length SG node.
                     */
                    if (count == 0)
                        continue;
                    /* Add sg to HCU DMA list. */
                    rc = OcsHcu.OcsHcuDmaListAddTail(rctx.HcuDev, rctx.DmaList, rctx.Sg.DmaAddress, (uint)count);
                    if (rc != 0)
                        goto cleanup;

                    /* Update amount of data remaining in SG list. */
                    rctx.SgDataTotal -= (uint)count;

                    /*
                     * If  remaining data is equal to remainder (note: 'less than'
                     * case should never happen in practice), we are done: update
                     * offset and exit the loop.
                     */
                    if (rctx.SgDataTotal <= remainder)
                    {
                        Warn(rctx.SgDataTotal < remainder);
                        rctx.SgDataOffset += (uint)count;
                        break;
                    }

                    /*
                     * If we get here is because we need to process the next sg in
                     * the list; set offset within the sg to 0.
                     */
                    rctx.SgDataOffset = 0;
                }

                return 0;
            cleanup:
                DevErr(dev, "Failed to prepare DMA.\n");
                KmbOcsHcuDmaCleanup(req, rctx);

                return rc;
            }
        }
        """;

    // As fixed by 01951a7dc5ac: rctx->nents keeps the nents given to dma_map_sg(), and the cleanup unmaps with it.
    internal const string DmaFixed = """
        // struct ocs_hcu_rctx
        sealed class OcsHcuRctx
        {
            public OcsHcuDev HcuDev = null!;
            public uint Flags;
            public OcsHcuAlgo Algo;
            public ulong BlkSz;
            public ulong DigSz;
            public OcsHcuDmaList? DmaList;
            public OcsHcuHashCtx HashCtx = new();
            public KernelBuffer Buffer = null!;   // u8 buffer[2 * SHA512_BLOCK_SIZE]
            public ulong BufCnt;
            public DmaAddr BufDmaAddr;
            public ulong BufDmaCount;
            public Scatterlist? Sg;
            public uint SgDataTotal;
            public uint SgDataOffset;
            public uint SgDmaNents;
            public uint Nents;

            // memset(rctx, 0, sizeof(*rctx)) in kmb_ocs_hcu_init
            public void Memset0()
            {
                HcuDev = null!;
                Flags = 0;
                Algo = 0;
                BlkSz = 0;
                DigSz = 0;
                DmaList = null;
                HashCtx = new();
                Buffer.Write(0, new byte[2 * 128]);
                BufCnt = 0;
                BufDmaAddr = default;
                BufDmaCount = 0;
                Sg = null;
                SgDataTotal = 0;
                SgDataOffset = 0;
                SgDmaNents = 0;
                Nents = 0;
            }
        }

        static partial class KeembayOcsHcuCore
        {
            /* Free OCS DMA linked list and DMA-able context buffer. */
            // kmb_ocs_hcu_dma_cleanup
            static void KmbOcsHcuDmaCleanup(AhashRequest req, OcsHcuRctx rctx)
            {
                OcsHcuDev hcuDev = rctx.HcuDev;
                PciDevice dev = hcuDev.Dev;

                /* Unmap rctx->buffer (if mapped). */
                if (rctx.BufDmaCount != 0)
                {
                    Dma.UnmapSingle(dev, rctx.BufDmaAddr, rctx.BufDmaCount, DmaDirection.ToDevice);
                    rctx.BufDmaCount = 0;
                }

                /* Unmap req->src (if mapped). */
                if (rctx.SgDmaNents != 0)
                {
                    Dma.UnmapSg(dev, req.Src, (int)rctx.Nents, DmaDirection.ToDevice);
                    rctx.SgDmaNents = 0;
                }

                /* Free dma_list (if allocated). */
                if (rctx.DmaList != null)
                {
                    OcsHcu.OcsHcuDmaListFree(hcuDev, rctx.DmaList);
                    rctx.DmaList = null;
                }
            }

            /*
             * Prepare for DMA operation:
             * - DMA-map request context buffer (if needed)
             * - DMA-map SG list (only the entries to be processed, see note below)
             * - Allocate OCS HCU DMA linked list (number of elements =  SG entries to
             *   process + context buffer (if not empty)).
             * - Add DMA-mapped request context buffer to OCS HCU DMA list.
             * - Add SG entries to DMA list.
             */
            // kmb_ocs_dma_prepare
            static int KmbOcsDmaPrepare(AhashRequest req)
            {
                OcsHcuRctx rctx = AhashRequestCtxDma(req);
                PciDevice dev = rctx.HcuDev.Dev;
                uint remainder = 0;
                uint total;
                ulong nents;
                ulong count;
                int rc;
                int i;

                /* This function should be called only when there is data to process. */
                total = KmbGetTotalData(rctx);
                if (total == 0)
                    return -EINVAL;

                /*
                 * If this is not a final DMA (terminated DMA), the data passed to the
                 * HCU must be aligned to the block size; compute the remainder data to
                 * be processed in the next request.
                 */
                if ((rctx.Flags & ReqFinal) == 0)
                    remainder = (uint)(total % rctx.BlkSz);

                /* Determine the number of scatter gather list entries to process. */
                nents = (ulong)SgNentsForLen(req.Src, rctx.SgDataTotal - remainder);

                /* If there are entries to process, map them. */
                if (nents != 0)
                {
                    rctx.SgDmaNents = (uint)Dma.MapSg(dev, req.Src, (int)nents, DmaDirection.ToDevice);
                    if (rctx.SgDmaNents == 0)
                    {
                        DevErr(dev, "Failed to MAP SG\n");
                        rc = -ENOMEM;
                        goto cleanup;
                    }

                    /* Save the value of nents to pass to dma_unmap_sg. */
                    rctx.Nents = (uint)nents;

                    /*
                     * The value returned by dma_map_sg() can be < nents; so update
                     * nents accordingly.
                     */
                    nents = rctx.SgDmaNents;
                }

                /*
                 * If context buffer is not empty, map it and add extra DMA entry for
                 * it.
                 */
                if (rctx.BufCnt != 0)
                {
                    rctx.BufDmaAddr = Dma.MapSingle(dev, rctx.Buffer, 0, rctx.BufCnt, DmaDirection.ToDevice);
                    if (Dma.MappingError(dev, rctx.BufDmaAddr))
                    {
                        DevErr(dev, "Failed to map request context buffer\n");
                        rc = -ENOMEM;
                        goto cleanup;
                    }
                    rctx.BufDmaCount = rctx.BufCnt;
                    /* Increase number of dma entries. */
                    nents++;
                }

                /* Allocate OCS HCU DMA list. */
                rctx.DmaList = OcsHcu.OcsHcuDmaListAlloc(rctx.HcuDev, (int)nents);
                if (rctx.DmaList == null)
                {
                    rc = -ENOMEM;
                    goto cleanup;
                }

                /* Add request context buffer (if previously DMA-mapped) */
                if (rctx.BufDmaCount != 0)
                {
                    rc = OcsHcu.OcsHcuDmaListAddTail(rctx.HcuDev, rctx.DmaList, rctx.BufDmaAddr, (uint)rctx.BufDmaCount);
                    if (rc != 0)
                        goto cleanup;
                }

                /* Add the SG nodes to be processed to the DMA linked list. */
                // for_each_sg(req->src, rctx->sg, rctx->sg_dma_nents, i)
                for (i = 0, rctx.Sg = req.Src[0]; i < rctx.SgDmaNents; i++, rctx.Sg = rctx.Sg!.Next())
                {
                    /*
                     * The number of bytes to add to the list entry is the minimum
                     * between:
                     * - The DMA length of the SG entry.
                     * - The data left to be processed.
                     */
                    count = Math.Min(rctx.SgDataTotal - remainder, rctx.Sg!.DmaLength - rctx.SgDataOffset);
                    /*
                     * Do not create a zero length DMA descriptor. Check in case of
                     * zero length SG node.
                     */
                    if (count == 0)
                        continue;
                    /* Add sg to HCU DMA list. */
                    rc = OcsHcu.OcsHcuDmaListAddTail(rctx.HcuDev, rctx.DmaList, rctx.Sg.DmaAddress, (uint)count);
                    if (rc != 0)
                        goto cleanup;

                    /* Update amount of data remaining in SG list. */
                    rctx.SgDataTotal -= (uint)count;

                    /*
                     * If  remaining data is equal to remainder (note: 'less than'
                     * case should never happen in practice), we are done: update
                     * offset and exit the loop.
                     */
                    if (rctx.SgDataTotal <= remainder)
                    {
                        Warn(rctx.SgDataTotal < remainder);
                        rctx.SgDataOffset += (uint)count;
                        break;
                    }

                    /*
                     * If we get here is because we need to process the next sg in
                     * the list; set offset within the sg to 0.
                     */
                    rctx.SgDataOffset = 0;
                }

                return 0;
            cleanup:
                DevErr(dev, "Failed to prepare DMA.\n");
                KmbOcsHcuDmaCleanup(req, rctx);

                return rc;
            }
        }
        """;

    [Fact]
    public Task KmbOcsHcuDmaCleanup_UnmapsWithSgDmaNentsKeptByKmbOcsDmaPrepare_Reports() =>
        KernelVerify.RunAsync(OcsHcu, Core, DmaBefore);

    // The fix's own site is gone; ocs_hcu_digest's leak, which the commit did not touch, stays marked in ocs-hcu.c.
    [Fact]
    public Task KmbOcsHcuDmaCleanup_AsFixed_UnmapsWithSavedNents_OnlyUnfixedSiteReports() =>
        KernelVerify.RunAsync(OcsHcu, Core, DmaFixed);
}
