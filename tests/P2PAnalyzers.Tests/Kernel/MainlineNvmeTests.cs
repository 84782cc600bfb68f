namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// nvme-pci's data path in current mainline (v7.0/7.1: the MMIO series "nvme-pci: unmap MMIO pages with appropriate
/// interface" with IOD_DATA_P2P / IOD_DATA_MMIO, plus 1bf86336e4b6 "nvme-pci: fix dma mapping leak on data setup
/// error" with nvme_unmap_iter), on the block layer's DMA iterator as block/blk-mq-dma.c and include/linux/blk-mq-dma.h
/// split it: blk_dma_map_iter_start classifies the first segment with pci_p2pdma_state, hands back
/// pci_p2pdma_bus_addr_map for BUS_ADDR, maps with DMA_ATTR_MMIO for THRU_HOST_BRIDGE (IOVA link or dma_map_phys);
/// blk_rq_dma_unmap(..., map) returns true for BUS_ADDR. nvme_map_data turns iter.p2pdma.map into iod flags,
/// nvme_pci_setup_data_prp / _sgl keep the addresses (dma_vecs or the SGL descriptors), nvme_unmap_data maps the flags
/// back to a map type and DMA_ATTR_MMIO and unmaps only when blk_rq_dma_unmap says so. Correct code: no diagnostic.
/// </summary>
public sealed class MainlineNvmeTests
{
    // include/linux/blk-mq.h, include/linux/blk-mq-dma.h: the request, the iterators, blk_status_t.
    internal const string BlkTypes = """
        enum BlkStatus
        {
            Ok = 0,          // BLK_STS_OK
            Resource = 9,    // BLK_STS_RESOURCE
            IoErr = 10,      // BLK_STS_IOERR
            Again = 12,      // BLK_STS_AGAIN
            Inval = 13,      // BLK_STS_INVAL
        }

        // struct bio_vec
        sealed class BioVec
        {
            public Page Page = null!;
            public ulong Len;
            public ulong Offset;
        }

        // struct request, with what the driver reads of it
        sealed class Request
        {
            public BioVec[] Bvecs = Array.Empty<BioVec>();
            public DmaDirection Dir;            // rq_dma_dir(req)
            public int NrPhysSegments;          // blk_rq_nr_phys_segments(req)
            public ulong PayloadBytes;          // blk_rq_payload_bytes(req)
            public ulong PhysGapMask;           // req_phys_gap_mask(req)
            public ulong MaxSegmentSize = 1UL << 32;
            public bool UserCmd;                // nvme_req(req)->flags & NVME_REQ_USERCMD
            public object DriverData = null!;   // req->mq_hctx->driver_data
            public object Pdu = null!;          // blk_mq_rq_to_pdu(req)
        }

        // struct phys_vec
        struct PhysVec
        {
            public PhysAddr Paddr;
            public ulong Len;
        }

        // struct blk_map_iter: where in the bvecs the walk is
        sealed class BlkMapIter
        {
            public int Idx;          // bi_idx
            public ulong BvecDone;   // bi_bvec_done
            public ulong Size;       // bi_size
        }

        // struct blk_dma_iter
        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public uint Len;
            public P2PMapState P2PDma = new();
            public BlkStatus Status;
            public BlkMapIter Iter = new();
        }
        """;

