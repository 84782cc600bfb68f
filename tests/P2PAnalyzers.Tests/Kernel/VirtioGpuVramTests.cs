namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// virtio-gpu's dma-buf export of host-visible VRAM, as added by "drm/virtio: support mapping exported vram"
/// (ea5ea3d8a117517a75c2af30faa399671444a1ea, David Stevens, v5.16) and unchanged in mainline since (the later edits are
/// <c>to_virtio_gpu_device()</c> and <c>kzalloc_obj</c>; Jason Gunthorpe's 2026 RFC "dma-buf: Convert all the simple
/// exporters to use SGT mapping type" only renames <c>attach-&gt;dev</c> to <c>dma_buf_sgt_dma_device(attach)</c>). No
/// fix of the habits below exists, so this is one version, not a before/after pair.
///
/// The chain, split as the kernel splits it:
/// <list type="bullet">
/// <item>drivers/virtio/virtio_pci_modern.c, <c>vp_get_shm_region</c>: the shared-memory region is
/// <c>pci_resource_start(pci_dev, bar) + offset</c> of the virtio-pci function's BAR named by the
/// VIRTIO_PCI_CAP_SHARED_MEMORY_CFG capability, reached through <c>vdev-&gt;config-&gt;get_shm_region</c>
/// (include/linux/virtio_config.h's <c>virtio_get_shm_region</c>);</item>
/// <item>drivers/gpu/drm/virtio/virtgpu_kms.c, <c>virtio_gpu_init</c>: the region is kept in
/// <c>vgdev-&gt;host_visible_region</c> and handed to <c>drm_mm_init(&amp;vgdev-&gt;host_visible_mm, addr, len)</c>, so the
/// drm_mm allocates CPU physical addresses of the BAR;</item>
/// <item>drivers/gpu/drm/drm_mm.c: <c>drm_mm_insert_node</c> gives each mappable blob a <c>vram_node</c> whose
/// <c>start</c> is such an address (virtgpu_vram.c's <c>virtio_gpu_vram_map</c>, which sends the host
/// <c>vram_node.start - host_visible_region.addr</c>);</item>
/// <item>drivers/gpu/drm/virtio/virtgpu_vram.c, <c>virtio_gpu_vram_map_dma_buf</c>: <c>dma_map_resource(dev,
/// vram-&gt;vram_node.start, size, dir, DMA_ATTR_SKIP_CPU_SYNC)</c> for the importer, then a one-entry table built by hand
/// (<c>sg_set_page(sgl, NULL, ...)</c>, <c>sg_dma_address(sgl) = addr</c>); <c>virtio_gpu_vram_unmap_dma_buf</c> undoes it
/// with <c>dma_unmap_resource(..., DMA_ATTR_SKIP_CPU_SYNC)</c>;</item>
/// <item>drivers/gpu/drm/virtio/virtgpu_prime.c, <c>virtgpu_gem_map_dma_buf</c> / <c>virtgpu_gem_unmap_dma_buf</c>: the
/// dma_buf_ops callbacks, which send VRAM objects to the functions above and shmem objects to drm_prime.c's
/// <c>drm_gem_map_dma_buf</c> / <c>drm_gem_unmap_dma_buf</c> (RAM pages, <c>dma_map_sgtable</c> with
/// DMA_ATTR_SKIP_CPU_SYNC: correct, nothing to report).</item>
/// </list>
///
/// Bug sites, from the rule pages:
/// <list type="bullet">
/// <item>P2P0010 at the <c>dma_map_resource</c> of <c>vram_node.start</c>: BAR memory of the exporting function mapped for
/// another device without asking the map type (a switch-local peer needs the bus address);</item>
/// <item>P2P0014 at its DMA_ATTR_SKIP_CPU_SYNC (a resource mapping is MMIO), and at the matching
/// <c>dma_unmap_resource</c>'s;</item>
/// <item>P2P0003 at the table <c>virtgpu_gem_map_dma_buf</c> returns for a VRAM object: allocated and given its DMA
/// address by hand in <c>virtio_gpu_vram_map_dma_buf</c>, instead of <c>dma_buf_phys_vec_to_sgt</c>.</item>
/// </list>
/// Not bugs: the mapping error is checked (<c>ret = dma_mapping_error(); if (ret) goto out;</c>), nothing is leaked on
/// the error path, the unmap undoes the same mapping with the same direction, the address unmapped is never a bus
/// address, and the offset sent to the host is an address less an address.
///
/// Transliteration: structs are classes; <c>container_of</c> (<c>gem_to_virtio_gpu_obj</c>, <c>to_virtio_gpu_vram</c>,
/// <c>to_vp_device</c>) is a cast down the embedding chain drm_gem_object → drm_gem_shmem_object → virtio_gpu_object →
/// virtio_gpu_object_vram; <c>virtio_config_ops</c> is an interface; <c>drm_gem_object_funcs.get_sg_table</c> a delegate;
/// <c>dmabuf-&gt;priv</c> the GEM object. <c>ERR_PTR</c> returns are <c>DmaResult</c>, negative errnos <c>DmaError</c>
/// (<c>-ENOSYS</c> as NotSupported). drm_mm is reduced to what these calls do: the head-node trick of
/// <c>drm_mm_init</c>, holes kept in <c>hole_stack</c> (walked with <c>foreach</c>, as <c>list_for_each_entry</c>),
/// DRM_MM_INSERT_BEST's smallest fitting hole, no alignment or colour, no interval tree. <c>virtio_pci_find_shm_cap</c>
/// walks the vendor capabilities as a list already read from config space. The kzalloc'd, zeroed <c>struct
/// sg_table</c> that the non-mappable path returns as a stub is a one-entry library table with both counts 0, which
/// <c>sg_alloc_table(sgt, 1)</c> then counts (its -ENOMEM, and kzalloc's, cannot happen in the model);
/// <c>sg_free_table</c>/<c>kfree</c> are comments. <c>is_virtio_device(dev)</c> (<c>dev-&gt;bus == &amp;virtio_bus</c>)
/// tests the importer for a virtio-pci function, since the library's importer is a PciDevice. The virtqueue command
/// behind <c>virtio_gpu_cmd_map</c> is a stub that records the offset and answers STATE_OK.
/// </summary>
public sealed class VirtioGpuVramTests
{
    // include/linux/virtio.h, include/linux/virtio_config.h: struct virtio_device, struct virtio_shm_region,
    // struct virtio_config_ops (reduced to get_shm_region), virtio_get_shm_region, virtio_has_feature.
    private const string Virtio = """
        sealed class VirtioShmRegion
        {
            public ulong Addr;
            public ulong Len;
        }

        interface IVirtioConfigOps
        {
            bool GetShmRegion(VirtioDevice vdev, VirtioShmRegion region, byte id);
        }

        class VirtioDevice
        {
            public IVirtioConfigOps? Config;
            public ulong Features;
        }

        static class VirtioConfig
        {
            // virtio_has_feature
            public static bool HasFeature(VirtioDevice vdev, int fbit) => (vdev.Features & (1UL << fbit)) != 0;

            // virtio_get_shm_region
            public static bool GetShmRegion(VirtioDevice vdev, VirtioShmRegion region, byte id)
            {
                if (vdev.Config is null)
                {
                    return false;
                }

                return vdev.Config.GetShmRegion(vdev, region, id);
            }
        }

        static class VirtioBus
        {
            private const ushort PciVendorIdRedhatQumranet = 0x1af4;

            // is_virtio_device: dev->bus == &virtio_bus; the library's importer is a PCI function, a virtio one here
            public static bool IsVirtioDevice(PciDevice dev) => dev.VendorId == PciVendorIdRedhatQumranet;
        }
        """;

