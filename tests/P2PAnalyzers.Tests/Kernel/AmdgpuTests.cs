namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// amdgpu's VRAM export, split as drivers/gpu/drm/amd/amdgpu splits it: the aperture cached in gmc init
/// (gmc_v9_0.c), the resource cursor (amdgpu_res_cursor.h), the table builder of the VRAM manager
/// (amdgpu_vram_mgr.c) and the dma-buf callbacks (amdgpu_dma_buf.c), each in its own file.
/// </summary>
public sealed class AmdgpuTests
{
    // amdgpu.h / amdgpu_gmc.h: struct amdgpu_device with its struct amdgpu_gmc, and gmc_v9_0_mc_init filling it.
    internal const string Device = """
        interface IAmdgpuGfxhubFuncs
        {
            ulong GetMcFbOffset();
        }

        sealed class AmdgpuXgmi
        {
            public bool ConnectedToCpu;
            public uint PhysicalNodeId;
            public ulong NodeSegmentSize;
        }

        // struct amdgpu_gmc: aper_base is a resource_size_t, the CPU address of the VRAM BAR
        sealed class AmdgpuGmc
        {
            public ulong AperBase;
            public ulong AperSize;
            public ulong VisibleVramSize;
            public ulong RealVramSize;
            public AmdgpuXgmi Xgmi = new();
        }

        sealed class AmdgpuDevice
        {
            public PciDevice Pdev = null!;
            public AmdgpuGmc Gmc = new();
            public IAmdgpuGfxhubFuncs Gfxhub = null!;
            public AmdgpuVramMgr VramMgr = new();
        }

        static class GmcV90
        {
            // gmc_v9_0_mc_init: the BAR is cached once at init
            public static int McInit(AmdgpuDevice adev)
            {
                adev.Gmc.AperBase = adev.Pdev.Bar(0).CpuStart.Raw;
                adev.Gmc.AperSize = adev.Pdev.Bar(0).Size;
                // CONFIG_X86_64: a GPU whose VRAM is system memory reached over XGMI uses the FB offset instead
                if (adev.Gmc.Xgmi.ConnectedToCpu)
                {
                    adev.Gmc.AperBase = adev.Gfxhub.GetMcFbOffset() + adev.Gmc.Xgmi.PhysicalNodeId * adev.Gmc.Xgmi.NodeSegmentSize;
                    adev.Gmc.AperSize = adev.Gmc.RealVramSize;
                }

                adev.Gmc.VisibleVramSize = Math.Min(adev.Gmc.AperSize, adev.Gmc.RealVramSize);
                return 0;
            }
        }
        """;

    // amdgpu_res_cursor.h: struct amdgpu_res_cursor walking the blocks of a ttm_resource (offsets inside VRAM).
    internal const string ResCursor = """
        enum TtmPl { System, Tt, Vram }

        sealed class TtmResource
        {
            public TtmPl MemType;
            public List<(ulong Start, ulong Size)> Blocks = new();
        }

        struct AmdgpuResCursor
        {
            public ulong Start;
            public ulong Size;
            public ulong Remaining;
            public int Block;
            public TtmResource Res;
        }

        static class AmdgpuRes
        {
            // amdgpu_res_first
            public static void First(TtmResource res, ulong start, ulong size, out AmdgpuResCursor cur)
            {
                int block = 0;
                while (start >= res.Blocks[block].Size)
                {
                    start -= res.Blocks[block].Size;
                    block++;
                }

                cur = new AmdgpuResCursor
                {
                    Res = res,
                    Block = block,
                    Start = res.Blocks[block].Start + start,
                    Size = Math.Min(res.Blocks[block].Size - start, size),
                    Remaining = size,
                };
            }

            // amdgpu_res_next
            public static void Next(ref AmdgpuResCursor cur, ulong size)
            {
                cur.Remaining -= size;
                if (cur.Remaining == 0)
                {
                    return;
                }

                cur.Size -= size;
                if (cur.Size != 0)
                {
                    cur.Start += size;
                    return;
                }

                cur.Block++;
                cur.Start = cur.Res.Blocks[cur.Block].Start;
                cur.Size = Math.Min(cur.Res.Blocks[cur.Block].Size, cur.Remaining);
            }
        }
        """;