    // block/blk-mq-dma.c and the inline blk_rq_dma_unmap / blk_rq_dma_map_coalesce of include/linux/blk-mq-dma.h.
    internal const string BlkMqDma = """
        static class BlkMqDma
        {
            // bvec_iter_advance_single
            private static void Advance(Request req, BlkMapIter iter, ulong bytes)
            {
                iter.BvecDone += bytes;
                iter.Size -= bytes;
                if (iter.BvecDone == req.Bvecs[iter.Idx].Len)
                {
                    iter.Idx++;
                    iter.BvecDone = 0;
                }
            }

            // biovec_phys_mergeable
            private static bool BiovecPhysMergeable(PhysAddr end, BioVec next) => end == next.Page.Phys + next.Offset;

            // blk_map_iter_next
            private static bool MapIterNext(Request req, BlkMapIter iter, out PhysVec vec)
            {
                vec = default;
                if (iter.Size == 0)
                {
                    return false;
                }

                BioVec bv = req.Bvecs[iter.Idx];
                vec.Paddr = bv.Page.Phys + bv.Offset + iter.BvecDone;   // bvec_phys(&bv)
                ulong maxSize = Math.Min(req.MaxSegmentSize, uint.MaxValue);   // get_max_segment_size
                ulong len = Math.Min(bv.Len - iter.BvecDone, maxSize);
                Advance(req, iter, len);

                // If we are entirely done with this bi_io_vec entry, check if the next one could be merged into it.
                while (iter.Size == 0 || iter.BvecDone == 0)
                {
                    if (iter.Size == 0)
                    {
                        break;   // !__blk_map_iter_next(iter)
                    }

                    BioVec next = req.Bvecs[iter.Idx];
                    if (len + next.Len > maxSize || !BiovecPhysMergeable(vec.Paddr + len, next))
                    {
                        break;
                    }

                    len += next.Len;
                    Advance(req, iter, next.Len);
                }

                vec.Len = len;
                return true;
            }

            // dma_get_merge_boundary: the IOMMU granule - 1, 0 for dma-direct
            private static ulong DmaGetMergeBoundary(PciDevice dev) => dev.IommuDomain is null ? 0 : Paging.PageSize - 1;

            // dma_need_unmap: true behind an IOMMU (or with CONFIG_DMA_API_DEBUG)
            public static bool DmaNeedUnmap(PciDevice dev) => dev.IommuDomain is not null || dev.Topology.DmaDebug.Enabled;

            // blk_can_dma_map_iova
            private static bool CanDmaMapIova(Request req, PciDevice dmaDev) => (req.PhysGapMask & DmaGetMergeBoundary(dmaDev)) == 0;

            // errno_to_blk_status
            private static BlkStatus ErrnoToBlkStatus(DmaError error) => error == DmaError.NoMemory ? BlkStatus.Resource : BlkStatus.IoErr;

            // blk_dma_map_bus
            private static bool DmaMapBus(BlkDmaIter iter, PhysVec vec)
            {
                iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, vec.Paddr);
                iter.Len = (uint)vec.Len;
                return true;
            }

            // blk_dma_map_direct
            private static bool DmaMapDirect(Request req, PciDevice dmaDev, BlkDmaIter iter, PhysVec vec)
            {
                DmaAttrs attrs = DmaAttrs.None;

                if (iter.P2PDma.Map == P2PMapType.ThruHostBridge)
                {
                    attrs |= DmaAttrs.Mmio;
                }

                iter.Addr = Dma.MapPhys(dmaDev, vec.Paddr, vec.Len, req.Dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = BlkStatus.Resource;
                    return false;
                }

                iter.Len = (uint)vec.Len;
                return true;
            }

            // blk_rq_dma_map_iova
            private static bool RqDmaMapIova(Request req, PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter, PhysVec vec)
            {
                DmaDirection dir = req.Dir;
                DmaAttrs attrs = DmaAttrs.None;
                ulong mapped = 0;
                DmaError error;

                iter.Addr = state.Addr;
                iter.Len = (uint)state.Size;   // dma_iova_size(state)

                if (iter.P2PDma.Map == P2PMapType.ThruHostBridge)
                {
                    attrs |= DmaAttrs.Mmio;
                }

                do
                {
                    error = Dma.IovaLink(dmaDev, state, vec.Paddr, mapped, vec.Len, dir, attrs);
                    if (error != DmaError.None)
                    {
                        break;
                    }

                    mapped += vec.Len;
                }
                while (MapIterNext(req, iter.Iter, out vec));

                error = Dma.IovaSync(dmaDev, state, 0, mapped);
                if (error != DmaError.None)
                {
                    iter.Status = ErrnoToBlkStatus(error);
                    return false;
                }

                return true;
            }

            // blk_rq_map_iter_init
            private static void RqMapIterInit(Request rq, BlkMapIter iter)
            {
                iter.Idx = 0;
                iter.BvecDone = 0;
                iter.Size = 0;
                foreach (BioVec bv in rq.Bvecs)
                {
                    iter.Size += bv.Len;
                }
            }

            // blk_dma_map_iter_start
            private static bool DmaMapIterStart(Request req, PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter, ulong totalLen)
            {
                iter.P2PDma = new P2PMapState();   // memset(&iter->p2pdma, 0, ...); map = PCI_P2PDMA_MAP_NONE
                iter.Status = BlkStatus.Ok;

                // Grab the first segment ASAP because we'll need it to check for P2P transfers.
                if (!MapIterNext(req, iter.Iter, out PhysVec vec))
                {
                    return false;
                }

                switch (PciP2PDma.State(iter.P2PDma, dmaDev, dmaDev.Topology.Memory.PhysToPage(vec.Paddr)))
                {
                    case P2PMapType.BusAddr:
                        return DmaMapBus(iter, vec);
                    case P2PMapType.ThruHostBridge:
                    // P2P transfers through the host bridge are treated the same as non-P2P transfers below and during unmap.
                    case P2PMapType.None:
                        break;
                    default:
                        iter.Status = BlkStatus.Inval;
                        return false;
                }

                if (CanDmaMapIova(req, dmaDev) && Dma.IovaTryAlloc(dmaDev, state, vec.Paddr, totalLen))
                {
                    return RqDmaMapIova(req, dmaDev, state, iter, vec);
                }

                // memset(state, 0, sizeof(*state)): a failed dma_iova_try_alloc already left state->size at 0
                return DmaMapDirect(req, dmaDev, iter, vec);
            }

            // blk_rq_dma_map_iter_start
            public static bool RqDmaMapIterStart(Request req, PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter)
            {
                RqMapIterInit(req, iter.Iter);
                return DmaMapIterStart(req, dmaDev, state, iter, req.PayloadBytes);
            }

            // blk_rq_dma_map_iter_next
            public static bool RqDmaMapIterNext(Request req, PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter)
            {
                if (!MapIterNext(req, iter.Iter, out PhysVec vec))
                {
                    return false;
                }

                if (iter.P2PDma.Map == P2PMapType.BusAddr)
                {
                    return DmaMapBus(iter, vec);
                }

                return DmaMapDirect(req, dmaDev, iter, vec);
            }

            // blk_rq_dma_map_coalesce
            public static bool RqDmaMapCoalesce(DmaIovaState state) => Dma.UseIova(state);

            %RQ_DMA_UNMAP%
        }
        """;

