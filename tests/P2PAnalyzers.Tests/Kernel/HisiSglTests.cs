namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// HiSilicon accelerator SGL library (drivers/crypto/hisilicon/sgl.c) and its caller hisi_zip (drivers/crypto/hisilicon/
/// zip/zip_crypto.c), two real fixes:
/// <list type="number">
/// <item>"crypto: hisilicon - fix missed error branch" (Yang Shen, posted by Chenghai Huang as [PATCH 1/3] on
/// 2024-08-30; the merged hash was not found in the stored material): hisi_acc_sg_buf_map_to_hw_sgl maps the request's
/// scatterlist with dma_map_sg, then returns ERR_PTR(-EINVAL) when the mapped count exceeds pool-&gt;sge_nr without
/// unmapping it (a leak on an error path; an earlier cleanup that added the dev_err messages had dropped that
/// branch's dma_unmap_sg). The fix sends both error branches to a new <c>err_unmap:</c> label. Before- and after-fix
/// code taken from the posted diff (index 568acd0aee3f..c974f95cd126) and the stored v6.x sgl.c.</item>
/// <item>4154f7d3b1c1 "crypto: hisilicon/sgl - fix inconsistent map/unmap direction issue" (Chenghai Huang, 2025-12,
/// Fixes: 2566de3e06a3 "crypto: hisilicon - Use fine grained DMA mapping direction"): after 2566de3e06a3 the function
/// maps with the caller's <c>dir</c> (DMA_TO_DEVICE for the source, DMA_FROM_DEVICE for the destination) but
/// <c>err_unmap:</c> still unmaps DMA_BIDIRECTIONAL. Before/after taken from the stable backport's diff (index
/// 7a9ef2a9972a2..848ad7b101d93); the rest of the post-2566de3e06a3 function is reconstructed from that diff's context
/// and the callers seen in the stored zip_crypto.c (which pass DMA_TO_DEVICE/DMA_FROM_DEVICE and give
/// hisi_acc_sg_buf_unmap a direction).</item>
/// </list>
/// The map happens in hisi_zip_do_work (through the library), the unmap in the completion hisi_zip_acomp_cb, as the
/// kernel splits it. ERR_PTR/IS_ERR/PTR_ERR are written as the kernel's helpers over a sentinel object. The hardware
/// SGL lives in dma_alloc_coherent memory the engine reads, so acc_hw_sge.buf is a DMA address sink. sg_nents() is the
/// table's entry count.
/// The trial that wrote these tests found both bugs missed (P2P0021 then compared neither scatterlist mappings nor a
/// direction handed in by the callers; an ERR_PTR return was no error return for P2P0022); both are caught now.
/// </summary>
public sealed class HisiSglTests
{
    // struct acc_hw_sge, struct hisi_acc_hw_sgl, struct hisi_acc_sgl_pool and the zip request types.
    internal const string Types = """
        // struct acc_hw_sge
        sealed class AccHwSge
        {
            [DmaAddress] public DmaAddr Buf;
            public object? PageCtrl;
            public uint Len;
        }

        // struct hisi_acc_hw_sgl (in the pool's coherent memory); an ERR_PTR() is one with Err set
        sealed class HisiAccHwSgl
        {
            public long Err;
            public DmaAddr NextDma;
            public ushort EntrySumInChain;
            public ushort EntrySumInSgl;
            public ushort EntryLengthInSgl;
            public AccHwSge[] SgeEntries = Array.Empty<AccHwSge>();
        }

        // struct mem_block
        sealed class MemBlock
        {
            public HisiAccHwSgl[] Sgl = Array.Empty<HisiAccHwSgl>();
            public DmaAddr SglDma;
            public ulong Size;
        }

        // struct hisi_acc_sgl_pool
        sealed class HisiAccSglPool
        {
            public MemBlock[] MemBlock = new MemBlock[5];
            public uint SglNumPerBlock;
            public uint BlockNum;
            public uint Count;
            public uint SgeNr;
            public ulong SglSize;
        }

        // struct acomp_req
        sealed class AcompReq
        {
            public SgTable? Src;
            public SgTable? Dst;
            public uint Slen;
            public uint Dlen;
            public Action<AcompReq, int>? Complete;
        }

        // struct hisi_zip_req
        sealed class HisiZipReq
        {
            public AcompReq Req = null!;
            public HisiAccHwSgl HwSrc = null!;
            public HisiAccHwSgl HwDst = null!;
            public DmaAddr DmaSrc;
            public DmaAddr DmaDst;
            public ushort ReqId;
        }

        sealed class HisiZipSqe
        {
            public uint Dw3;
            public uint Produced;
            public DmaAddr Source;
            public DmaAddr Dest;
            public uint Tag;
        }

        sealed class HisiZipDfx
        {
            public long SendCnt, SendBusyCnt, RecvCnt, ErrBdCnt;
        }

        sealed class HisiQp
        {
            public PciDevice Dev = null!;   // &qp->qm->pdev->dev
            public uint QpId;
            public int AlgType;
            public Queue<HisiZipSqe> Sq = new();
            public HisiZipQpCtx QpCtx = null!;
        }

        sealed class HisiZipQpCtx
        {
            public HisiQp Qp = null!;
            public HisiAccSglPool SglPool = null!;
            public HisiZipDfx Dfx = new();
            public HisiZipReq[] ReqQ = Array.Empty<HisiZipReq>();
        }

        static partial class HisiAcc
        {
            const int EINVAL = 22;
            const int ENOMEM = 12;
            const int EAGAIN = 11;
            const int EIO = 5;
            const int EINPROGRESS = 115;
            const uint HzipNcErr = 0x0d;
            const uint HzipBdStatusM = 0xff;

            static HisiAccHwSgl ErrPtr(long err) => new HisiAccHwSgl { Err = err };
            static bool IsErr(HisiAccHwSgl p) => p.Err < 0;
            static int PtrErr(HisiAccHwSgl p) => (int)p.Err;

            static int SgNents(SgTable sgl) => sgl.Count;

            static void DevErr(PciDevice dev, string msg) { }

            static ushort CpuToLe16(uint v) => (ushort)v;
            static ushort Le16ToCpu(ushort v) => v;

            // acc_get_sgl
            static HisiAccHwSgl AccGetSgl(HisiAccSglPool pool, uint index, ref DmaAddr hwSglDma)
            {
                MemBlock[] block;
                uint blockIndex, offset;

                if (pool == null || index >= pool.Count)
                    return ErrPtr(-EINVAL);

                block = pool.MemBlock;
                blockIndex = index / pool.SglNumPerBlock;
                offset = index % pool.SglNumPerBlock;

                hwSglDma = block[blockIndex].SglDma + pool.SglSize * offset;
                return block[blockIndex].Sgl[offset];
            }

            // sg_map_to_hw_sg
            static void SgMapToHwSg(Scatterlist sgl, AccHwSge hwSge)
            {
                hwSge.Buf = sgl.DmaAddress;
                hwSge.Len = (uint)sgl.DmaLength;
                hwSge.PageCtrl = sgl;
            }

            static void IncHwSglSge(HisiAccHwSgl hwSgl)
            {
                ushort var = Le16ToCpu(hwSgl.EntrySumInSgl);

                var++;
                hwSgl.EntrySumInSgl = CpuToLe16(var);
            }

            static void UpdateHwSglSumSge(HisiAccHwSgl hwSgl, ushort sum) => hwSgl.EntrySumInChain = CpuToLe16(sum);

            static void ClearHwSglSge(HisiAccHwSgl hwSgl)
            {
                AccHwSge[] hwSge = hwSgl.SgeEntries;
                int i;

                for (i = 0; i < Le16ToCpu(hwSgl.EntrySumInSgl); i++)
                {
                    hwSge[i].PageCtrl = null;
                    hwSge[i].Buf = default;
                    hwSge[i].Len = 0;
                }
            }

            // hisi_qp_send
            static int HisiQpSend(HisiQp qp, HisiZipSqe sqe)
            {
                if (qp.Sq.Count >= 1024)
                    return -16;  // -EBUSY
                qp.Sq.Enqueue(sqe);
                return 0;
            }

            // hisi_zip_fill_sqe (the SGL addresses and the tag)
            static void HisiZipFillSqe(HisiZipSqe sqe, HisiZipReq req)
            {
                sqe.Source = req.DmaSrc;
                sqe.Dest = req.DmaDst;
                sqe.Tag = req.ReqId;
            }

            static void HisiZipRemoveReq(HisiZipQpCtx qpCtx, HisiZipReq req) { }
        }
        """;