    // drivers/virtio/virtio_pci_modern.c: virtio_pci_find_shm_cap, vp_get_shm_region.
    private const string VirtioPciModern = """
        // struct virtio_pci_cap of cfg_type VIRTIO_PCI_CAP_SHARED_MEMORY_CFG, as read from config space
        sealed class VirtioPciShmCap
        {
            public byte Id;
            public byte Bar;
            public ulong Offset;
            public ulong Length;
        }

        // struct virtio_pci_device
        sealed class VirtioPciDevice : VirtioDevice
        {
            public PciDevice PciDev = null!;
            public List<VirtioPciShmCap> VendorCaps = new();
        }

        sealed class VirtioPciModernConfigOps : IVirtioConfigOps
        {
            // virtio_pci_find_shm_cap: walk the vendor capabilities for the shared memory region with this id
            private static bool FindShmCap(VirtioPciDevice dev, byte requiredId, out byte bar, out ulong offset, out ulong len)
            {
                for (int pos = 0; pos < dev.VendorCaps.Count; pos++)
                {
                    VirtioPciShmCap cap = dev.VendorCaps[pos];
                    if (cap.Id != requiredId)
                    {
                        continue;
                    }

                    bar = cap.Bar;
                    offset = cap.Offset;
                    len = cap.Length;
                    return true;
                }

                bar = 0;
                offset = 0;
                len = 0;
                return false;
            }

            // vp_get_shm_region
            public bool GetShmRegion(VirtioDevice vdev, VirtioShmRegion region, byte id)
            {
                VirtioPciDevice vpDev = (VirtioPciDevice)vdev;   // to_vp_device
                PciDevice pciDev = vpDev.PciDev;
                PhysAddr physAddr;
                ulong barLen;

                if (!FindShmCap(vpDev, id, out byte bar, out ulong offset, out ulong len))
                {
                    return false;
                }

                physAddr = pciDev.Bar(bar).CpuStart;   // pci_resource_start(pci_dev, bar)
                barLen = pciDev.Bar(bar).Size;         // pci_resource_len(pci_dev, bar)

                if ((offset + len) < offset)
                {
                    // dev_err: cap offset+len overflow detected
                    return false;
                }

                if (offset + len > barLen)
                {
                    // dev_err: bar shorter than cap offset+len
                    return false;
                }

                region.Len = len;
                region.Addr = physAddr.Raw + offset;

                return true;
            }
        }
        """;