    // drivers/nvme/host/pci.c: struct nvme_iod and its flags, the queue, the command's data pointer, descriptor memory.
    internal const string NvmeIod = """
        // bits for iod->flags
        [Flags]
        enum NvmeIodFlags : byte
        {
            None = 0,
            Aborted = 1 << 0,             // IOD_ABORTED
            SmallDescriptor = 1 << 1,     // IOD_SMALL_DESCRIPTOR
            SingleSegment = 1 << 2,       // IOD_SINGLE_SEGMENT
            DataP2P = 1 << 3,             // IOD_DATA_P2P
            MetaP2P = 1 << 4,             // IOD_META_P2P
            DataMmio = 1 << 5,            // IOD_DATA_MMIO
            MetaMmio = 1 << 6,            // IOD_META_MMIO
            SingleMetaSegment = 1 << 7,   // IOD_SINGLE_META_SEGMENT
        }

        enum NvmeUseSgl
        {
            Unsupported,   // SGL_UNSUPPORTED
            Supported,     // SGL_SUPPORTED
            Forced,        // SGL_FORCED
        }

        struct NvmeDmaVec
        {
            public DmaAddr Addr;
            public uint Len;
        }

        // struct nvme_sgl_desc, as the controller reads it (__le64 addr, __le32 length, u8 type)
        sealed class NvmeSglDesc
        {
            public ulong Addr;
            public uint Length;
            public byte Type;
        }

        // union nvme_data_ptr: prp1 and sgl.addr are the same bytes
        sealed class NvmeDataPtr
        {
            public NvmeSglDesc Sgl = new();
            public ulong Prp1 { get => Sgl.Addr; set => Sgl.Addr = value; }
            public ulong Prp2;
        }

        // struct nvme_common_command: flags and dptr
        sealed class NvmeCommand
        {
            public byte Flags;
            public NvmeDataPtr Dptr = new();
        }

        // struct nvme_iod
        sealed class NvmeIod
        {
            public NvmeCommand Cmd = new();
            public NvmeIodFlags Flags;
            public int NrDescriptors;
            public ulong TotalLen;
            public DmaIovaState DmaState = new();
            public KernelBuffer?[] Descriptors = new KernelBuffer?[5];   // NVME_MAX_NR_DESCRIPTORS
            public NvmeDmaVec[]? DmaVecs;
            public int NrDmaVecs;
        }

        // dev->dmavec_mempool
        sealed class DmavecMempool
        {
            public int Segments = 128;
            public NvmeDmaVec[]? Alloc() => new NvmeDmaVec[Segments];   // mempool_alloc(GFP_ATOMIC)
            public void Free(NvmeDmaVec[]? vecs) { }
        }

        sealed class NvmeDev
        {
            public PciDevice Dev = null!;
            public bool SglSupported;                // nvme_ctrl_sgl_supported(&dev->ctrl)
            public DmavecMempool DmavecMempool = new();
        }

        sealed class NvmeDescriptorPools
        {
            public DmaPool Small = null!;   // NVME_SMALL_POOL_SIZE
            public DmaPool Large = null!;   // NVME_CTRL_PAGE_SIZE
        }

        // struct nvme_queue
        sealed class NvmeQueue
        {
            public NvmeDev Dev = null!;
            public ushort Qid;
            public NvmeDescriptorPools DescriptorPools = new();
        }

        // le64 / SGL descriptor accessors of the descriptor memory (prp_list[i], sg_list[i])
        static class Le
        {
            public static void Write64(KernelBuffer buf, int index, ulong value) => buf.Write((ulong)index * 8, BitConverter.GetBytes(value));

            public static ulong Read64(KernelBuffer buf, int index) => BitConverter.ToUInt64(buf.Read((ulong)index * 8, 8), 0);

            public static void WriteSgl(KernelBuffer buf, int index, NvmeSglDesc sge)
            {
                var bytes = new byte[16];
                BitConverter.GetBytes(sge.Addr).CopyTo(bytes, 0);
                BitConverter.GetBytes(sge.Length).CopyTo(bytes, 8);
                bytes[15] = sge.Type;
                buf.Write((ulong)index * 16, bytes);
            }

            public static NvmeSglDesc ReadSgl(KernelBuffer buf, int index)
            {
                byte[] bytes = buf.Read((ulong)index * 16, 16);
                return new NvmeSglDesc { Addr = BitConverter.ToUInt64(bytes, 0), Length = BitConverter.ToUInt32(bytes, 8), Type = bytes[15] };
            }
        }
        """;

