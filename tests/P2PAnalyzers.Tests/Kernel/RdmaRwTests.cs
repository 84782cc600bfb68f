namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// The RDMA READ/WRITE API (drivers/infiniband/core/rw.c), the path nvmet-rdma hands P2P memory (an NVMe CMB) to the
/// HCA, in three shapes:
/// <list type="bullet">
/// <item>v5.5, before "RDMA/rw: map P2P memory correctly for signature operations" (Max Gurtovoy, Israel Rukshin,
/// posted 2020-02-19 to linux-rdma; the upstream hash was not verified here): rdma_rw_ctx_init maps P2P pages with
/// pci_p2pdma_map_sg (bus addresses, v4.20..v6.1) and RAM with ib_dma_map_sg, but its error path
/// (<c>out_unmap_sg:</c>) always calls ib_dma_unmap_sg, so a failed P2P context unmaps bus addresses;
/// rdma_rw_ctx_signature_init maps with ib_dma_map_sg whatever the pages are. Both also keep the count dma_map_sg
/// returned in sg_cnt (<c>sg_cnt = ret;</c>) and hand it to the unmap of the error path.</item>
/// <item>The same file after that patch: rdma_rw_map_sg / rdma_rw_unmap_sg pick pci_p2pdma_[un]map_sg by page type
/// everywhere; the count confusion on the error paths remains.</item>
/// <item>Mainline after the sg_table conversion and "RDMA/rw: drop pci_p2pdma_[un]map_sg()" (Logan Gunthorpe, v6.2):
/// rdma_rw_map_sgtable is ib_dma_map_sgtable_attrs (P2P-aware), the error paths unmap sgt.orig_nents. Reconstructed from
/// the mainline text as remembered (hashes not verified); must draw nothing.</item>
/// </list>
/// Library gaps: pci_p2pdma_map_sg/unmap_sg (v4.20..v6.1) are written as Dma.MapSg/UnmapSg, which do what they did for
/// P2P pages; a scatterlist pointer advanced with sg_next cannot be handed to an unmap (an SgTable always starts at
/// entry 0), so the skipped-entry half of the error-path bug is not expressible (the index is kept in sgIdx).
/// </summary>
public sealed class RdmaRwTests
{
    // include/rdma/ib_verbs.h, include/rdma/rw.h: the objects rw.c works on.
    internal const string Verbs = """
        sealed class IbDevice
        {
            public PciDevice DmaDevice = null!;   // ib_device->dma_device
        }

        sealed class IbMr
        {
            public uint Lkey;
        }

        sealed class IbPd
        {
            public IbDevice Device = null!;
            public uint LocalDmaLkey;
        }

        sealed class IbQp
        {
            public IbPd Pd = null!;
            public IbDevice Device = null!;
            public Queue<IbMr> SigMrs = new();    // qp->sig_mrs
        }

        struct IbSge
        {
            public ulong Addr;
            public uint Length;
            public uint Lkey;
        }

        sealed class IbRdmaWr
        {
            public IbSge[] SgList = Array.Empty<IbSge>();
            public int NumSge;
            public ulong RemoteAddr;
            public uint Rkey;
            public IbRdmaWr? Next;
        }

        enum RdmaRwType
        {
            SingleWr,
            MultiWr,
            Mr,
            SigMr,
        }

        sealed class RdmaRwCtx
        {
            public int NrOps;
            public RdmaRwType Type;
            public IbSge SingleSge;
            public IbRdmaWr SingleWr = new();
            public IbSge[] MapSges = Array.Empty<IbSge>();
            public IbRdmaWr[] MapWrs = Array.Empty<IbRdmaWr>();
            public IbMr? SigMr;
        }
        """;

    // ib_dma_map_sg / ib_dma_unmap_sg before v6.2: dma_map_sg on the dma_device, which then knew nothing of P2P pages.
    private const string IbVerbsLegacy = """
        static class IbVerbs
        {
            public static int IbDmaMapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.LegacyMapSg(dev.DmaDevice, sg, nents, dir);

            public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.LegacyUnmapSg(dev.DmaDevice, sg, %LEGACY_NENTS%, dir);
        }

        // drivers/pci/p2pdma.c, v4.20..v6.1: pci_p2pdma_map_sg gives P2P pages their bus address, and
        // pci_p2pdma_unmap_sg unmaps only what went through the host bridge (Dma.MapSg/UnmapSg since 6.2).
        static class P2PDmaSg
        {
            public static int PciP2PDmaMapSg(PciDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.MapSg(dev, sg, nents, dir);

            public static void PciP2PDmaUnmapSg(PciDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.UnmapSg(dev, sg, %P2P_NENTS%, dir);
        }
        """;