    // sgl.c before "crypto: hisilicon - fix missed error branch" (v6.11): the sge_nr branch returns without unmapping.
    internal const string SglBeforeFix = """
        static partial class HisiAcc
        {
            // hisi_acc_sg_buf_map_to_hw_sgl
            public static HisiAccHwSgl HisiAccSgBufMapToHwSgl(PciDevice dev, SgTable sgl, HisiAccSglPool pool, uint index, ref DmaAddr hwSglDma)
            {
                HisiAccHwSgl currHwSgl;
                DmaAddr currSglDma = default;
                int currHwSge;
                Scatterlist? sg;
                int i, sgN, sgNMapped;

                if (dev == null || sgl == null || pool == null || index >= pool.Count)
                    return ErrPtr(-EINVAL);

                sgN = SgNents(sgl);

                // P2P0022: the sge_nr branch below returns with the table mapped. The function returns a pointer and its
                // error is ERR_PTR(-EINVAL) (missed by the trial that wrote this test: a call was no error return then).
                sgNMapped = {|P2P0022:Dma.MapSg(dev, sgl, sgN, DmaDirection.Bidirectional)|};
                if (sgNMapped == 0)
                {
                    DevErr(dev, "DMA mapping for SG error!");
                    return ErrPtr(-EINVAL);
                }

                if (sgNMapped > pool.SgeNr)
                {
                    DevErr(dev, "the number of entries in input scatterlist is bigger than SGL pool setting.");
                    return ErrPtr(-EINVAL);  // the mapping is leaked
                }

                currHwSgl = AccGetSgl(pool, index, ref currSglDma);
                if (IsErr(currHwSgl))
                {
                    DevErr(dev, "Get SGL error!");
                    Dma.UnmapSg(dev, sgl, sgN, DmaDirection.Bidirectional);
                    return ErrPtr(-ENOMEM);
                }
                currHwSgl.EntryLengthInSgl = CpuToLe16(pool.SgeNr);
                currHwSge = 0;

                sg = sgl[0];
                for (i = 0; i < sgNMapped; i++)  // for_each_sg(sgl, sg, sg_n_mapped, i)
                {
                    SgMapToHwSg(sg!, currHwSgl.SgeEntries[currHwSge]);
                    IncHwSglSge(currHwSgl);
                    currHwSge++;
                    sg = sg!.Next();
                }

                UpdateHwSglSumSge(currHwSgl, (ushort)pool.SgeNr);
                hwSglDma = currSglDma;

                return currHwSgl;
            }
        }
        """;