    // drivers/nvme/host/pci.c: the unmap side (nvme_free_descriptors, nvme_free_prps, nvme_free_sgls, nvme_unmap_data)
    // and nvme_pci_complete_rq.
    internal const string NvmeUnmap = """
        static partial class NvmePci
        {
            public const ulong CtrlPageSize = 4096;        // NVME_CTRL_PAGE_SIZE
            public const ulong SmallPoolSize = 256;        // NVME_SMALL_POOL_SIZE
            public const byte SglFmtDataDesc = 0x0;        // NVME_SGL_FMT_DATA_DESC
            public const byte SglFmtLastSegDesc = 0x3;     // NVME_SGL_FMT_LAST_SEG_DESC
            public const byte CmdSglMetabuf = 1 << 6;      // NVME_CMD_SGL_METABUF
            public const byte CmdSglMetaseg = 1 << 7;      // NVME_CMD_SGL_METASEG

            // nvme_dma_pool
            private static DmaPool NvmeDmaPool(NvmeQueue nvmeq, NvmeIod iod)
            {
                if ((iod.Flags & NvmeIodFlags.SmallDescriptor) != 0)
                {
                    return nvmeq.DescriptorPools.Small;
                }

                return nvmeq.DescriptorPools.Large;
            }

            // nvme_pci_cmd_use_sgl
            private static bool CmdUseSgl(NvmeCommand cmd) => (cmd.Flags & (CmdSglMetabuf | CmdSglMetaseg)) != 0;

            // nvme_pci_first_desc_dma_addr
            private static DmaAddr FirstDescDmaAddr(NvmeCommand cmd)
            {
                if (CmdUseSgl(cmd))
                {
                    return DmaAddr.FromRaw(cmd.Dptr.Sgl.Addr);
                }

                return DmaAddr.FromRaw(cmd.Dptr.Prp2);
            }

            // nvme_free_descriptors
            private static void FreeDescriptors(Request req)
            {
                var nvmeq = (NvmeQueue)req.DriverData;
                const int lastPrp = (int)(CtrlPageSize / 8 - 1);
                var iod = (NvmeIod)req.Pdu;
                DmaAddr dmaAddr = FirstDescDmaAddr(iod.Cmd);

                if (iod.NrDescriptors == 1)
                {
                    NvmeDmaPool(nvmeq, iod).Free(iod.Descriptors[0]!, dmaAddr);
                    return;
                }

                for (int i = 0; i < iod.NrDescriptors; i++)
                {
                    KernelBuffer prpList = iod.Descriptors[i]!;
                    DmaAddr nextDmaAddr = DmaAddr.FromRaw(Le.Read64(prpList, lastPrp));

                    nvmeq.DescriptorPools.Large.Free(prpList, dmaAddr);
                    dmaAddr = nextDmaAddr;
                }
            }

            // nvme_free_prps
            private static void FreePrps(Request req, DmaAttrs attrs)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;

                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    Dma.UnmapPhys(nvmeq.Dev.Dev, iod.DmaVecs![i].Addr, iod.DmaVecs[i].Len, req.Dir, attrs);
                }

                nvmeq.Dev.DmavecMempool.Free(iod.DmaVecs);
            }

            // nvme_free_sgls
            private static void FreeSgls(Request req, NvmeSglDesc sge, KernelBuffer? sgList, DmaAttrs attrs)
            {
                var nvmeq = (NvmeQueue)req.DriverData;
                DmaDirection dir = req.Dir;
                uint len = sge.Length;
                PciDevice dmaDev = nvmeq.Dev.Dev;

                if (sge.Type == (SglFmtDataDesc << 4))
                {
                    Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(sge.Addr), len, dir, attrs);
                    return;
                }

                for (int i = 0; i < len / 16; i++)
                {
                    NvmeSglDesc entry = Le.ReadSgl(sgList!, i);
                    Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(entry.Addr), entry.Length, dir, attrs);
                }
            }

            %UNMAP_DATA%

            // nvme_pci_complete_rq (the data part)
            public static void CompleteRq(Request req)
            {
                if (req.NrPhysSegments != 0)
                {
                    UnmapData(req);
                }
            }
        }
        """;

