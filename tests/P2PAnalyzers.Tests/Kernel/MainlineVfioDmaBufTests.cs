namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// vfio-pci's dma-buf exporter in current mainline (drivers/vfio/pci/vfio_pci_dmabuf.c, v7.0: the priv struct keeps
/// phys_vec, nr_ranges and the BAR's p2pdma provider; attach refuses importers without peer2peer; map is
/// dma_buf_phys_vec_to_sgt, unmap dma_buf_free_sgt; the feature ioctl fills phys_vec from pci_resource_start through
/// the pci_ops->get_dmabuf_phys hook, vfio_pci_core_get_dmabuf_phys, with pcim_p2pdma_provider; revoke is
/// dma_buf_move_notify; vfio_pci_dma_buf_iommufd_map hands phys_vec[0] to iommufd), the pcim_p2pdma_init of
/// vfio_pci_core_init_dev (drivers/vfio/pci/vfio_pci_core.c), and the dma-buf core's helpers themselves
/// (drivers/dma-buf/dma-buf-mapping.c: fill_sg_entry, calc_sg_nents, dma_buf_phys_vec_to_sgt, dma_buf_free_sgt).
/// Correct code: no diagnostic.
/// </summary>
public sealed class MainlineVfioDmaBufTests
{
    // drivers/dma-buf/dma-buf-mapping.c, written out with the library's pieces (pci_p2pdma_map_type,
    // pci_p2pdma_bus_addr_map, dma_iova_try_alloc/link/sync/destroy, dma_map_phys/dma_unmap_phys with DMA_ATTR_MMIO).
    internal const string DmaBufMappingC = """
        // struct dma_buf_dma
        sealed class DmaBufDma
        {
            public SgTable Sgt = null!;
            public DmaIovaState? State;
            public ulong Size;
        }

        static class DmaBufMappingC
        {
            private const ulong MaxSgEntSz = uint.MaxValue & ~(Paging.PageSize - 1);   // ALIGN_DOWN(UINT_MAX, PAGE_SIZE)

            // container_of(sgt, struct dma_buf_dma, sgt)
            private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SgTable, DmaBufDma> Containers = new();

            // fill_sg_entry: returns the next entry (sg_next), the table's Count past the last one
            private static int FillSgEntry(SgTable sgt, int sgl, ulong length, DmaAddr addr)
            {
                ulong len;

                while (length != 0)
                {
                    len = Math.Min(length, MaxSgEntSz);
                    length -= len;
                    // DMABUF abuses scatterlist to create a scatterlist that does not have any CPU list, only the DMA
                    // list. Always set the page related values to NULL to ensure importers can't use it.
                    sgt[sgl].SetPage(null, 0, 0);
                    sgt[sgl].DmaAddress = addr;
                    sgt[sgl].DmaLength = len;
                    addr += len;
                    // Unconditionally advance. On last segment, this becomes NULL
                    sgl++;
                }

                return sgl;
            }

            // calc_sg_nents
            private static uint CalcSgNents(DmaIovaState? state, IReadOnlyList<PhysRange> physVec, int nrRanges, ulong size)
            {
                uint nents = 0;

                if (state is null || !Dma.UseIova(state))
                {
                    for (int i = 0; i < nrRanges; i++)
                    {
                        ulong added = (physVec[i].Size + MaxSgEntSz - 1) / MaxSgEntSz;

                        if (nents + added > uint.MaxValue)   // check_add_overflow
                        {
                            return 0;
                        }

                        nents += (uint)added;
                    }
                }
                else
                {
                    // In IOVA case, there is only one SG entry which spans for whole IOVA address space, but we need
                    // to make sure that it fits sg->length, maybe we need more.
                    nents = (uint)((size + MaxSgEntSz - 1) / MaxSgEntSz);
                }

                return nents;
            }

            // dma_buf_phys_vec_to_sgt
            public static DmaResult<SgTable> PhysVecToSgt(DmaBufAttachment attach, P2PProvider? provider,
                IReadOnlyList<PhysRange> physVec, int nrRanges, ulong size, DmaDirection dir)
            {
                DmaBufDma dma;
                int sgl;
                ulong mappedLen = 0;
                uint nents;
                DmaAddr addr = default;
                int i = 0;
                DmaError ret;

                if (attach is null || attach.DmaBuf is null || provider is null)   // WARN_ON
                {
                    // This function is supposed to work on MMIO memory only
                    return DmaError.Invalid;
                }

                dma = new DmaBufDma();   // kzalloc_obj(*dma)

                switch (PciP2PDma.MapType(provider, attach.Device))
                {
                    case P2PMapType.BusAddr:
                        // There is no need in IOVA at all for this flow.
                        break;
                    case P2PMapType.ThruHostBridge:
                        dma.State = new DmaIovaState();   // kzalloc_obj(*dma->state)
                        Dma.IovaTryAlloc(attach.Device, dma.State, PhysAddr.FromRaw(0), size);
                        break;
                    default:
                        ret = DmaError.Invalid;
                        goto err_free_dma;
                }

                nents = CalcSgNents(dma.State, physVec, nrRanges, size);

                // sg_alloc_table will cleanly fail and return -EINVAL if nents == 0
                if (nents == 0)
                {
                    ret = DmaError.Invalid;
                    goto err_free_state;
                }

                dma.Sgt = SgTable.Alloc((int)nents);
                sgl = 0;

                for (i = 0; i < nrRanges; i++)
                {
                    if (dma.State is null)
                    {
                        addr = PciP2PDma.BusAddrMap(provider, physVec[i].Start);
                    }
                    else if (Dma.UseIova(dma.State))
                    {
                        ret = Dma.IovaLink(attach.Device, dma.State, physVec[i].Start, 0, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (ret != DmaError.None)
                        {
                            goto err_unmap_dma;
                        }

                        mappedLen += physVec[i].Size;
                    }
                    else
                    {
                        addr = Dma.MapPhys(attach.Device, physVec[i].Start, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (Dma.MappingError(attach.Device, addr))
                        {
                            ret = DmaError.NoMemory;   // ret = dma_mapping_error(attach->dev, addr)
                            goto err_unmap_dma;
                        }
                    }

                    if (dma.State is null || !Dma.UseIova(dma.State))
                    {
                        sgl = FillSgEntry(dma.Sgt, sgl, physVec[i].Size, addr);
                    }
                }

                if (dma.State is not null && Dma.UseIova(dma.State))
                {
                    // WARN_ON_ONCE(mapped_len != size)
                    ret = Dma.IovaSync(attach.Device, dma.State, 0, mappedLen);
                    if (ret != DmaError.None)
                    {
                        goto err_unmap_dma;
                    }

                    sgl = FillSgEntry(dma.Sgt, sgl, mappedLen, dma.State.Addr);
                }

                dma.Size = size;

                // No CPU list included: set orig_nents = 0 so others can detect this via SG table (use nents only).
                dma.Sgt.OrigNents = 0;

                // WARN_ON_ONCE(sgl): we allocated the correct number of entries in sg_alloc_table()
                Containers.Add(dma.Sgt, dma);
                return dma.Sgt;

            err_unmap_dma:
                if (i == 0 || dma.State is null)
                {
                    // Do nothing
                }
                else if (Dma.UseIova(dma.State))
                {
                    Dma.IovaDestroy(attach.Device, dma.State, mappedLen, dir, DmaAttrs.Mmio);
                }
                else
                {
                    foreach (Scatterlist s in dma.Sgt.DmaSegments)
                    {
                        Dma.UnmapPhys(attach.Device, s.DmaAddress, s.DmaLength, dir, DmaAttrs.Mmio);
                    }
                }

                // sg_free_table(&dma->sgt)
            err_free_state:
                dma.State = null;   // kfree(dma->state)
            err_free_dma:
                // kfree(dma)
                return ret;
            }

            // dma_buf_free_sgt
            public static void FreeSgt(DmaBufAttachment attach, SgTable sgt, DmaDirection dir)
            {
                if (!Containers.TryGetValue(sgt, out DmaBufDma? dma))
                {
                    throw new ArgumentException("not made by dma_buf_phys_vec_to_sgt", nameof(sgt));
                }

                if (dma.State is null)
                {
                    // Do nothing
                }
                else if (Dma.UseIova(dma.State))
                {
                    Dma.IovaDestroy(attach.Device, dma.State, dma.Size, dir, DmaAttrs.Mmio);
                }
                else
                {
                    foreach (Scatterlist s in sgt.DmaSegments)
                    {
                        Dma.UnmapPhys(attach.Device, s.DmaAddress, s.DmaLength, dir, DmaAttrs.Mmio);
                    }
                }

                // sg_free_table(sgt); kfree(dma->state); kfree(dma)
                Containers.Remove(sgt);
            }
        }
        """;