    // The same function after the fix: both failures go through err_unmap.
    internal const string SglFixed = """
        static partial class HisiAcc
        {
            // hisi_acc_sg_buf_map_to_hw_sgl
            public static HisiAccHwSgl HisiAccSgBufMapToHwSgl(PciDevice dev, SgTable sgl, HisiAccSglPool pool, uint index, ref DmaAddr hwSglDma)
            {
                HisiAccHwSgl currHwSgl;
                DmaAddr currSglDma = default;
                int currHwSge;
                Scatterlist? sg;
                int i, sgN, sgNMapped;
                int ret;

                if (dev == null || sgl == null || pool == null || index >= pool.Count)
                    return ErrPtr(-EINVAL);

                sgN = SgNents(sgl);

                sgNMapped = Dma.MapSg(dev, sgl, sgN, DmaDirection.Bidirectional);
                if (sgNMapped == 0)
                {
                    DevErr(dev, "DMA mapping for SG error!");
                    return ErrPtr(-EINVAL);
                }

                if (sgNMapped > pool.SgeNr)
                {
                    DevErr(dev, "the number of entries in input scatterlist is bigger than SGL pool setting.");
                    ret = -EINVAL;
                    goto errUnmap;
                }

                currHwSgl = AccGetSgl(pool, index, ref currSglDma);
                if (IsErr(currHwSgl))
                {
                    DevErr(dev, "Get SGL error!");
                    ret = -ENOMEM;
                    goto errUnmap;
                }
                currHwSgl.EntryLengthInSgl = CpuToLe16(pool.SgeNr);
                currHwSge = 0;

                sg = sgl[0];
                for (i = 0; i < sgNMapped; i++)  // for_each_sg(sgl, sg, sg_n_mapped, i)
                {
                    SgMapToHwSg(sg!, currHwSgl.SgeEntries[currHwSge]);
                    IncHwSglSge(currHwSgl);
                    currHwSge++;
                    sg = sg!.Next();
                }

                UpdateHwSglSumSge(currHwSgl, (ushort)pool.SgeNr);
                hwSglDma = currSglDma;

                return currHwSgl;

            errUnmap:
                Dma.UnmapSg(dev, sgl, sgN, DmaDirection.Bidirectional);

                return ErrPtr(ret);
            }
        }
        """;