    // drivers/nvme/host/pci.c: the map side (nvme_map_data and its setup helpers) and nvme_prep_rq.
    internal const string NvmeMap = """
        static partial class NvmePci
        {
            public static uint SglThreshold = 32 * 1024;   // sgl_threshold

            // nvme_pci_use_sgls
            private static NvmeUseSgl UseSgls(NvmeDev dev, Request req)
            {
                var nvmeq = (NvmeQueue)req.DriverData;

                if (nvmeq.Qid != 0 && dev.SglSupported)
                {
                    if ((req.PhysGapMask & (CtrlPageSize - 1)) != 0 || req.UserCmd)
                    {
                        return NvmeUseSgl.Forced;
                    }

                    return NvmeUseSgl.Supported;
                }

                return NvmeUseSgl.Unsupported;
            }

            // nvme_pci_avg_seg_size
            private static ulong AvgSegSize(Request req)
            {
                var iod = (NvmeIod)req.Pdu;
                ulong nseg;

                if (BlkMqDma.RqDmaMapCoalesce(iod.DmaState))
                {
                    nseg = 1;
                }
                else
                {
                    nseg = (ulong)req.NrPhysSegments;
                }

                return (req.PayloadBytes + nseg - 1) / nseg;
            }

            // nvme_pci_prp_save_mapping
            private static bool PrpSaveMapping(Request req, PciDevice dmaDev, BlkDmaIter iter)
            {
                var iod = (NvmeIod)req.Pdu;

                if (Dma.UseIova(iod.DmaState) || !BlkMqDma.DmaNeedUnmap(dmaDev))
                {
                    return true;
                }

                if (iod.NrDmaVecs == 0)
                {
                    var nvmeq = (NvmeQueue)req.DriverData;

                    iod.DmaVecs = nvmeq.Dev.DmavecMempool.Alloc();
                    if (iod.DmaVecs is null)
                    {
                        iter.Status = BlkStatus.Resource;
                        return false;
                    }
                }

                iod.DmaVecs![iod.NrDmaVecs].Addr = iter.Addr;
                iod.DmaVecs[iod.NrDmaVecs].Len = iter.Len;
                iod.NrDmaVecs++;
                return true;
            }

            // nvme_pci_prp_iter_next
            private static bool PrpIterNext(Request req, PciDevice dmaDev, BlkDmaIter iter)
            {
                var iod = (NvmeIod)req.Pdu;

                if (iter.Len != 0)
                {
                    return true;
                }

                if (!BlkMqDma.RqDmaMapIterNext(req, dmaDev, iod.DmaState, iter))
                {
                    return false;
                }

                return PrpSaveMapping(req, dmaDev, iter);
            }

            %UNMAP_ITER%

            // nvme_pci_setup_data_prp
            private static BlkStatus SetupDataPrp(Request req, BlkDmaIter iter)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                ulong length = req.PayloadBytes;
                DmaAddr prp1Dma;
                DmaAddr prp2Dma = DmaAddr.FromRaw(0);
                ulong prpLen;
                int i;
                KernelBuffer? prpList;

                if (!PrpSaveMapping(req, nvmeq.Dev.Dev, iter))
                {
                    %UNMAP_ITER_CALL%
                    return iter.Status;
                }

                // PRP1 always points to the start of the DMA transfers; the only PRP (except the list entries) that
                // could be non-aligned.
                prp1Dma = iter.Addr;
                prpLen = Math.Min(length, CtrlPageSize - (iter.Addr.Raw & (CtrlPageSize - 1)));
                iod.TotalLen += prpLen;
                iter.Addr += prpLen;
                iter.Len -= (uint)prpLen;
                length -= prpLen;
                if (length == 0)
                {
                    goto done;
                }

                if (!PrpIterNext(req, nvmeq.Dev.Dev, iter))
                {
                    if (iter.Status == BlkStatus.Ok)   // WARN_ON_ONCE(!iter->status)
                    {
                        goto bad_sgl;
                    }

                    goto done;
                }

                // PRP2 is usually a list, but can point to data if all data to be transferred fits into PRP1 + PRP2.
                if (length <= CtrlPageSize)
                {
                    prp2Dma = iter.Addr;
                    iod.TotalLen += length;
                    goto done;
                }

                if ((length + CtrlPageSize - 1) / CtrlPageSize <= SmallPoolSize / 8)
                {
                    iod.Flags |= NvmeIodFlags.SmallDescriptor;
                }

                prpList = NvmeDmaPool(nvmeq, iod).Alloc(out prp2Dma);
                if (prpList is null)
                {
                    iter.Status = BlkStatus.Resource;
                    goto done;
                }

                iod.Descriptors[iod.NrDescriptors++] = prpList;

                i = 0;
                for (;;)
                {
                    Le.Write64(prpList, i++, iter.Addr.Raw);
                    prpLen = Math.Min(length, CtrlPageSize);
                    if (iter.Len < prpLen)   // WARN_ON_ONCE
                    {
                        goto bad_sgl;
                    }

                    iod.TotalLen += prpLen;
                    iter.Addr += prpLen;
                    iter.Len -= (uint)prpLen;
                    length -= prpLen;
                    if (length == 0)
                    {
                        break;
                    }

                    if (!PrpIterNext(req, nvmeq.Dev.Dev, iter))
                    {
                        if (iter.Status == BlkStatus.Ok)
                        {
                            goto bad_sgl;
                        }

                        goto done;
                    }

                    // If we've filled the entire descriptor, allocate a new one pointed to by the last entry of the
                    // previous PRP list, and move the last actual entry to the new descriptor.
                    if (i == (int)(CtrlPageSize >> 3))
                    {
                        KernelBuffer oldPrpList = prpList;

                        prpList = nvmeq.DescriptorPools.Large.Alloc(out DmaAddr prpListDma);
                        if (prpList is null)
                        {
                            iter.Status = BlkStatus.Resource;
                            goto done;
                        }

                        iod.Descriptors[iod.NrDescriptors++] = prpList;
                        Le.Write64(prpList, 0, Le.Read64(oldPrpList, i - 1));
                        Le.Write64(oldPrpList, i - 1, prpListDma.Raw);
                        i = 1;
                    }
                }

            done:
                // nvme_unmap_data uses the DPT field in the SQE to tear down the mapping, so initialize it even for failures.
                iod.Cmd.Dptr.Prp1 = prp1Dma.Raw;
                iod.Cmd.Dptr.Prp2 = prp2Dma.Raw;
                if (iter.Status != BlkStatus.Ok)
                {
                    UnmapData(req);
                }

                return iter.Status;

            bad_sgl:
                // dev_err_once(... "Incorrectly formed request for payload:%d nents:%d\n" ...)
                UnmapData(req);
                return BlkStatus.IoErr;
            }

            // nvme_pci_sgl_set_data
            private static NvmeSglDesc SglSetData(NvmeSglDesc sge, BlkDmaIter iter)
            {
                sge.Addr = iter.Addr.Raw;
                sge.Length = iter.Len;
                sge.Type = SglFmtDataDesc << 4;
                return sge;
            }

            // nvme_pci_sgl_set_seg
            private static void SglSetSeg(NvmeSglDesc sge, DmaAddr dmaAddr, int entries)
            {
                sge.Addr = dmaAddr.Raw;
                sge.Length = (uint)(entries * 16);
                sge.Type = SglFmtLastSegDesc << 4;
            }

            // nvme_pci_setup_data_sgl
            private static BlkStatus SetupDataSgl(Request req, BlkDmaIter iter)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                int entries = req.NrPhysSegments;
                KernelBuffer? sgList;
                DmaAddr sglDma;
                int mapped = 0;

                // set the transfer type as SGL
                iod.Cmd.Flags = CmdSglMetabuf;

                if (entries == 1 || BlkMqDma.RqDmaMapCoalesce(iod.DmaState))
                {
                    SglSetData(iod.Cmd.Dptr.Sgl, iter);
                    iod.TotalLen += iter.Len;
                    return BlkStatus.Ok;
                }

                if ((ulong)entries <= SmallPoolSize / 16)
                {
                    iod.Flags |= NvmeIodFlags.SmallDescriptor;
                }

                sgList = NvmeDmaPool(nvmeq, iod).Alloc(out sglDma);
                if (sgList is null)
                {
                    %UNMAP_ITER_CALL%
                    return BlkStatus.Resource;
                }

                iod.Descriptors[iod.NrDescriptors++] = sgList;

                do
                {
                    if (mapped == entries)   // WARN_ON_ONCE
                    {
                        iter.Status = BlkStatus.IoErr;
                        break;
                    }

                    Le.WriteSgl(sgList, mapped++, SglSetData(new NvmeSglDesc(), iter));
                    iod.TotalLen += iter.Len;
                }
                while (BlkMqDma.RqDmaMapIterNext(req, nvmeq.Dev.Dev, iod.DmaState, iter));

                SglSetSeg(iod.Cmd.Dptr.Sgl, sglDma, mapped);
                if (iter.Status != BlkStatus.Ok)
                {
                    UnmapData(req);
                }

                return iter.Status;
            }

            // nvme_pci_setup_data_simple
            private static BlkStatus SetupDataSimple(Request req, NvmeUseSgl useSgl)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                BioVec bv = req.Bvecs[0];   // req_bvec(req)
                ulong prp1Offset = bv.Offset & (CtrlPageSize - 1);
                bool prpPossible = prp1Offset + bv.Len <= CtrlPageSize * 2;
                DmaAddr dmaAddr;

                if (useSgl == NvmeUseSgl.Unsupported && !prpPossible)
                {
                    return BlkStatus.Again;
                }

                if (bv.Page.IsP2P)   // is_pci_p2pdma_page(bv.bv_page)
                {
                    return BlkStatus.Again;
                }

                dmaAddr = Dma.MapPage(nvmeq.Dev.Dev, bv.Page, bv.Offset, bv.Len, req.Dir);   // dma_map_bvec
                if (Dma.MappingError(nvmeq.Dev.Dev, dmaAddr))
                {
                    return BlkStatus.Resource;
                }

                iod.TotalLen = bv.Len;
                iod.Flags |= NvmeIodFlags.SingleSegment;

                if (useSgl == NvmeUseSgl.Forced || !prpPossible)
                {
                    iod.Cmd.Flags = CmdSglMetabuf;
                    iod.Cmd.Dptr.Sgl.Addr = dmaAddr.Raw;
                    iod.Cmd.Dptr.Sgl.Length = (uint)bv.Len;
                    iod.Cmd.Dptr.Sgl.Type = SglFmtDataDesc << 4;
                }
                else
                {
                    ulong firstPrpLen = CtrlPageSize - prp1Offset;

                    iod.Cmd.Dptr.Prp1 = dmaAddr.Raw;
                    iod.Cmd.Dptr.Prp2 = 0;
                    if (bv.Len > firstPrpLen)
                    {
                        iod.Cmd.Dptr.Prp2 = (dmaAddr + firstPrpLen).Raw;
                    }
                }

                return BlkStatus.Ok;
            }

            // nvme_map_data
            private static BlkStatus MapData(Request req)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                NvmeDev dev = nvmeq.Dev;
                NvmeUseSgl useSgl = UseSgls(dev, req);
                var iter = new BlkDmaIter();
                BlkStatus ret;

                // Try to skip the DMA iterator for single segment requests, as that significantly improves
                // performances for small I/O sizes.
                if (req.NrPhysSegments == 1)
                {
                    ret = SetupDataSimple(req, useSgl);
                    if (ret != BlkStatus.Again)
                    {
                        return ret;
                    }
                }

                if (!BlkMqDma.RqDmaMapIterStart(req, dev.Dev, iod.DmaState, iter))
                {
                    return iter.Status;
                }

                %MAP_FLAGS%
                if (useSgl == NvmeUseSgl.Forced ||
                    (useSgl == NvmeUseSgl.Supported && SglThreshold != 0 && AvgSegSize(req) >= SglThreshold))
                {
                    return SetupDataSgl(req, iter);
                }

                return SetupDataPrp(req, iter);
            }

            // nvme_prep_rq (the data part): nvme_iod fields reset, then nvme_map_data
            public static BlkStatus PrepRq(Request req)
            {
                var iod = (NvmeIod)req.Pdu;

                iod.Flags = NvmeIodFlags.None;
                iod.NrDescriptors = 0;
                iod.TotalLen = 0;
                iod.NrDmaVecs = 0;

                if (req.NrPhysSegments != 0)
                {
                    BlkStatus ret = MapData(req);
                    if (ret != BlkStatus.Ok)
                    {
                        return ret;
                    }
                }

                return BlkStatus.Ok;
            }
        }
        """;