    // drivers/vfio/pci/vfio_pci_priv.h, include/linux/vfio_pci_core.h, include/uapi/linux/vfio.h: the types.
    internal const string VfioCore = """
        // struct vfio_region_dma_range
        struct VfioRegionDmaRange
        {
            public ulong Offset;
            public ulong Length;
        }

        // struct vfio_device_feature_dma_buf
        sealed class VfioDeviceFeatureDmaBuf
        {
            public uint RegionIndex;
            public int OpenFlags;
            public uint Flags;
            public uint NrRanges;
            public VfioRegionDmaRange[] DmaRanges = Array.Empty<VfioRegionDmaRange>();
        }

        delegate int GetDmabufPhysFn(VfioPciCoreDevice vdev, out P2PProvider? provider, uint regionIndex,
            PhysRange[] physVec, VfioRegionDmaRange[] dmaRanges, int nrRanges);

        // struct vfio_pci_device_ops
        sealed class VfioPciDeviceOps
        {
            public GetDmabufPhysFn? GetDmabufPhys;
        }

        // struct vfio_pci_core_device
        sealed class VfioPciCoreDevice
        {
            public PciDevice Pdev = null!;
            public VfioPciDeviceOps? PciOps;
            public List<VfioPciDmaBuf> Dmabufs = new();
            public bool MemoryEnabled = true;   // __vfio_pci_memory_enabled(vdev)
            public int Registrations;
        }

        // struct vfio_pci_dma_buf
        sealed class VfioPciDmaBuf
        {
            public DmaBuffer? Dmabuf;
            public VfioPciCoreDevice? Vdev;
            public ulong Size;
            public PhysRange[] PhysVec = Array.Empty<PhysRange>();
            public P2PProvider? Provider;
            public uint NrRanges;
            public bool Revoked;
        }
        """;