    // hisi_acc_sg_buf_unmap (unchanged by the first fix) and zip_crypto.c's hisi_zip_do_work / hisi_zip_acomp_cb.
    internal const string ZipAndUnmap = """
        static partial class HisiAcc
        {
            // hisi_acc_sg_buf_unmap
            public static void HisiAccSgBufUnmap(PciDevice dev, SgTable sgl, HisiAccHwSgl hwSgl)
            {
                if (dev == null || sgl == null || hwSgl == null)
                    return;

                Dma.UnmapSg(dev, sgl, SgNents(sgl), DmaDirection.Bidirectional);
                ClearHwSglSge(hwSgl);
                hwSgl.EntrySumInChain = 0;
                hwSgl.EntrySumInSgl = 0;
                hwSgl.EntryLengthInSgl = 0;
            }

            // hisi_zip_do_work
            static int HisiZipDoWork(HisiZipQpCtx qpCtx, HisiZipReq req)
            {
                HisiAccSglPool pool = qpCtx.SglPool;
                HisiZipDfx dfx = qpCtx.Dfx;
                AcompReq aReq = req.Req;
                HisiQp qp = qpCtx.Qp;
                PciDevice dev = qp.Dev;
                HisiZipSqe zipSqe = new HisiZipSqe();
                int ret;

                if (aReq.Src == null || aReq.Slen == 0 || aReq.Dst == null || aReq.Dlen == 0)
                    return -EINVAL;

                req.HwSrc = HisiAccSgBufMapToHwSgl(dev, aReq.Src, pool, (uint)(req.ReqId << 1), ref req.DmaSrc);
                if (IsErr(req.HwSrc))
                {
                    DevErr(dev, "failed to map the src buffer to hw sgl");
                    return PtrErr(req.HwSrc);
                }

                req.HwDst = HisiAccSgBufMapToHwSgl(dev, aReq.Dst, pool, (uint)(req.ReqId << 1) + 1, ref req.DmaDst);
                if (IsErr(req.HwDst))
                {
                    ret = PtrErr(req.HwDst);
                    DevErr(dev, "failed to map the dst buffer to hw sgl");
                    goto errUnmapInput;
                }

                HisiZipFillSqe(zipSqe, req);

                /* send command to start a task */
                dfx.SendCnt++;
                ret = HisiQpSend(qp, zipSqe);
                if (ret < 0)
                {
                    dfx.SendBusyCnt++;
                    ret = -EAGAIN;
                    goto errUnmapOutput;
                }

                return -EINPROGRESS;

            errUnmapOutput:
                HisiAccSgBufUnmap(dev, aReq.Dst, req.HwDst);
            errUnmapInput:
                HisiAccSgBufUnmap(dev, aReq.Src, req.HwSrc);
                return ret;
            }

            // hisi_zip_acomp_cb (the completion)
            static void HisiZipAcompCb(HisiQp qp, HisiZipSqe sqe)
            {
                HisiZipQpCtx qpCtx = qp.QpCtx;
                HisiZipDfx dfx = qpCtx.Dfx;
                PciDevice dev = qp.Dev;
                HisiZipReq req = qpCtx.ReqQ[sqe.Tag];
                AcompReq acompReq = req.Req;
                int err = 0;
                uint status;

                dfx.RecvCnt++;
                status = sqe.Dw3 & HzipBdStatusM;
                if (status != 0 && status != HzipNcErr)
                {
                    DevErr(dev, "compress fail");
                    dfx.ErrBdCnt++;
                    err = -EIO;
                }

                HisiAccSgBufUnmap(dev, acompReq.Src!, req.HwSrc);
                HisiAccSgBufUnmap(dev, acompReq.Dst!, req.HwDst);

                acompReq.Dlen = sqe.Produced;

                if (acompReq.Complete != null)
                    acompReq.Complete(acompReq, err);

                HisiZipRemoveReq(qpCtx, req);
            }
        }
        """;