    // rdma_rw_init_single_wr / rdma_rw_init_map_wrs: the DMA addresses of the mapped entries go into SGEs.
    internal const string Wrs = """
        static partial class RdmaRw
        {
            private const int MaxSge = 2; // rdma_max_sge

            private static int InitMapWrs(RdmaRwCtx ctx, IbQp qp, SgTable sg, int sgIdx, int sgCnt, uint offset,
                ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                ulong totalLen = 0;
                ctx.NrOps = (sgCnt + MaxSge - 1) / MaxSge;
                ctx.MapSges = new IbSge[sgCnt];
                ctx.MapWrs = new IbRdmaWr[ctx.NrOps];
                int s = 0;
                for (int i = 0; i < ctx.NrOps; i++)
                {
                    int nrSge = Math.Min(sgCnt, MaxSge);
                    var rdma = new IbRdmaWr { RemoteAddr = remoteAddr + totalLen, Rkey = rkey, NumSge = nrSge };
                    rdma.SgList = new IbSge[nrSge];
                    for (int j = 0; j < nrSge; j++, sgIdx++)
                    {
                        IbSge sge;
                        sge.Addr = sg[sgIdx].DmaAddress.Raw + offset;
                        sge.Length = (uint)sg[sgIdx].DmaLength - offset;
                        sge.Lkey = qp.Pd.LocalDmaLkey;
                        totalLen += sge.Length;
                        rdma.SgList[j] = sge;
                        ctx.MapSges[s++] = sge;
                        offset = 0;
                    }

                    if (i > 0)
                    {
                        ctx.MapWrs[i - 1].Next = rdma;
                    }

                    ctx.MapWrs[i] = rdma;
                    sgCnt -= nrSge;
                }

                ctx.Type = RdmaRwType.MultiWr;
                return ctx.NrOps;
            }

            private static int InitSingleWr(RdmaRwCtx ctx, IbQp qp, SgTable sg, int sgIdx, uint offset,
                ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                ctx.NrOps = 1;
                ctx.SingleSge.Lkey = qp.Pd.LocalDmaLkey;
                ctx.SingleSge.Addr = sg[sgIdx].DmaAddress.Raw + offset;
                ctx.SingleSge.Length = (uint)sg[sgIdx].DmaLength - offset;
                ctx.SingleWr.SgList = new[] { ctx.SingleSge };
                ctx.SingleWr.NumSge = 1;
                ctx.SingleWr.RemoteAddr = remoteAddr;
                ctx.SingleWr.Rkey = rkey;
                ctx.Type = RdmaRwType.SingleWr;
                return 1;
            }
        }
        """;