    // drivers/vfio/pci/vfio_pci_dmabuf.c: the dma_buf_ops (%MAP% / %UNMAP%: the helpers the map callbacks call).
    internal const string VfioDmaBufOps = """
        sealed class VfioPciDmabufOps : DmaBufOps
        {
            public static readonly VfioPciDmabufOps Instance = new();

            // vfio_pci_dma_buf_attach
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                var priv = (VfioPciDmaBuf)attachment.DmaBuf.Priv!;

                if (!attachment.Peer2Peer)
                {
                    return DmaError.NotSupported;
                }

                if (priv.Revoked)
                {
                    return DmaError.NoDevice;
                }

                return DmaError.None;
            }

            // vfio_pci_dma_buf_map
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                var priv = (VfioPciDmaBuf)attachment.DmaBuf.Priv!;

                // dma_resv_assert_held(priv->dmabuf->resv)
                if (priv.Revoked)
                {
                    return DmaError.NoDevice;
                }

                return %MAP%;
            }

            // vfio_pci_dma_buf_unmap
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
                %UNMAP%;
            }
        }
        """;

    internal const string MapWithCoreHelper =
        "DmaBufMappingC.PhysVecToSgt(attachment, priv.Provider, priv.PhysVec, (int)priv.NrRanges, priv.Size, dir)";

    internal const string UnmapWithCoreHelper = "DmaBufMappingC.FreeSgt(attachment, sgt, dir)";