    // amdgpu_vram_mgr.c: amdgpu_vram_mgr_alloc_sgt / amdgpu_vram_mgr_free_sgt.
    internal const string VramMgr = """
        sealed class AmdgpuVramMgr
        {
            // amdgpu_vram_mgr_alloc_sgt: dma_map_resource() of aper_base + cursor.start, SKIP_CPU_SYNC, no map type
            public int AllocSgt(AmdgpuDevice adev, TtmResource res, ulong offset, ulong length, PciDevice dev, DmaDirection dir, out SgTable? sgt)
            {
                int numEntries = 0;
                AmdgpuRes.First(res, offset, length, out AmdgpuResCursor cursor);
                while (cursor.Remaining != 0)
                {
                    numEntries++;
                    AmdgpuRes.Next(ref cursor, cursor.Size);
                }

                sgt = SgTable.Alloc(numEntries);
                foreach (Scatterlist s in sgt)
                {
                    s.SetPage(null, 0, 0);
                }

                AmdgpuRes.First(res, offset, length, out cursor);
                for (int i = 0; i < sgt.Count; i++)
                {
                    Scatterlist sg = sgt[i];
                    PhysAddr phys = PhysAddr.FromRaw(cursor.Start + adev.Gmc.AperBase);
                    ulong size = cursor.Size;

                    DmaAddr addr = {|P2P0010:Dma.MapResource(dev, phys, size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|})|};
                    if (Dma.MappingError(dev, addr))
                    {
                        goto errorUnmap;
                    }

                    sg.SetPage(null, size, 0);
                    sg.DmaAddress = addr;
                    sg.DmaLength = size;
                    AmdgpuRes.Next(ref cursor, cursor.Size);
                }

                return 0;

            errorUnmap:
                foreach (Scatterlist sg in sgt)
                {
                    if (sg.Length == 0)
                    {
                        continue;
                    }

                    Dma.UnmapResource(dev, sg.DmaAddress, sg.Length, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }

                sgt = null;
                return -12; // -ENOMEM
            }

            // amdgpu_vram_mgr_free_sgt
            public void FreeSgt(PciDevice dev, DmaDirection dir, SgTable sgt)
            {
                foreach (Scatterlist sg in sgt)
                {
                    Dma.UnmapResource(dev, sg.DmaAddress, sg.Length, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }
            }
        }
        """;

    // amdgpu_dma_buf.c: struct amdgpu_bo and the exporter's dma_buf_ops.
    private const string DmaBufCommon = """
        sealed class AmdgpuBo
        {
            public AmdgpuDevice Adev = null!;
            public TtmResource Resource = null!;
            public ulong Size;
            public uint PinCount;
            public bool PreferredVram;
            public bool PlacedInVram;
            public IReadOnlyList<Page> TtPages = Array.Empty<Page>();
        }
        """;

    // amdgpu_dma_buf_map: TT pages are mapped with dma_map_sgtable; VRAM comes back from the VRAM manager.
    private const string DmaBufMapBody = """
                switch (_bo.Resource.MemType)
                {
                    case TtmPl.Tt:
                        sgt = SgTable.FromPages(_bo.TtPages);
                        if (Dma.MapSgTable(attach.Device, sgt, dir, DmaAttrs.SkipCpuSync) != DmaError.None)
                        {
                            return DmaError.NoMemory;
                        }

                        break;
                    case TtmPl.Vram:
                        int r = _bo.Adev.VramMgr.AllocSgt(_bo.Adev, _bo.Resource, 0, _bo.Size, attach.Device, dir, out sgt);
                        if (r != 0)
                        {
                            return DmaError.NoMemory;
                        }

                        break;
                    default:
                        return DmaError.Invalid;
                }

                return {|P2P0003:sgt|}!;
            }

            // amdgpu_dma_buf_unmap: a table with pages was dma_map_sgtable'd, a page-less one came from the VRAM manager
            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable sgt, DmaDirection dir)
            {
                if (sgt[0].Page is not null)
                {
                    Dma.UnmapSgTable(attach.Device, sgt, dir);
                }
                else
                {
                    _bo.Adev.VramMgr.FreeSgt(attach.Device, dir, sgt);
                }
            }
        }
        """;

