namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// RDMA's dma-buf importer in current mainline, as it is split: drivers/infiniband/core/umem_dmabuf.c
/// (ib_umem_dmabuf_map_pages maps the attachment and trims the first and last DMA segments in place to the umem's
/// range; ib_umem_dmabuf_unmap_pages restores them and unmaps; ib_umem_dmabuf_get_with_dma_device attaches dynamically
/// with the driver's attach ops; the pinned variant pins, maps and keeps the mapping; ib_umem_dmabuf_revoke and
/// ib_umem_dmabuf_release), the block iterator that drivers program their MTTs with (__rdma_block_iter_start /
/// __rdma_block_iter_next, drivers/infiniband/core/verbs.c, rdma_block_iter_dma_address in include/rdma/ib_verbs.h:
/// DMA addresses only), and mlx5's importer callbacks (drivers/infiniband/hw/mlx5/mr.c: mlx5_ib_dmabuf_invalidate_cb,
/// allow_peer2peer). The exporter is the mainline vfio-pci one of <see cref="MainlineVfioDmaBufTests"/>, whose table
/// may carry bus addresses. Correct code: no diagnostic.
/// </summary>
public sealed class MainlineRdmaUmemDmabufTests
{
    // include/rdma/ib_umem.h, include/rdma/ib_verbs.h: the types.
    internal const string IbUmem = """
        sealed class IbDevice
        {
            public PciDevice DmaDevice = null!;   // ib_device->dma_device
        }

        // struct ib_umem
        class IbUmem
        {
            public IbDevice Ibdev = null!;
            public ulong Address;
            public ulong Length;
            public bool Writable;
            public bool IsDmabuf;
            // umem->sgt_append.sgt: the window of the imported table the umem covers
            public SgTable? SgtAppendTable;
            public int SgtAppendSgl;     // sgt.sgl: index of the first entry
            public int SgtAppendNents;   // sgt.nents
        }

        // struct ib_umem_dmabuf
        sealed class IbUmemDmabuf : IbUmem
        {
            public DmaBufAttachment? Attach;
            public SgTable? Sgt;
            public Scatterlist? FirstSg;
            public ulong FirstSgOffset;
            public Scatterlist? LastSg;
            public ulong LastSgTrim;
            public object? Private;
            public bool Pinned;
            public bool Revoked;
        }

        // struct ib_block_iter
        sealed class IbBlockIter
        {
            public SgTable Table = null!;
            public int Sg;              // __sg
            public DmaAddr DmaAddr;     // __dma_addr
            public ulong SgAdvance;     // __sg_advance
            public int SgNents;         // __sg_nents
            public int PgBit;           // __pg_bit
        }
        """;