    // The three error-path unmaps hand the mapped count to ib_dma_unmap_sg, which hands it to the unmap: each is reported
    // where the caller passes the count (not once inside the wrapper, as before the wrappers were followed).
    // A trial found P2P0022 reporting pci_p2pdma_map_sg's mapping at the `if (!ret) return -ENOMEM;` that tests either
    // helper's count (ret set in the two arms of an if/else).
    [Fact]
    public Task RdmaRwCtxInit_BeforeMapP2PMemoryCorrectlyForSignatureOperations_UnmapsP2PWithIbDmaUnmapSg_Reports() => KernelVerify.RunAsync(
        Verbs,
        IbVerbsLegacy.Replace("%LEGACY_NENTS%", "nents").Replace("%P2P_NENTS%", "nents"),
        Wrs,
        """
        static partial class RdmaRw
        {
            // rdma_rw_ctx_init (v5.5)
            public static int CtxInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt, uint sgOffset,
                ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;
                int sgIdx = 0;

                if (sg[0].Page!.IsP2P)
                {
                    ret = P2PDmaSg.PciP2PDmaMapSg(dev.DmaDevice, sg, sgCnt, dir);
                }
                else
                {
                    ret = IbVerbs.IbDmaMapSg(dev, sg, sgCnt, dir);
                }

                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;

                // Skip to the S/G entry that sg_offset falls into
                for (;;)
                {
                    uint len = (uint)sg[sgIdx].DmaLength;
                    if (sgOffset < len)
                    {
                        break;
                    }

                    sgIdx++;
                    sgOffset -= len;
                    sgCnt--;
                }

                ret = -5;
                if (sgCnt == 0)
                {
                    goto out_unmap_sg;
                }

                if (sgCnt > 1)
                {
                    ret = InitMapWrs(ctx, qp, sg, sgIdx, sgCnt, sgOffset, remoteAddr, rkey, dir);
                }
                else
                {
                    ret = InitSingleWr(ctx, qp, sg, sgIdx, sgOffset, remoteAddr, rkey, dir);
                }

                if (ret < 0)
                {
                    goto out_unmap_sg;
                }

                return ret;

            out_unmap_sg:
                // The legacy unmap and the P2P map are each a thin wrapper (ib_dma_unmap_sg, pci_p2pdma_map_sg): judged
                // at this call, the table marked P2P-mapped by the wrapper's call above.
                {|P2P0013:IbVerbs.IbDmaUnmapSg(dev, sg, {|P2P0024:sgCnt|}, dir)|};
                return ret;
            }

            // rdma_rw_ctx_signature_init (v5.5), the MR registration reduced to taking an MR from the pool
            public static int CtxSignatureInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt,
                SgTable? protSg, int protSgCnt, ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;

                ret = IbVerbs.IbDmaMapSg(dev, sg, sgCnt, dir);
                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;

                if (protSgCnt != 0)
                {
                    ret = IbVerbs.IbDmaMapSg(dev, protSg!, protSgCnt, dir);
                    if (ret == 0)
                    {
                        ret = -12;
                        goto out_unmap_sg;
                    }

                    protSgCnt = ret;
                }

                ctx.Type = RdmaRwType.SigMr;
                ctx.NrOps = 1;
                if (qp.SigMrs.Count == 0)
                {
                    ret = -11;
                    goto out_unmap_prot_sg;
                }

                ctx.SigMr = qp.SigMrs.Dequeue();
                return 1;

            out_unmap_prot_sg:
                if (protSgCnt != 0)
                {
                    IbVerbs.IbDmaUnmapSg(dev, protSg!, {|P2P0024:protSgCnt|}, dir);
                }

            out_unmap_sg:
                IbVerbs.IbDmaUnmapSg(dev, sg, {|P2P0024:sgCnt|}, dir);
                return ret;
            }
        }
        """,
        """
        static class RdmaRwTeardown
        {
            // rdma_rw_ctx_destroy (v5.5): the page type picks the unmap
            public static void CtxDestroy(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt, DmaDirection dir)
            {
                switch (ctx.Type)
                {
                    case RdmaRwType.Mr:
                        ctx.NrOps = 0;
                        break;
                    case RdmaRwType.MultiWr:
                        ctx.MapWrs = Array.Empty<IbRdmaWr>();
                        ctx.MapSges = Array.Empty<IbSge>();
                        break;
                    case RdmaRwType.SingleWr:
                        break;
                    default:
                        throw new InvalidOperationException("BUG");
                }

                if (sg[0].Page!.IsP2P)
                {
                    P2PDmaSg.PciP2PDmaUnmapSg(qp.Pd.Device.DmaDevice, sg, sgCnt, dir);
                }
                else
                {
                    IbVerbs.IbDmaUnmapSg(qp.Pd.Device, sg, sgCnt, dir);
                }
            }

            // rdma_rw_ctx_destroy_signature (v5.5)
            public static void CtxDestroySignature(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt,
                SgTable? protSg, int protSgCnt, DmaDirection dir)
            {
                if (ctx.Type != RdmaRwType.SigMr)
                {
                    return;
                }

                qp.SigMrs.Enqueue(ctx.SigMr!);
                ctx.SigMr = null;

                IbVerbs.IbDmaUnmapSg(qp.Pd.Device, sg, sgCnt, dir);
                if (protSgCnt != 0)
                {
                    IbVerbs.IbDmaUnmapSg(qp.Pd.Device, protSg!, protSgCnt, dir);
                }
            }
        }
        """);