    // drivers/gpu/drm/drm_mm.c, reduced to drm_mm_init, drm_mm_insert_node (DRM_MM_INSERT_BEST), drm_mm_remove_node.
    private const string DrmMmC = """
        // struct drm_mm_node
        sealed class DrmMmNode
        {
            public ulong Start;
            public ulong Size;
            public DrmMm? Mm;
            public ulong HoleSize;
            public bool Allocated;   // DRM_MM_NODE_ALLOCATED_BIT
        }

        // struct drm_mm: node_list in address order from the head node, hole_stack
        sealed class DrmMm
        {
            public DrmMmNode HeadNode = new();
            public List<DrmMmNode> NodeList = new();
            public List<DrmMmNode> HoleStack = new();
        }

        static class DrmMmOps
        {
            private const int ENOSPC = 28;

            // __drm_mm_hole_node_start
            private static ulong HoleNodeStart(DrmMmNode holeNode) => holeNode.Start + holeNode.Size;

            // __drm_mm_hole_node_end: the start of the next node, the head node after the last one
            private static ulong HoleNodeEnd(DrmMm mm, DrmMmNode holeNode) =>
                mm.NodeList[(mm.NodeList.IndexOf(holeNode) + 1) % mm.NodeList.Count].Start;

            // add_hole
            private static void AddHole(DrmMm mm, DrmMmNode node)
            {
                node.HoleSize = HoleNodeEnd(mm, node) - HoleNodeStart(node);
                mm.HoleStack.Add(node);
            }

            // rm_hole
            private static void RmHole(DrmMm mm, DrmMmNode node)
            {
                mm.HoleStack.Remove(node);
                node.HoleSize = 0;
            }

            // drm_mm_init
            public static void Init(DrmMm mm, ulong start, ulong size)
            {
                mm.HoleStack.Clear();
                mm.NodeList.Clear();

                // Clever trick to avoid a special case in the free hole tracking.
                mm.HeadNode.Mm = mm;
                mm.HeadNode.Start = start + size;
                mm.HeadNode.Size = 0UL - size;
                mm.NodeList.Add(mm.HeadNode);
                AddHole(mm, mm.HeadNode);
            }

            // drm_mm_node_allocated
            public static bool NodeAllocated(DrmMmNode node) => node.Allocated;

            // drm_mm_insert_node: drm_mm_insert_node_in_range(mm, node, size, 0, 0, 0, U64_MAX, DRM_MM_INSERT_BEST)
            public static int InsertNode(DrmMm mm, DrmMmNode node, ulong size)
            {
                DrmMmNode? hole = null;

                // best_hole: the smallest hole that fits
                foreach (DrmMmNode h in mm.HoleStack)
                {
                    if (h.HoleSize >= size && (hole is null || h.HoleSize < hole.HoleSize))
                    {
                        hole = h;
                    }
                }

                if (hole is null)
                {
                    return -ENOSPC;
                }

                ulong holeStart = HoleNodeStart(hole);
                ulong holeEnd = holeStart + hole.HoleSize;

                node.Mm = mm;
                node.Size = size;
                node.Start = holeStart;   // adj_start: no alignment, no colour adjust

                mm.NodeList.Insert(mm.NodeList.IndexOf(hole) + 1, node);   // list_add(&node->node_list, &hole->node_list)
                node.Allocated = true;

                RmHole(mm, hole);
                if (node.Start + size < holeEnd)
                {
                    AddHole(mm, node);
                }

                return 0;
            }

            // drm_mm_remove_node
            public static void RemoveNode(DrmMmNode node)
            {
                DrmMm mm = node.Mm!;
                DrmMmNode prevNode = mm.NodeList[mm.NodeList.IndexOf(node) - 1];   // list_prev_entry

                if (node.HoleSize != 0)   // drm_mm_hole_follows
                {
                    RmHole(mm, node);
                }

                mm.NodeList.Remove(node);
                if (prevNode.HoleSize != 0)
                {
                    RmHole(mm, prevNode);
                }

                AddHole(mm, prevNode);
                node.Allocated = false;
            }
        }
        """;