    // drivers/infiniband/core/umem_dmabuf.c
    internal const string UmemDmabuf = """
        static class UmemDmabuf
        {
            private const ulong PageSize = 4096;

            // ib_umem_num_pages
            private static ulong NumPages(IbUmem umem) =>
                ((umem.Address + umem.Length + PageSize - 1) & ~(PageSize - 1)) / PageSize - (umem.Address & ~(PageSize - 1)) / PageSize;

            // dma_resv_wait_timeout(resv, DMA_RESV_USAGE_KERNEL, false, MAX_SCHEDULE_TIMEOUT): the fences are signalled
            private static long ResvWaitTimeout(DmaBuffer dmabuf) => 1;

            // dma_buf_pin / dma_buf_unpin: the exporter keeps the buffer where it is
            private static int DmaBufPin(DmaBufAttachment attach) => 0;

            private static void DmaBufUnpin(DmaBufAttachment attach)
            {
            }

            // ib_umem_dmabuf_map_pages
            public static int MapPages(IbUmemDmabuf umemDmabuf)
            {
                SgTable sgt;
                ulong start, end, cur = 0;
                int nmap = 0;
                long ret;

                // dma_resv_assert_held(umem_dmabuf->attach->dmabuf->resv)
                if (umemDmabuf.Revoked)
                {
                    return -22;
                }

                if (umemDmabuf.Sgt is not null)
                {
                    goto wait_fence;
                }

                DmaResult<SgTable> mapped = umemDmabuf.Attach!.Map(DmaDirection.Bidirectional);   // dma_buf_map_attachment
                if (mapped.Failed)
                {
                    return (int)mapped.Error;
                }

                sgt = mapped.Value;

                // modify the sg list in-place to match umem address and length
                start = umemDmabuf.Address & ~(PageSize - 1);                                    // ALIGN_DOWN
                end = (umemDmabuf.Address + umemDmabuf.Length + PageSize - 1) & ~(PageSize - 1);   // ALIGN
                int first = 0;
                foreach (Scatterlist sg in sgt.DmaSegments)   // for_each_sgtable_dma_sg(sgt, sg, i)
                {
                    if (start < cur + sg.DmaLength && cur < end)
                    {
                        nmap++;
                    }

                    if (cur <= start && start < cur + sg.DmaLength)
                    {
                        ulong offset = start - cur;

                        umemDmabuf.FirstSg = sg;
                        umemDmabuf.FirstSgOffset = offset;
                        first = sg.Index;
                        sg.DmaAddress += offset;
                        sg.DmaLength -= offset;
                        cur += offset;
                    }

                    if (cur < end && end <= cur + sg.DmaLength)
                    {
                        ulong trim = cur + sg.DmaLength - end;

                        umemDmabuf.LastSg = sg;
                        umemDmabuf.LastSgTrim = trim;
                        sg.DmaLength -= trim;
                        break;
                    }

                    cur += sg.DmaLength;
                }

                umemDmabuf.SgtAppendTable = sgt;
                umemDmabuf.SgtAppendSgl = first;   // umem.sgt_append.sgt.sgl = umem_dmabuf->first_sg
                umemDmabuf.SgtAppendNents = nmap;
                umemDmabuf.Sgt = sgt;

            wait_fence:
                // Although the sg list is valid now, the content of the pages may be not up-to-date. Wait for the
                // exporter to finish the migration.
                ret = ResvWaitTimeout(umemDmabuf.Attach!.DmaBuf);
                if (ret < 0)
                {
                    return (int)ret;
                }

                if (ret == 0)
                {
                    return -110;   // -ETIMEDOUT
                }

                return 0;
            }

            // ib_umem_dmabuf_unmap_pages
            public static void UnmapPages(IbUmemDmabuf umemDmabuf)
            {
                // dma_resv_assert_held(umem_dmabuf->attach->dmabuf->resv)
                if (umemDmabuf.Sgt is null)
                {
                    return;
                }

                // restore the original sg list
                if (umemDmabuf.FirstSg is not null)
                {
                    umemDmabuf.FirstSg.DmaAddress -= umemDmabuf.FirstSgOffset;
                    umemDmabuf.FirstSg.DmaLength += umemDmabuf.FirstSgOffset;
                    umemDmabuf.FirstSg = null;
                    umemDmabuf.FirstSgOffset = 0;
                }

                if (umemDmabuf.LastSg is not null)
                {
                    umemDmabuf.LastSg.DmaLength += umemDmabuf.LastSgTrim;
                    umemDmabuf.LastSg = null;
                    umemDmabuf.LastSgTrim = 0;
                }

                umemDmabuf.Attach!.Unmap(umemDmabuf.Sgt, DmaDirection.Bidirectional);   // dma_buf_unmap_attachment
                umemDmabuf.Sgt = null;
            }

            // ib_umem_dmabuf_get_with_dma_device
            public static DmaResult<IbUmemDmabuf> GetWithDmaDevice(IbDevice device, PciDevice dmaDevice, ulong offset,
                ulong size, DmaBuffer dmabuf, bool writable, DmaBufImportOps? ops)
            {
                IbUmemDmabuf umemDmabuf;
                ulong end;

                if (offset + size < offset)   // check_add_overflow
                {
                    return DmaError.Invalid;
                }

                end = offset + size;
                if (ops?.MoveNotify is null)
                {
                    return DmaError.Invalid;
                }

                // dmabuf = dma_buf_get(fd)
                if (dmabuf.Size < end)
                {
                    return DmaError.Invalid;   // out_release_dmabuf: dma_buf_put(dmabuf)
                }

                umemDmabuf = new IbUmemDmabuf
                {
                    Ibdev = device,
                    Length = size,
                    Address = offset,
                    Writable = writable,
                    IsDmabuf = true,
                };

                if (NumPages(umemDmabuf) == 0)
                {
                    return DmaError.Invalid;   // out_free_umem
                }

                DmaResult<DmaBufAttachment> attach = dmabuf.DynamicAttach(dmaDevice, ops, umemDmabuf);
                if (attach.Failed)
                {
                    return attach.Error;   // out_free_umem
                }

                umemDmabuf.Attach = attach.Value;
                return umemDmabuf;
            }

            // ib_umem_dmabuf_unsupported_move_notify
            private static void UnsupportedMoveNotify(DmaBufAttachment attach)
            {
                var umemDmabuf = (IbUmemDmabuf)attach.ImporterPriv!;
                // ibdev_warn_ratelimited(umem_dmabuf->umem.ibdev, "Invalidate callback should not be called when memory is pinned\n")
                _ = umemDmabuf;
            }

            // ib_umem_dmabuf_attach_pinned_ops
            private static readonly DmaBufImportOps AttachPinnedOps = new()
            {
                AllowPeer2Peer = true,
                MoveNotify = UnsupportedMoveNotify,
            };

            // ib_umem_dmabuf_get_pinned_and_lock
            private static DmaResult<IbUmemDmabuf> GetPinnedAndLock(IbDevice device, PciDevice dmaDevice, ulong offset,
                ulong size, DmaBuffer dmabuf, bool writable)
            {
                IbUmemDmabuf umemDmabuf;
                int err;

                DmaResult<IbUmemDmabuf> got = GetWithDmaDevice(device, dmaDevice, offset, size, dmabuf, writable, AttachPinnedOps);
                if (got.Failed)
                {
                    return got;
                }

                umemDmabuf = got.Value;
                // dma_resv_lock(umem_dmabuf->attach->dmabuf->resv, NULL)
                err = DmaBufPin(umemDmabuf.Attach!);
                if (err != 0)
                {
                    goto err_release;
                }

                umemDmabuf.Pinned = true;

                err = MapPages(umemDmabuf);
                if (err != 0)
                {
                    goto err_unpin;
                }

                return umemDmabuf;

            err_unpin:
                DmaBufUnpin(umemDmabuf.Attach!);
            err_release:
                // dma_resv_unlock; ib_umem_release(&umem_dmabuf->umem)
                Release(umemDmabuf);
                return (DmaError)err;
            }

            // ib_umem_dmabuf_get_pinned_with_dma_device
            public static DmaResult<IbUmemDmabuf> GetPinnedWithDmaDevice(IbDevice device, PciDevice dmaDevice, ulong offset,
                ulong size, DmaBuffer dmabuf, bool writable)
            {
                DmaResult<IbUmemDmabuf> umemDmabuf = GetPinnedAndLock(device, dmaDevice, offset, size, dmabuf, writable);
                if (umemDmabuf.Failed)
                {
                    return umemDmabuf;
                }

                // dma_resv_unlock(umem_dmabuf->attach->dmabuf->resv)
                return umemDmabuf;
            }

            // ib_umem_dmabuf_revoke
            public static void Revoke(IbUmemDmabuf umemDmabuf)
            {
                // dma_resv_lock(dmabuf->resv, NULL)
                if (umemDmabuf.Revoked)
                {
                    return;
                }

                UnmapPages(umemDmabuf);
                if (umemDmabuf.Pinned)
                {
                    DmaBufUnpin(umemDmabuf.Attach!);
                    umemDmabuf.Pinned = false;
                }

                umemDmabuf.Revoked = true;
                // dma_resv_unlock(dmabuf->resv)
            }

            // ib_umem_dmabuf_release
            public static void Release(IbUmemDmabuf umemDmabuf)
            {
                Revoke(umemDmabuf);
                umemDmabuf.Attach!.Detach();   // dma_buf_detach(dmabuf, umem_dmabuf->attach); dma_buf_put(dmabuf)
            }
        }
        """;