    // After 2566de3e06a3 and before 4154f7d3b1c1: the map takes the caller's direction, err_unmap does not; the
    // unmap helper and the zip callers pass the direction.
    private static string WithDirection(string sglFixed, string errUnmapDirection) => sglFixed
        .Replace("uint index, ref DmaAddr hwSglDma)", "uint index, ref DmaAddr hwSglDma, DmaDirection dir)")
        .Replace("sgNMapped = Dma.MapSg(dev, sgl, sgN, DmaDirection.Bidirectional);", "sgNMapped = Dma.MapSg(dev, sgl, sgN, dir);")
        .Replace("Dma.UnmapSg(dev, sgl, sgN, DmaDirection.Bidirectional);", $"Dma.UnmapSg(dev, sgl, sgN, {errUnmapDirection});");

    internal static readonly string ZipAndUnmapWithDirection = ZipAndUnmap
        .Replace("HisiAccSgBufUnmap(PciDevice dev, SgTable sgl, HisiAccHwSgl hwSgl)", "HisiAccSgBufUnmap(PciDevice dev, SgTable sgl, HisiAccHwSgl hwSgl, DmaDirection dir)")
        .Replace("Dma.UnmapSg(dev, sgl, SgNents(sgl), DmaDirection.Bidirectional);", "Dma.UnmapSg(dev, sgl, SgNents(sgl), dir);")
        .Replace("ref req.DmaSrc);", "ref req.DmaSrc, DmaDirection.ToDevice);")
        .Replace("ref req.DmaDst);", "ref req.DmaDst, DmaDirection.FromDevice);")
        .Replace("HisiAccSgBufUnmap(dev, aReq.Dst, req.HwDst);", "HisiAccSgBufUnmap(dev, aReq.Dst, req.HwDst, DmaDirection.FromDevice);")
        .Replace("HisiAccSgBufUnmap(dev, aReq.Src, req.HwSrc);", "HisiAccSgBufUnmap(dev, aReq.Src, req.HwSrc, DmaDirection.ToDevice);")
        .Replace("HisiAccSgBufUnmap(dev, acompReq.Src!, req.HwSrc);", "HisiAccSgBufUnmap(dev, acompReq.Src!, req.HwSrc, DmaDirection.ToDevice);")
        .Replace("HisiAccSgBufUnmap(dev, acompReq.Dst!, req.HwDst);", "HisiAccSgBufUnmap(dev, acompReq.Dst!, req.HwDst, DmaDirection.FromDevice);");

    // P2P0021: the error path unmaps DMA_BIDIRECTIONAL what was mapped with `dir`, TO_DEVICE or FROM_DEVICE from every
    // caller (the trial that wrote this test found it missed: a scatterlist mapping with a parameter's direction).
    internal static readonly string DirBeforeFix = WithDirection(SglFixed, "{|P2P0021:DmaDirection.Bidirectional|}");

    internal static readonly string DirFixed = WithDirection(SglFixed, "dir");

    [Fact]
    public Task HisiSgl_BeforeFixMissedErrorBranch_SgeNrReturnLeaksMapping() =>
        KernelVerify.RunAsync(Types, SglBeforeFix, ZipAndUnmap);

    [Fact]
    public Task HisiSgl_AsFixedMissedErrorBranch_NoDiagnostic()
    {
        Assert.DoesNotContain("{|", SglFixed);
        return KernelVerify.RunAsync(Types, SglFixed, ZipAndUnmap);
    }

    [Fact]
    public Task HisiSgl_Before4154f7d3b1c1_ErrUnmapBidirectional()
    {
        Assert.Contains("Dma.MapSg(dev, sgl, sgN, dir)", DirBeforeFix);
        Assert.Contains("{|P2P0021:", DirBeforeFix);
        Assert.Contains("DmaDirection.FromDevice);", ZipAndUnmapWithDirection);
        return KernelVerify.RunAsync(Types, DirBeforeFix, ZipAndUnmapWithDirection);
    }

    [Fact]
    public Task HisiSgl_As4154f7d3b1c1_ErrUnmapWithDir_NoDiagnostic()
    {
        Assert.Contains("Dma.UnmapSg(dev, sgl, sgN, dir);", DirFixed);
        Assert.DoesNotContain("{|", DirFixed);
        return KernelVerify.RunAsync(Types, DirFixed, ZipAndUnmapWithDirection);
    }
}