    // include/drm/drm_gem.h, drm_gem_shmem_helper.h, drivers/gpu/drm/virtio/virtgpu_drv.h and virtgpu_kms.c's
    // virtio_gpu_init (the part that finds the host visible region).
    private const string VirtgpuDrvKms = """
        sealed class DrmDevice
        {
            public object? DevPrivate;   // dev_private
        }

        // struct drm_gem_object_funcs, reduced
        sealed class DrmGemObjectFuncs
        {
            public Func<DrmGemObject, DmaResult<SgTable>>? GetSgTable;
        }

        class DrmGemObject
        {
            public DrmDevice Dev = null!;
            public DrmGemObjectFuncs Funcs = null!;
            public ulong Size;
        }

        // struct drm_gem_shmem_object
        class DrmGemShmemObject : DrmGemObject
        {
            public IReadOnlyList<Page>? Pages;
        }

        // struct virtio_gpu_object
        class VirtioGpuObject : DrmGemShmemObject
        {
            public uint HwResHandle;
            public uint BlobMem;
            public uint BlobFlags;
            public bool Created;
        }

        // STATE_INITIALIZING, STATE_OK, STATE_ERR
        enum VirtioGpuState { Initializing, Ok, Err }

        // struct virtio_gpu_object_vram
        sealed class VirtioGpuObjectVram : VirtioGpuObject
        {
            public DrmMmNode VramNode = new();
            public VirtioGpuState MapState;
            public uint MapInfo;
        }

        // struct virtio_gpu_object_params
        sealed class VirtioGpuObjectParams
        {
            public ulong Size;
            public uint BlobMem;
            public uint BlobFlags;
            public ulong BlobId;
        }

        // struct virtio_gpu_device, the members these paths read
        sealed class VirtioGpuDevice
        {
            public VirtioDevice Vdev = null!;
            public DrmDevice Ddev = null!;
            public bool HasResourceAssignUuid;
            public bool HasResourceBlob;
            public bool HasHostVisible;
            public VirtioShmRegion HostVisibleRegion = new();
            public DrmMm HostVisibleMm = new();
            public readonly object HostVisibleLock = new();
            public uint NextResourceId;
        }

        static class VirtGpu
        {
            public const uint VIRTGPU_BLOB_FLAG_USE_MAPPABLE = 0x0001;
            public const byte VIRTIO_GPU_SHM_ID_HOST_VISIBLE = 1;
            public const int VIRTIO_GPU_F_RESOURCE_UUID = 2;
            public const int VIRTIO_GPU_F_RESOURCE_BLOB = 3;
        }

        static class Devres
        {
            // devm_request_mem_region: reserve [start, start + n) in the iomem tree for the device's lifetime
            public static bool RequestMemRegion(VirtioDevice dev, ulong start, ulong n, string name) => n != 0;
        }

        static class VirtioGpuKms
        {
            private const int EBUSY = 16;

            // virtio_gpu_init (virtqueues, display info and capsets left out)
            public static int Init(VirtioDevice vdev, DrmDevice dev)
            {
                int ret;
                var vgdev = new VirtioGpuDevice { Vdev = vdev, Ddev = dev };   // drmm_kzalloc
                dev.DevPrivate = vgdev;

                if (VirtioConfig.HasFeature(vgdev.Vdev, VirtGpu.VIRTIO_GPU_F_RESOURCE_UUID))
                {
                    vgdev.HasResourceAssignUuid = true;
                }

                if (VirtioConfig.HasFeature(vgdev.Vdev, VirtGpu.VIRTIO_GPU_F_RESOURCE_BLOB))
                {
                    vgdev.HasResourceBlob = true;
                }

                if (VirtioConfig.GetShmRegion(vgdev.Vdev, vgdev.HostVisibleRegion, VirtGpu.VIRTIO_GPU_SHM_ID_HOST_VISIBLE))
                {
                    if (!Devres.RequestMemRegion(vgdev.Vdev, vgdev.HostVisibleRegion.Addr, vgdev.HostVisibleRegion.Len, "virtio-gpu"))
                    {
                        // DRM_ERROR("Could not reserve host visible region\n");
                        ret = -EBUSY;
                        goto err_vqs;
                    }

                    // DRM_INFO("Host memory window: 0x%lx +0x%lx\n", ...)
                    vgdev.HasHostVisible = true;
                    DrmMmOps.Init(vgdev.HostVisibleMm, vgdev.HostVisibleRegion.Addr, vgdev.HostVisibleRegion.Len);
                }

                return 0;

            err_vqs:
                dev.DevPrivate = null;
                return ret;
            }
        }
        """;