    internal const string RqDmaUnmapV7 = """
            // blk_rq_dma_unmap: false if the caller must unmap every segment itself, true if nothing is left to do
            public static bool RqDmaUnmap(Request req, PciDevice dmaDev, DmaIovaState state, ulong mappedLen, P2PMapType map)
            {
                if (map == P2PMapType.BusAddr)
                {
                    return true;
                }

                if (Dma.UseIova(state))
                {
                    DmaAttrs attrs = DmaAttrs.None;

                    if (map == P2PMapType.ThruHostBridge)
                    {
                        attrs |= DmaAttrs.Mmio;
                    }

                    Dma.IovaDestroy(dmaDev, state, mappedLen, req.Dir, attrs);
                    return true;
                }

                return !DmaNeedUnmap(dmaDev);
            }
        """;

    internal const string UnmapDataV7 = """
            // nvme_unmap_data
            private static void UnmapData(Request req)
            {
                P2PMapType map = P2PMapType.None;
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                PciDevice dmaDev = nvmeq.Dev.Dev;
                DmaAttrs attrs = DmaAttrs.None;

                if ((iod.Flags & NvmeIodFlags.SingleSegment) != 0)
                {
                    // static_assert(offsetof(union nvme_data_ptr, prp1) == offsetof(union nvme_data_ptr, sgl.addr))
                    Dma.UnmapPage(dmaDev, DmaAddr.FromRaw(iod.Cmd.Dptr.Prp1), iod.TotalLen, req.Dir);
                    return;
                }

                if ((iod.Flags & NvmeIodFlags.DataP2P) != 0)
                {
                    map = P2PMapType.BusAddr;
                }
                else if ((iod.Flags & NvmeIodFlags.DataMmio) != 0)
                {
                    map = P2PMapType.ThruHostBridge;
                    attrs |= DmaAttrs.Mmio;
                }

                if (!BlkMqDma.RqDmaUnmap(req, dmaDev, iod.DmaState, iod.TotalLen, map))
                {
                    if (CmdUseSgl(iod.Cmd))
                    {
                        FreeSgls(req, iod.Cmd.Dptr.Sgl, iod.Descriptors[0], attrs);
                    }
                    else
                    {
                        FreePrps(req, attrs);
                    }
                }

                if (iod.NrDescriptors != 0)
                {
                    FreeDescriptors(req);
                }
            }
        """;