    // drivers/infiniband/core/verbs.c: the DMA block iterator drivers program their page tables with.
    internal const string RdmaBlockIter = """
        static class RdmaBlockIter
        {
            // __rdma_block_iter_start
            public static void Start(IbBlockIter biter, SgTable table, int sglist, int nents, ulong pgsz)
            {
                biter.Table = table;
                biter.SgNents = nents;
                biter.Sg = sglist;   // Driver provides best block size to use
                biter.SgAdvance = 0;
                biter.PgBit = System.Numerics.BitOperations.Log2(pgsz);
            }

            // __rdma_block_iter_next
            public static bool Next(IbBlockIter biter)
            {
                ulong blockOffset;
                ulong sgDelta;

                if (biter.SgNents == 0 || biter.Sg >= biter.Table.Count)
                {
                    return false;
                }

                Scatterlist sg = biter.Table[biter.Sg];
                biter.DmaAddr = sg.DmaAddress + biter.SgAdvance;
                blockOffset = biter.DmaAddr.Raw & ((1UL << biter.PgBit) - 1);
                sgDelta = (1UL << biter.PgBit) - blockOffset;

                if (sg.DmaLength - biter.SgAdvance > sgDelta)
                {
                    biter.SgAdvance += sgDelta;
                }
                else
                {
                    biter.SgAdvance = 0;
                    biter.Sg++;   // sg_next
                    biter.SgNents--;
                }

                return true;
            }

            // rdma_block_iter_dma_address
            public static DmaAddr DmaAddress(IbBlockIter biter) => DmaAddr.FromRaw(biter.DmaAddr.Raw & ~((1UL << biter.PgBit) - 1));
        }
        """;