    [Fact]
    public Task RdmaRwCtxInit_AfterMapP2PMemoryCorrectlyForSignatureOperations_StillUnmapsMappedCount_Reports() => KernelVerify.RunAsync(
        Verbs,
        IbVerbsLegacy.Replace("%LEGACY_NENTS%", "nents").Replace("%P2P_NENTS%", "nents"),
        Wrs,
        """
        static partial class RdmaRw
        {
            // rdma_rw_unmap_sg / rdma_rw_map_sg, added by the fix
            internal static void UnmapSg(IbDevice dev, SgTable sg, int sgCnt, DmaDirection dir)
            {
                if (sg[0].Page!.IsP2P)
                {
                    P2PDmaSg.PciP2PDmaUnmapSg(dev.DmaDevice, sg, sgCnt, dir);
                }
                else
                {
                    IbVerbs.IbDmaUnmapSg(dev, sg, sgCnt, dir);
                }
            }

            private static int MapSg(IbDevice dev, SgTable sg, int sgCnt, DmaDirection dir)
            {
                if (sg[0].Page!.IsP2P)
                {
                    return P2PDmaSg.PciP2PDmaMapSg(dev.DmaDevice, sg, sgCnt, dir);
                }
                else
                {
                    return IbVerbs.IbDmaMapSg(dev, sg, sgCnt, dir);
                }
            }

            // rdma_rw_ctx_init (v5.7)
            public static int CtxInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt, uint sgOffset,
                ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;
                int sgIdx = 0;

                ret = MapSg(dev, sg, sgCnt, dir);
                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;

                for (;;)
                {
                    uint len = (uint)sg[sgIdx].DmaLength;
                    if (sgOffset < len)
                    {
                        break;
                    }

                    sgIdx++;
                    sgOffset -= len;
                    sgCnt--;
                }

                ret = -5;
                if (sgCnt == 0)
                {
                    goto out_unmap_sg;
                }

                if (sgCnt > 1)
                {
                    ret = InitMapWrs(ctx, qp, sg, sgIdx, sgCnt, sgOffset, remoteAddr, rkey, dir);
                }
                else
                {
                    ret = InitSingleWr(ctx, qp, sg, sgIdx, sgOffset, remoteAddr, rkey, dir);
                }

                if (ret < 0)
                {
                    goto out_unmap_sg;
                }

                return ret;

            out_unmap_sg:
                UnmapSg(dev, sg, {|P2P0024:sgCnt|}, dir);
                return ret;
            }

            // rdma_rw_ctx_signature_init (v5.7)
            public static int CtxSignatureInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt,
                SgTable? protSg, int protSgCnt, ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;

                ret = MapSg(dev, sg, sgCnt, dir);
                if (ret == 0)
                {
                    return -12;
                }

                sgCnt = ret;

                if (protSgCnt != 0)
                {
                    ret = MapSg(dev, protSg!, protSgCnt, dir);
                    if (ret == 0)
                    {
                        ret = -12;
                        goto out_unmap_sg;
                    }

                    protSgCnt = ret;
                }

                ctx.Type = RdmaRwType.SigMr;
                ctx.NrOps = 1;
                if (qp.SigMrs.Count == 0)
                {
                    ret = -11;
                    goto out_unmap_prot_sg;
                }

                ctx.SigMr = qp.SigMrs.Dequeue();
                return 1;

            out_unmap_prot_sg:
                if (protSgCnt != 0)
                {
                    UnmapSg(dev, protSg!, {|P2P0024:protSgCnt|}, dir);
                }

            out_unmap_sg:
                UnmapSg(dev, sg, {|P2P0024:sgCnt|}, dir);
                return ret;
            }
        }
        """,
        """
        static class RdmaRwTeardown
        {
            // rdma_rw_ctx_destroy (v5.7)
            public static void CtxDestroy(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt, DmaDirection dir)
            {
                switch (ctx.Type)
                {
                    case RdmaRwType.Mr:
                        ctx.NrOps = 0;
                        break;
                    case RdmaRwType.MultiWr:
                        ctx.MapWrs = Array.Empty<IbRdmaWr>();
                        ctx.MapSges = Array.Empty<IbSge>();
                        break;
                    case RdmaRwType.SingleWr:
                        break;
                    default:
                        throw new InvalidOperationException("BUG");
                }

                RdmaRw.UnmapSg(qp.Pd.Device, sg, sgCnt, dir);
            }

            // rdma_rw_ctx_destroy_signature (v5.7): prot first, then data
            public static void CtxDestroySignature(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt,
                SgTable? protSg, int protSgCnt, DmaDirection dir)
            {
                if (ctx.Type != RdmaRwType.SigMr)
                {
                    return;
                }

                qp.SigMrs.Enqueue(ctx.SigMr!);
                ctx.SigMr = null;

                if (protSgCnt != 0)
                {
                    RdmaRw.UnmapSg(qp.Pd.Device, protSg!, protSgCnt, dir);
                }

                RdmaRw.UnmapSg(qp.Pd.Device, sg, sgCnt, dir);
            }
        }
        """);

    // Mainline (v6.2+): ib_dma_map_sgtable_attrs and ib_dma_unmap_sg, both P2P-aware since 6.2.
    internal const string IbVerbsMainline = """
        static class IbVerbs
        {
            public static int IbDmaMapSgtableAttrs(IbDevice dev, SgTable sgt, DmaDirection dir, DmaAttrs attrs) =>
                (int)Dma.MapSgTable(dev.DmaDevice, sgt, dir, attrs);

            public static void IbDmaUnmapSg(IbDevice dev, SgTable sg, int nents, DmaDirection dir) =>
                Dma.UnmapSg(dev.DmaDevice, sg, nents, dir);
        }
        """;