    internal const string MapFlagsV7 = """
                switch (iter.P2PDma.Map)
                {
                    case P2PMapType.BusAddr:
                        iod.Flags |= NvmeIodFlags.DataP2P;
                        break;
                    case P2PMapType.ThruHostBridge:
                        iod.Flags |= NvmeIodFlags.DataMmio;
                        break;
                    case P2PMapType.None:
                        break;
                    default:
                        return BlkStatus.Resource;
                }
        """;

    internal const string UnmapIterV7 = """
            // nvme_unmap_iter: the segment the iterator holds, before the iod tracks it
            private static void UnmapIter(Request req, BlkDmaIter iter, DmaIovaState state)
            {
                var nvmeq = (NvmeQueue)req.DriverData;
                PciDevice dev = nvmeq.Dev.Dev;

                if (!BlkMqDma.RqDmaUnmap(req, dev, state, iter.Len, iter.P2PDma.Map))
                {
                    DmaAttrs attrs = DmaAttrs.None;

                    if (iter.P2PDma.Map == P2PMapType.ThruHostBridge)
                    {
                        attrs |= DmaAttrs.Mmio;
                    }

                    Dma.UnmapPhys(dev, iter.Addr, iter.Len, req.Dir, attrs);
                }
            }
        """;

    // The state after 7ce3c1dd78fca ("nvme-pci: convert the data mapping to blk_rq_dma_map", v6.17-rc1) and before the
    // p2p unmap fix that added IOD_P2P_BUS_ADDR and the map argument of blk_rq_dma_unmap (and before nvme_unmap_iter):
    // blk_rq_dma_unmap knew nothing of bus addresses, so a BUS_ADDR request whose segments nvme_pci_prp_save_mapping
    // kept (or the SGL descriptors hold) was unmapped by nvme_free_prps / nvme_free_sgls. The map side is kept as it is
    // now (DMA_ATTR_MMIO in blk_dma_map_direct came later; it does not change the bus-address path).
    internal const string RqDmaUnmapV617 = """
            // blk_rq_dma_unmap (v6.17-rc1): no peer-to-peer argument
            public static bool RqDmaUnmap(Request req, PciDevice dmaDev, DmaIovaState state, ulong mappedLen)
            {
                if (Dma.UseIova(state))
                {
                    Dma.IovaDestroy(dmaDev, state, mappedLen, req.Dir, DmaAttrs.None);
                    return true;
                }

                return !DmaNeedUnmap(dmaDev);
            }
        """;