    // drivers/vfio/pci/vfio_pci_dmabuf.c: the rest (phys_vec, provider, export, revoke, the iommufd interconnect), and
    // the pcim_p2pdma_init of vfio_pci_core_init_dev.
    internal const string VfioDmaBuf = """
        static class VfioPciDmabuf
        {
            private const uint VfioPciRomRegionIndex = 6;       // VFIO_PCI_ROM_REGION_INDEX
            private const ulong DmaIovaUseSwiotlb = 1UL << 63;   // DMA_IOVA_USE_SWIOTLB

            // vfio_pci_core_init_dev (the P2PDMA part)
            public static int CoreInitDev(VfioPciCoreDevice vdev)
            {
                int ret = (int)PciP2PDma.Init(vdev.Pdev);   // pcim_p2pdma_init(vdev->pdev)
                if (ret != 0 && ret != -95)
                {
                    return ret;
                }

                vdev.Dmabufs = new List<VfioPciDmaBuf>();   // INIT_LIST_HEAD(&vdev->dmabufs)
                vdev.PciOps = new VfioPciDeviceOps { GetDmabufPhys = CoreGetDmabufPhys };
                return 0;
            }

            // vfio_pci_dma_buf_release
            public static void Release(VfioPciDmaBuf priv)
            {
                // Either this or vfio_pci_dma_buf_cleanup() will remove from the list. The refcount prevents both.
                if (priv.Vdev is not null)
                {
                    priv.Vdev.Dmabufs.Remove(priv);
                    priv.Vdev.Registrations--;   // vfio_device_put_registration
                }

                priv.PhysVec = Array.Empty<PhysRange>();   // kfree(priv->phys_vec)
            }

            // vfio_pci_dma_buf_iommufd_map: the "private interconnect" giving iommufd the BAR's physical range
            public static int IommufdMap(DmaBufAttachment attachment, out PhysRange phys)
            {
                VfioPciDmaBuf priv;

                phys = default;
                // dma_resv_assert_held(attachment->dmabuf->resv)
                if (attachment.DmaBuf.Ops != VfioPciDmabufOps.Instance)
                {
                    return -95;
                }

                priv = (VfioPciDmaBuf)attachment.DmaBuf.Priv!;
                if (priv.Revoked)
                {
                    return -19;
                }

                // More than one range to iommufd will require proper DMABUF support
                if (priv.NrRanges != 1)
                {
                    return -95;
                }

                phys = priv.PhysVec[0];
                return 0;
            }

            // vfio_pci_core_fill_phys_vec
            public static int CoreFillPhysVec(PhysRange[] physVec, VfioRegionDmaRange[] dmaRanges, int nrRanges, PhysAddr start, ulong len)
            {
                ulong maxAddr = start.Raw + len;

                for (int i = 0; i < nrRanges; i++)
                {
                    ulong end;

                    if (dmaRanges[i].Length == 0)
                    {
                        return -22;
                    }

                    if (start.Raw + dmaRanges[i].Offset < start.Raw ||
                        start.Raw + dmaRanges[i].Offset + dmaRanges[i].Length < start.Raw + dmaRanges[i].Offset)   // check_add_overflow
                    {
                        return -75;
                    }

                    end = start.Raw + dmaRanges[i].Offset + dmaRanges[i].Length;
                    if (end > maxAddr)
                    {
                        return -22;
                    }

                    physVec[i] = new PhysRange(start + dmaRanges[i].Offset, dmaRanges[i].Length);
                }

                return 0;
            }

            // vfio_pci_core_get_dmabuf_phys
            public static int CoreGetDmabufPhys(VfioPciCoreDevice vdev, out P2PProvider? provider, uint regionIndex,
                PhysRange[] physVec, VfioRegionDmaRange[] dmaRanges, int nrRanges)
            {
                PciDevice pdev = vdev.Pdev;

                provider = PciP2PDma.Provider(pdev, (int)regionIndex);   // pcim_p2pdma_provider(pdev, region_index)
                if (provider is null)
                {
                    return -22;
                }

                return CoreFillPhysVec(physVec, dmaRanges, nrRanges,
                    pdev.Bar((int)regionIndex).CpuStart,   // pci_resource_start(pdev, region_index)
                    pdev.Bar((int)regionIndex).Size);      // pci_resource_len(pdev, region_index)
            }

            // validate_dmabuf_input
            private static int ValidateDmabufInput(VfioDeviceFeatureDmaBuf dmaBuf, VfioRegionDmaRange[] dmaRanges, out ulong lengthp)
            {
                ulong length = 0;

                lengthp = 0;
                for (int i = 0; i < dmaBuf.NrRanges; i++)
                {
                    ulong offset = dmaRanges[i].Offset;
                    ulong len = dmaRanges[i].Length;

                    if (len == 0 || !Paging.IsAligned(offset) || !Paging.IsAligned(len))
                    {
                        return -22;
                    }

                    if (length + len < length)   // check_add_overflow
                    {
                        return -22;
                    }

                    length += len;
                }

                // dma_iova_try_alloc() will WARN on if userspace proposes a size that is too big, eg with lots of ranges.
                if ((length & DmaIovaUseSwiotlb) != 0)
                {
                    return -22;
                }

                lengthp = length;
                return 0;
            }

            // vfio_device_try_get_registration
            private static bool TryGetRegistration(VfioPciCoreDevice vdev)
            {
                vdev.Registrations++;
                return true;
            }

            // dma_buf_fd: the fd that now owns the reference
            private static int DmaBufFd(DmaBuffer dmabuf, int flags) => 3;

            // vfio_pci_core_feature_dma_buf
            public static int CoreFeatureDmaBuf(VfioPciCoreDevice vdev, uint flags, VfioDeviceFeatureDmaBuf arg)
            {
                VfioRegionDmaRange[]? dmaRanges;
                VfioPciDmaBuf priv;
                ulong length;
                int ret;

                if (vdev.PciOps?.GetDmabufPhys is null)
                {
                    return -95;
                }

                // vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET, sizeof(get_dma_buf)); copy_from_user
                if (arg.NrRanges == 0 || arg.Flags != 0)
                {
                    return -22;
                }

                // For PCI the region_index is the BAR number like everything else.
                if (arg.RegionIndex >= VfioPciRomRegionIndex)
                {
                    return -19;
                }

                dmaRanges = (VfioRegionDmaRange[])arg.DmaRanges.Clone();   // memdup_array_user

                ret = ValidateDmabufInput(arg, dmaRanges, out length);
                if (ret != 0)
                {
                    goto err_free_ranges;
                }

                priv = new VfioPciDmaBuf();
                priv.PhysVec = new PhysRange[arg.NrRanges];

                priv.Vdev = vdev;
                priv.NrRanges = arg.NrRanges;
                priv.Size = length;
                ret = vdev.PciOps.GetDmabufPhys(vdev, out priv.Provider, arg.RegionIndex, priv.PhysVec, dmaRanges, (int)priv.NrRanges);
                if (ret != 0)
                {
                    goto err_free_phys;
                }

                dmaRanges = null;   // kfree(dma_ranges)

                if (!TryGetRegistration(vdev))
                {
                    ret = -19;
                    goto err_free_phys;
                }

                // exp_info.ops = &vfio_pci_dmabuf_ops; .size = priv->size; .flags = open_flags; .priv = priv
                priv.Dmabuf = DmaBuffer.Export(VfioPciDmabufOps.Instance, priv.Size, priv);

                // dma_buf_put() now frees priv
                priv.Revoked = !vdev.MemoryEnabled;
                vdev.Dmabufs.Add(priv);

                // dma_buf_fd() consumes the reference, when the file closes the dmabuf will be released.
                ret = DmaBufFd(priv.Dmabuf, arg.OpenFlags);
                if (ret < 0)
                {
                    goto err_dma_buf;
                }

                return ret;

            err_dma_buf:
                Release(priv);   // dma_buf_put(priv->dmabuf)
                return ret;
            err_free_phys:
                priv.PhysVec = Array.Empty<PhysRange>();   // kfree(priv->phys_vec); kfree(priv)
            err_free_ranges:
                dmaRanges = null;   // kfree(dma_ranges)
                return ret;
            }

            // vfio_pci_dma_buf_move
            public static void Move(VfioPciCoreDevice vdev, bool revoked)
            {
                foreach (VfioPciDmaBuf priv in vdev.Dmabufs.ToArray())
                {
                    if (priv.Revoked != revoked)
                    {
                        priv.Revoked = revoked;
                        priv.Dmabuf!.MoveNotify();   // dma_buf_move_notify(priv->dmabuf)
                    }
                }
            }

            // vfio_pci_dma_buf_cleanup
            public static void Cleanup(VfioPciCoreDevice vdev)
            {
                foreach (VfioPciDmaBuf priv in vdev.Dmabufs.ToArray())
                {
                    vdev.Dmabufs.Remove(priv);
                    priv.Vdev = null;
                    priv.Revoked = true;
                    priv.Dmabuf!.MoveNotify();
                    vdev.Registrations--;   // vfio_device_put_registration
                }
            }
        }
        """;

    // The exporter on the dma-buf core's helpers written out as drivers/dma-buf/dma-buf-mapping.c has them.
    [Fact]
    public Task VfioPciDmaBuf_WithDmaBufPhysVecToSgtAsInDmaBufMappingC_NoDiagnostic() => KernelVerify.RunAsync(
        DmaBufMappingC,
        VfioCore,
        VfioDmaBufOps.Replace("%MAP%", MapWithCoreHelper).Replace("%UNMAP%", UnmapWithCoreHelper),
        VfioDmaBuf);

    // The same exporter on the library's DmaBufMapping (the helpers as the library ships them).
    [Fact]
    public Task VfioPciDmaBuf_WithLibraryDmaBufMapping_NoDiagnostic() => KernelVerify.RunAsync(
        VfioCore,
        VfioDmaBufOps
            .Replace("%MAP%", "DmaBufMapping.PhysVecToSgt(attachment, priv.Provider!, priv.PhysVec, priv.Size, dir)")
            .Replace("%UNMAP%", "DmaBufMapping.FreeSgt(attachment, sgt, dir)"),
        VfioDmaBuf);
}