    // drivers/gpu/drm/virtio/virtgpu_vram.c (and the virtio_gpu_cmd_map of virtgpu_vq.c it calls, as a stub).
    private const string VirtgpuVram = """
        static class VirtioGpuVq
        {
            // virtio_gpu_cmd_map: VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB with the offset into the host visible region; the
            // response callback (virtio_gpu_cmd_resource_map_cb) sets map_info and map_state
            public static int CmdMap(VirtioGpuDevice vgdev, VirtioGpuObject bo, ulong offset)
            {
                VirtioGpuObjectVram vram = (VirtioGpuObjectVram)bo;
                vram.MapInfo = 0x01;   // resp->map_info: VIRTIO_GPU_MAP_CACHE_CACHED
                vram.MapState = VirtioGpuState.Ok;
                return 0;
            }
        }

        static class VirtioGpuVram
        {
            private const ulong PageSize = 4096;

            // static const struct drm_gem_object_funcs virtio_gpu_vram_funcs: no get_sg_table
            public static readonly DrmGemObjectFuncs Funcs = new();

            public static DmaResult<SgTable> MapDmaBuf(VirtioGpuObject bo, PciDevice dev, DmaDirection dir)
            {
                VirtioGpuDevice vgdev = (VirtioGpuDevice)bo.Dev.DevPrivate!;
                VirtioGpuObjectVram vram = (VirtioGpuObjectVram)bo;   // to_virtio_gpu_vram
                DmaAddr addr;
                DmaError ret;

                // sgt = kzalloc(sizeof(*sgt), GFP_KERNEL): a zeroed struct sg_table, which counts no entry
                SgTable sgt = SgTable.Alloc(1);
                sgt.Nents = 0;
                sgt.OrigNents = 0;

                if ((bo.BlobFlags & VirtGpu.VIRTGPU_BLOB_FLAG_USE_MAPPABLE) == 0)
                {
                    // Virtio devices can access the dma-buf via its UUID. Return a stub
                    // sg_table so the dma-buf API still works.
                    if (!VirtioBus.IsVirtioDevice(dev) || !vgdev.HasResourceAssignUuid)
                    {
                        ret = DmaError.Io;
                        goto @out;
                    }

                    return sgt;
                }

                // ret = sg_alloc_table(sgt, 1, GFP_KERNEL); if (ret) goto out;
                sgt.Nents = 1;
                sgt.OrigNents = 1;

                addr = {|P2P0010:Dma.MapResource(dev, PhysAddr.FromRaw(vram.VramNode.Start),
                                        vram.VramNode.Size, dir,
                                        {|P2P0014:DmaAttrs.SkipCpuSync|})|};
                ret = Dma.MappingError(dev, addr) ? DmaError.NoMemory : DmaError.None;   // ret = dma_mapping_error(dev, addr);
                if (ret != DmaError.None)
                {
                    goto @out;
                }

                sgt[0].SetPage(null, vram.VramNode.Size, 0);
                sgt[0].DmaAddress = addr;
                sgt[0].DmaLength = vram.VramNode.Size;

                return sgt;
            @out:
                // sg_free_table(sgt); kfree(sgt);
                return ret;
            }

            public static void UnmapDmaBuf(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                if (sgt.Nents != 0)
                {
                    Dma.UnmapResource(dev, sgt[0].DmaAddress,
                                      sgt[0].DmaLength, dir,
                                      {|P2P0014:DmaAttrs.SkipCpuSync|});
                }

                // sg_free_table(sgt); kfree(sgt);
            }

            // virtio_gpu_is_vram
            public static bool IsVram(VirtioGpuObject bo) => bo.Funcs == Funcs;

            // virtio_gpu_vram_map
            private static int Map(VirtioGpuObject bo)
            {
                int ret;
                ulong offset;
                VirtioGpuDevice vgdev = (VirtioGpuDevice)bo.Dev.DevPrivate!;
                VirtioGpuObjectVram vram = (VirtioGpuObjectVram)bo;

                if (!vgdev.HasHostVisible)
                {
                    return -22;   // -EINVAL
                }

                lock (vgdev.HostVisibleLock)
                {
                    ret = DrmMmOps.InsertNode(vgdev.HostVisibleMm, vram.VramNode, bo.Size);
                }

                if (ret != 0)
                {
                    return ret;
                }

                // virtio_gpu_array_alloc(1) / virtio_gpu_array_add_obj: the object list of the command
                /*TODO: Add an error checking helper function in drm_mm.h */
                offset = vram.VramNode.Start - vgdev.HostVisibleRegion.Addr;

                ret = VirtioGpuVq.CmdMap(vgdev, bo, offset);
                if (ret != 0)
                {
                    goto err_remove_node;
                }

                return 0;

            err_remove_node:
                lock (vgdev.HostVisibleLock)
                {
                    DrmMmOps.RemoveNode(vram.VramNode);
                }

                return ret;
            }

            // virtio_gpu_vram_create (the resource id comes from a counter, the create-blob command is not modelled)
            public static int Create(VirtioGpuDevice vgdev, VirtioGpuObjectParams objParams, out VirtioGpuObject? boPtr)
            {
                int ret;
                var vram = new VirtioGpuObjectVram();   // kzalloc
                boPtr = null;

                vram.Funcs = Funcs;
                objParams.Size = (objParams.Size + PageSize - 1) & ~(PageSize - 1);   // PAGE_ALIGN
                vram.Dev = vgdev.Ddev;                                               // drm_gem_private_object_init
                vram.Size = objParams.Size;
                vram.HwResHandle = ++vgdev.NextResourceId;                           // virtio_gpu_resource_id_get
                vram.BlobMem = objParams.BlobMem;
                vram.BlobFlags = objParams.BlobFlags;
                vram.Created = true;                                                 // virtio_gpu_cmd_resource_create_blob

                if ((objParams.BlobFlags & VirtGpu.VIRTGPU_BLOB_FLAG_USE_MAPPABLE) != 0)
                {
                    ret = Map(vram);
                    if (ret != 0)
                    {
                        return ret;   // virtio_gpu_vram_free(obj)
                    }
                }

                boPtr = vram;
                return 0;
            }
        }
        """;