    internal const string UnmapDataV617 = """
            // nvme_unmap_data (v6.17-rc1)
            private static void UnmapData(Request req)
            {
                var iod = (NvmeIod)req.Pdu;
                var nvmeq = (NvmeQueue)req.DriverData;
                PciDevice dmaDev = nvmeq.Dev.Dev;

                if ((iod.Flags & NvmeIodFlags.SingleSegment) != 0)
                {
                    Dma.UnmapPage(dmaDev, DmaAddr.FromRaw(iod.Cmd.Dptr.Prp1), iod.TotalLen, req.Dir);
                    return;
                }

                if (!BlkMqDma.RqDmaUnmap(req, dmaDev, iod.DmaState, iod.TotalLen))
                {
                    if (CmdUseSgl(iod.Cmd))
                    {
                        FreeSgls(req, iod.Cmd.Dptr.Sgl, iod.Descriptors[0], DmaAttrs.None);
                    }
                    else
                    {
                        FreePrps(req, DmaAttrs.None);
                    }
                }

                if (iod.NrDescriptors != 0)
                {
                    FreeDescriptors(req);
                }
            }
        """;

    private static string[] Files(string rqDmaUnmap, string unmapData, string mapFlags, string unmapIter, string unmapIterCall, string nvmeUnmap) =>
        new[]
        {
            BlkTypes,
            BlkMqDma.Replace("%RQ_DMA_UNMAP%", rqDmaUnmap.TrimStart()),
            NvmeIod,
            nvmeUnmap.Replace("%UNMAP_DATA%", unmapData.TrimStart()),
            NvmeMap.Replace("%MAP_FLAGS%", mapFlags.TrimStart())
                .Replace("%UNMAP_ITER%", unmapIter.TrimStart())
                .Replace("%UNMAP_ITER_CALL%", unmapIterCall),
        };

    [Fact]
    public Task NvmeMapData_UnmapData_OnBlkRqDmaMapIter_WithIodDataP2PAndMmio_NoDiagnostic() => KernelVerify.RunAsync(
        Files(RqDmaUnmapV7, UnmapDataV7, MapFlagsV7, UnmapIterV7, "UnmapIter(req, iter, iod.DmaState);", NvmeUnmap));

    // Known misses (MissedP2P0013): nvme_free_sgls unmaps addresses read back from the SGL descriptors in DMA memory
    // (le64_to_cpu, DmaAddr.FromRaw), which keeps no bus-address mark (docs/rules/P2P0013.md, known limits).
    [Fact]
    public Task NvmeUnmapData_V617_BlkRqDmaUnmapWithoutP2P_UnmapsBusAddresses_Reports() => KernelVerify.RunAsync(
        Files(RqDmaUnmapV617, UnmapDataV617, "// no p2p flags (v6.17-rc1)", "", "",
            NvmeUnmap
                .Replace("Dma.UnmapPhys(nvmeq.Dev.Dev, iod.DmaVecs![i].Addr, iod.DmaVecs[i].Len, req.Dir, attrs)",
                    "{|P2P0013:Dma.UnmapPhys(nvmeq.Dev.Dev, iod.DmaVecs![i].Addr, iod.DmaVecs[i].Len, req.Dir, attrs)|}")
                .Replace("Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(sge.Addr), len, dir, attrs)",
                    "{|MissedP2P0013:Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(sge.Addr), len, dir, attrs)|}")
                .Replace("Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(entry.Addr), entry.Length, dir, attrs)",
                    "{|MissedP2P0013:Dma.UnmapPhys(dmaDev, DmaAddr.FromRaw(entry.Addr), entry.Length, dir, attrs)|}")));
}