    internal const string RwMainline = """
        static partial class RdmaRw
        {
            // rdma_rw_unmap_sg / rdma_rw_map_sgtable after "RDMA/rw: drop pci_p2pdma_[un]map_sg()"
            internal static void UnmapSg(IbDevice dev, SgTable sg, int sgCnt, DmaDirection dir)
            {
                IbVerbs.IbDmaUnmapSg(dev, sg, sgCnt, dir);
            }

            private static int MapSgtable(IbDevice dev, SgTable sgt, DmaDirection dir)
            {
                return IbVerbs.IbDmaMapSgtableAttrs(dev, sgt, dir, DmaAttrs.None);
            }

            // rdma_rw_ctx_init: sgt = { .sgl = sg, .orig_nents = sg_cnt } is the caller's table
            public static int CtxInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sgt, uint sgOffset,
                ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;
                int sgIdx = 0;

                ret = MapSgtable(dev, sgt, dir);
                if (ret != 0)
                {
                    return ret;
                }

                int sgCnt = sgt.Nents;

                // Skip to the S/G entry that sg_offset falls into
                for (;;)
                {
                    uint len = (uint)sgt[sgIdx].DmaLength;
                    if (sgOffset < len)
                    {
                        break;
                    }

                    sgIdx++;
                    sgOffset -= len;
                    sgCnt--;
                }

                ret = -5;
                if (sgCnt == 0)
                {
                    goto out_unmap_sg;
                }

                if (sgCnt > 1)
                {
                    ret = InitMapWrs(ctx, qp, sgt, sgIdx, sgCnt, sgOffset, remoteAddr, rkey, dir);
                }
                else
                {
                    ret = InitSingleWr(ctx, qp, sgt, sgIdx, sgOffset, remoteAddr, rkey, dir);
                }

                if (ret < 0)
                {
                    goto out_unmap_sg;
                }

                return ret;

            out_unmap_sg:
                UnmapSg(dev, sgt, sgt.OrigNents, dir);
                return ret;
            }

            // rdma_rw_ctx_signature_init
            public static int CtxSignatureInit(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sgt,
                SgTable? protSgt, ulong remoteAddr, uint rkey, DmaDirection dir)
            {
                IbDevice dev = qp.Pd.Device;
                int ret;

                ret = MapSgtable(dev, sgt, dir);
                if (ret != 0)
                {
                    return ret;
                }

                if (protSgt is not null)
                {
                    ret = MapSgtable(dev, protSgt, dir);
                    if (ret != 0)
                    {
                        goto out_unmap_sg;
                    }
                }

                ctx.Type = RdmaRwType.SigMr;
                ctx.NrOps = 1;
                if (qp.SigMrs.Count == 0)
                {
                    ret = -11;
                    goto out_unmap_prot_sg;
                }

                ctx.SigMr = qp.SigMrs.Dequeue();
                return 1;

            out_unmap_prot_sg:
                if (protSgt is not null && protSgt.Nents != 0)
                {
                    UnmapSg(dev, protSgt, protSgt.OrigNents, dir);
                }

            out_unmap_sg:
                UnmapSg(dev, sgt, sgt.OrigNents, dir);
                return ret;
            }

            // rdma_rw_ctx_destroy: the caller passes its table and the count it asked to map
            public static void CtxDestroy(RdmaRwCtx ctx, IbQp qp, byte portNum, SgTable sg, int sgCnt, DmaDirection dir)
            {
                switch (ctx.Type)
                {
                    case RdmaRwType.Mr:
                        ctx.NrOps = 0;
                        break;
                    case RdmaRwType.MultiWr:
                        ctx.MapWrs = Array.Empty<IbRdmaWr>();
                        ctx.MapSges = Array.Empty<IbSge>();
                        break;
                    case RdmaRwType.SingleWr:
                        break;
                    default:
                        throw new InvalidOperationException("BUG");
                }

                UnmapSg(qp.Pd.Device, sg, sgCnt, dir);
            }
        }
        """;

    [Fact]
    public Task RdmaRwCtxInit_Mainline_MapSgtableP2PAware_NoDiagnostic() => KernelVerify.RunAsync(
        Verbs,
        IbVerbsMainline,
        Wrs,
        RwMainline);
}