    // drivers/gpu/drm/drm_prime.c's drm_gem_map_dma_buf / drm_gem_unmap_dma_buf, and drm_gem_shmem_helper.c's
    // get_sg_table (drm_prime_pages_to_sg of the shmem pages), the path of virtio-gpu's shmem objects.
    private const string DrmPrime = """
        static class DrmGemShmem
        {
            // drm_gem_shmem_object_get_sg_table -> drm_gem_shmem_get_sg_table
            public static DmaResult<SgTable> GetSgTable(DrmGemObject obj)
            {
                DrmGemShmemObject shmem = (DrmGemShmemObject)obj;
                if (shmem.Pages is null)
                {
                    return DmaError.Invalid;
                }

                // drm_prime_pages_to_sg(obj->dev, shmem->pages, obj->size >> PAGE_SHIFT)
                return SgTable.FromPages(shmem.Pages);
            }
        }

        static class DrmPrimeC
        {
            // drm_gem_map_dma_buf
            public static DmaResult<SgTable> GemMapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                DrmGemObject obj = (DrmGemObject)attach.DmaBuf.Priv!;
                DmaResult<SgTable> sgt;
                DmaError ret;

                if (dir == DmaDirection.None)
                {
                    return DmaError.Invalid;
                }

                if (obj.Funcs.GetSgTable is null)
                {
                    return DmaError.NotSupported;   // -ENOSYS
                }

                sgt = obj.Funcs.GetSgTable(obj);
                if (sgt.Failed)
                {
                    return sgt;
                }

                ret = Dma.MapSgTable(attach.Device, sgt.Value, dir, DmaAttrs.SkipCpuSync);
                if (ret != DmaError.None)
                {
                    // sg_free_table(sgt); kfree(sgt);
                    sgt = ret;
                }

                return sgt;
            }

            // drm_gem_unmap_dma_buf
            public static void GemUnmapDmaBuf(DmaBufAttachment attach, SgTable? sgt, DmaDirection dir)
            {
                if (sgt is null)
                {
                    return;
                }

                Dma.UnmapSgTable(attach.Device, sgt, dir, DmaAttrs.SkipCpuSync);
                // sg_free_table(sgt); kfree(sgt);
            }
        }

        static class VirtioGpuObjectC
        {
            // virtio_gpu_shmem_funcs (virtgpu_object.c): .get_sg_table = drm_gem_shmem_object_get_sg_table
            public static readonly DrmGemObjectFuncs ShmemFuncs = new() { GetSgTable = DrmGemShmem.GetSgTable };
        }
        """;