    // drivers/infiniband/hw/mlx5/mr.c: the dynamic importer's callbacks and the MTT fill from the umem.
    internal const string Mlx5Mr = """
        sealed class Mlx5IbMr
        {
            public IbUmemDmabuf Umem = null!;
            public ulong PageSize = 4096;
            public ulong[] Mtt = Array.Empty<ulong>();   // the device's translation entries
        }

        static class Mlx5Mr
        {
            private const ulong MlxMttPresent = 1;   // MLX5_IB_MTT_PRESENT

            // mlx5r_umr_update_mr_pas: program the MTT from the umem's DMA blocks (zap: clear them)
            private static int UmrUpdateMrPas(Mlx5IbMr mr, bool zap)
            {
                var biter = new IbBlockIter();
                int i = 0;

                if (zap)
                {
                    Array.Clear(mr.Mtt);
                    return 0;
                }

                // rdma_umem_for_each_dma_block(umem, &biter, page_size)
                RdmaBlockIter.Start(biter, mr.Umem.SgtAppendTable!, mr.Umem.SgtAppendSgl, mr.Umem.SgtAppendNents, mr.PageSize);
                while (RdmaBlockIter.Next(biter))
                {
                    mr.Mtt[i++] = RdmaBlockIter.DmaAddress(biter).Raw | MlxMttPresent;   // cpu_to_be64(... | MLX5_IB_MTT_PRESENT)
                }

                return 0;
            }

            // mlx5_ib_dmabuf_invalidate_cb
            private static void DmabufInvalidateCb(DmaBufAttachment attach)
            {
                var umemDmabuf = (IbUmemDmabuf)attach.ImporterPriv!;
                var mr = (Mlx5IbMr?)umemDmabuf.Private;

                // dma_resv_assert_held(umem_dmabuf->attach->dmabuf->resv)
                if (umemDmabuf.Sgt is null || mr is null)
                {
                    return;
                }

                UmrUpdateMrPas(mr, zap: true);   // MLX5_IB_UPD_XLT_ZAP
                UmemDmabuf.UnmapPages(umemDmabuf);
            }

            // mlx5_ib_dmabuf_attach_ops
            public static readonly DmaBufImportOps DmabufAttachOps = new()
            {
                AllowPeer2Peer = true,
                MoveNotify = DmabufInvalidateCb,
            };

            // reg_user_mr_dmabuf (the dynamic, not pinned, case) and the page fault that maps on demand
            public static Mlx5IbMr? RegUserMrDmabuf(IbDevice device, ulong offset, ulong length, DmaBuffer dmabuf)
            {
                DmaResult<IbUmemDmabuf> umemDmabuf = UmemDmabuf.GetWithDmaDevice(device, device.DmaDevice, offset, length, dmabuf,
                    writable: true, DmabufAttachOps);
                if (umemDmabuf.Failed)
                {
                    return null;
                }

                var mr = new Mlx5IbMr { Umem = umemDmabuf.Value, Mtt = new ulong[(length + 4095) / 4096 + 1] };
                umemDmabuf.Value.Private = mr;
                return mr;
            }

            // pagefault_dmabuf_mr
            public static int PagefaultDmabufMr(Mlx5IbMr mr)
            {
                IbUmemDmabuf umemDmabuf = mr.Umem;
                int err;

                // dma_resv_lock(umem_dmabuf->attach->dmabuf->resv, NULL)
                err = UmemDmabuf.MapPages(umemDmabuf);
                if (err != 0)
                {
                    return err;
                }

                err = UmrUpdateMrPas(mr, zap: false);
                if (err != 0)
                {
                    UmemDmabuf.UnmapPages(umemDmabuf);
                }

                // dma_resv_unlock(umem_dmabuf->attach->dmabuf->resv)
                return err;
            }
        }
        """;

    // With the mainline vfio-pci exporter on the dma-buf core's helpers as the exporter.
    [Fact]
    public Task IbUmemDmabuf_Mlx5Importer_OfVfioPciDmaBuf_NoDiagnostic() => KernelVerify.RunAsync(
        IbUmem,
        UmemDmabuf,
        RdmaBlockIter,
        Mlx5Mr,
        MainlineVfioDmaBufTests.DmaBufMappingC,
        MainlineVfioDmaBufTests.VfioCore,
        MainlineVfioDmaBufTests.VfioDmaBufOps
            .Replace("%MAP%", MainlineVfioDmaBufTests.MapWithCoreHelper)
            .Replace("%UNMAP%", MainlineVfioDmaBufTests.UnmapWithCoreHelper),
        MainlineVfioDmaBufTests.VfioDmaBuf);

    // The importer alone.
    [Fact]
    public Task IbUmemDmabuf_Mlx5Importer_NoDiagnostic() => KernelVerify.RunAsync(IbUmem, UmemDmabuf, RdmaBlockIter, Mlx5Mr);
}