    [Fact]
    public Task AmdgpuVramMgrAllocSgt_WithGmcV90McInitAperBase_FromAmdgpuDmaBufMapOfPinnedBo_Reports() => KernelVerify.RunAsync(
        Device,
        ResCursor,
        VramMgr,
        DmaBufCommon + """
        sealed class AmdgpuDmaBuf : DmaBufOps
        {
            private readonly AmdgpuBo _bo;

            public AmdgpuDmaBuf(AmdgpuBo bo) => _bo = bo;

            // amdgpu_dma_buf_map of a BO pinned by amdgpu_dma_buf_pin: the placement is already decided
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable? sgt;
        """ + DmaBufMapBody);

    [Fact(Skip = "Gap: missed P2P0011 at 'attach.Peer2Peer' in AmdgpuDmaBuf.MapDmaBuf. The verdict Attach keeps in DmaBufAttachment.Peer2Peer is followed, but here it is stored into the BO's placement (PlacedInVram, then Resource.MemType); the dma_map_resource in AmdgpuVramMgr.AllocSgt runs after a later switch on that placement, so the verdict reaches the mapping through data, not through the control flow the rule follows")]
    public Task AmdgpuDmaBufAttach_DistanceClearsPeer2Peer_AmdgpuDmaBufMapPlacesInVramOnPeer2Peer_Reports() => KernelVerify.RunAsync(
        Device,
        ResCursor,
        VramMgr,
        DmaBufCommon + """
        sealed class AmdgpuDmaBuf : DmaBufOps
        {
            private readonly AmdgpuBo _bo;

            public AmdgpuDmaBuf(AmdgpuBo bo) => _bo = bo;

            // amdgpu_dma_buf_attach: pci_p2pdma_distance() < 0 only clears attach->peer2peer
            public override DmaError Attach(DmaBufAttachment attach)
            {
                if (PciP2PDma.Distance(_bo.Adev.Pdev, attach.Device) < 0)
                {
                    attach.Peer2Peer = false;
                }

                return DmaError.None;
            }

            // amdgpu_dma_buf_map: an unpinned BO moves to VRAM only when the distance said peer2peer, and VRAM is
            // then mapped with dma_map_resource: the distance verdict is the mapping decision
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable? sgt;
                if (_bo.PinCount == 0)
                {
                    _bo.PlacedInVram = _bo.PreferredVram && {|P2P0011:attach.Peer2Peer|};
                    _bo.Resource.MemType = _bo.PlacedInVram ? TtmPl.Vram : TtmPl.Tt;
                }

        """ + DmaBufMapBody);

    // The current kernel's shape for exporting device memory: ranges plus the provider, dma_buf_phys_vec_to_sgt /
    // dma_buf_free_sgt (drivers/dma-buf/dma-buf-mapping.c), the provider taken at probe with pcim_p2pdma_provider.
    [Fact]
    public Task AmdgpuDmaBufMap_WithDmaBufPhysVecToSgtAndProviderFromProbe_NoDiagnostic() => KernelVerify.RunAsync(
        Device.Replace("public AmdgpuVramMgr VramMgr = new();", "public P2PProvider? Provider;")
            .Replace("return 0;\n            }\n        }", "adev.Provider = PciP2PDma.Init(adev.Pdev) == DmaError.None ? PciP2PDma.Provider(adev.Pdev, 0) : null;\n                return 0;\n            }\n        }"),
        ResCursor,
        DmaBufCommon + """
        sealed class AmdgpuDmaBuf : DmaBufOps
        {
            private readonly AmdgpuBo _bo;

            public AmdgpuDmaBuf(AmdgpuBo bo) => _bo = bo;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                if (_bo.Resource.MemType != TtmPl.Vram || _bo.Adev.Provider is null)
                {
                    return DmaError.Invalid;
                }

                // the VRAM blocks as CPU physical ranges of the BAR (phys_vec), walked with the resource cursor
                var vec = new List<PhysRange>();
                AmdgpuRes.First(_bo.Resource, 0, _bo.Size, out AmdgpuResCursor cursor);
                while (cursor.Remaining != 0)
                {
                    vec.Add(new PhysRange(_bo.Adev.Provider.Bar.CpuStart + cursor.Start, cursor.Size));
                    AmdgpuRes.Next(ref cursor, cursor.Size);
                }

                return DmaBufMapping.PhysVecToSgt(attach, _bo.Adev.Provider, vec, _bo.Size, dir);
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable sgt, DmaDirection dir) =>
                DmaBufMapping.FreeSgt(attach, sgt, dir);
        }
        """);
}