    // drivers/gpu/drm/virtio/virtgpu_prime.c: the dma_buf_ops callbacks and virtgpu_gem_prime_export.
    private const string VirtgpuPrime = """
        // virtgpu_dmabuf_ops (struct virtio_dma_buf_ops: the dma_buf_ops with device_attach and get_uuid)
        sealed class VirtgpuDmaBufOps : DmaBufOps
        {
            // virtgpu_gem_map_dma_buf
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                DrmGemObject obj = (DrmGemObject)attach.DmaBuf.Priv!;
                VirtioGpuObject bo = (VirtioGpuObject)obj;   // gem_to_virtio_gpu_obj

                if (VirtioGpuVram.IsVram(bo))
                {
                    return {|P2P0003:VirtioGpuVram.MapDmaBuf(bo, attach.Device, dir)|};
                }

                return DrmPrimeC.GemMapDmaBuf(attach, dir);
            }

            // virtgpu_gem_unmap_dma_buf
            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable sgt, DmaDirection dir)
            {
                DrmGemObject obj = (DrmGemObject)attach.DmaBuf.Priv!;
                VirtioGpuObject bo = (VirtioGpuObject)obj;

                if (VirtioGpuVram.IsVram(bo))
                {
                    VirtioGpuVram.UnmapDmaBuf(attach.Device, sgt, dir);
                    return;
                }

                DrmPrimeC.GemUnmapDmaBuf(attach, sgt, dir);
            }
        }

        static class VirtgpuPrime
        {
            private static readonly VirtgpuDmaBufOps Ops = new();

            // virtgpu_gem_prime_export: virtio_dma_buf_export with dmabuf->priv = obj (the uuid assignment left out)
            public static DmaBuffer GemPrimeExport(DrmGemObject obj, int flags) => DmaBuffer.Export(Ops, obj.Size, obj);
        }
        """;

    [Fact]
    public Task VirtioGpuVramMapDmaBuf_OfVpGetShmRegionBarThroughDrmMm_FromVirtgpuGemMapDmaBuf_Reports() => KernelVerify.RunAsync(
        Virtio,
        VirtioPciModern,
        DrmMmC,
        VirtgpuDrvKms,
        VirtgpuVram,
        DrmPrime,
        VirtgpuPrime);
}
