namespace P2PAnalyzers.Tests.Kernel;

/// <summary>
/// habanalabs' dma-buf exporter of device memory (HBM), in its two historical shapes: the 2021 patch
/// (drivers/misc/habanalabs/common/memory.c, "habanalabs: add support for dma-buf exporter") that wrote the BAR
/// address into sg_dma_address and kept the table in the wrapper, and the merged one
/// (drivers/accel/habanalabs/common/memory.c) that maps each chunk with dma_map_resource in set_dma_sg. The BAR is
/// cached at probe in the ASIC file (gaudi2.c, gaudi2_pci_bars_map).
/// </summary>
public sealed class HabanalabsTests
{
    // habanalabs.h: struct hl_device / asic_fixed_properties; gaudi2.c: the BARs mapped at probe.
    internal const string Device = """
        sealed class AsicFixedProperties
        {
            public ulong DramBaseAddress;
            public ulong DramPageSize;
        }

        sealed class HlDevice
        {
            public PciDevice Pdev = null!;
            public ulong DramPciBarStart;
            public AsicFixedProperties AsicProp = new();
        }

        static class Gaudi2
        {
            private const int DramBarId = 4;

            // gaudi2_pci_bars_map: hdev->dram_pci_bar_start = pci_resource_start(pdev, DRAM_BAR_ID)
            public static int PciBarsMap(HlDevice hdev)
            {
                hdev.DramPciBarStart = hdev.Pdev.Bar(DramBarId).CpuStart.Raw;
                return 0;
            }
        }
        """;

    // The merged exporter: set_dma_sg maps the BAR address it is handed; alloc_sgt_from_device_pages computes it.
    internal const string MemoryCurrent = """
        sealed class HlVmPhysPgPack
        {
            public ulong[] Pages = Array.Empty<ulong>();
            public ulong PageSize;
        }

        sealed class HlDmabufPriv
        {
            public HlDevice Hdev = null!;
            public HlVmPhysPgPack? PhysPgPack;
            public ulong DevicePhysAddr;
            public ulong Size;
            public ulong Offset;
        }

        static class HlMemory
        {
            // set_dma_sg: the BAR address arrives as a parameter and is mapped without asking the map type
            public static int SetDmaSg(Scatterlist sg, ulong barAddress, ulong chunkSize, PciDevice dev, DmaDirection dir)
            {
                DmaAddr addr = {|P2P0010:Dma.MapResource(dev, PhysAddr.FromRaw(barAddress), chunkSize, dir, {|P2P0014:DmaAttrs.SkipCpuSync|})|};
                if (Dma.MappingError(dev, addr))
                {
                    return -12;
                }

                sg.SetPage(null, chunkSize, 0);
                sg.DmaAddress = addr;
                sg.DmaLength = chunkSize;
                return 0;
            }

            // alloc_sgt_from_device_pages: bar_address = dram_pci_bar_start + (page - dram_base_address) + offset
            public static SgTable? AllocSgtFromDevicePages(HlDevice hdev, ulong[] pages, int npages, ulong pageSize, ulong exportedSize, ulong offset, PciDevice dev, DmaDirection dir)
            {
                AsicFixedProperties prop = hdev.AsicProp;
                int nents = npages;
                SgTable sgt = SgTable.Alloc(nents);
                ulong left = exportedSize;
                int curPage = 0;
                foreach (Scatterlist sg in sgt)
                {
                    ulong chunkSize = Math.Min(pageSize - offset, left);
                    ulong barAddress = hdev.DramPciBarStart + (pages[curPage] - prop.DramBaseAddress) + offset;
                    if (SetDmaSg(sg, barAddress, chunkSize, dev, dir) != 0)
                    {
                        goto errUnmap;
                    }

                    left -= chunkSize;
                    offset = 0;
                    curPage++;
                }

                return sgt;

            errUnmap:
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    if (sg.DmaLength == 0)
                    {
                        continue;
                    }

                    Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }

                return null;
            }
        }
        """;

    internal const string DmaBufOpsHead = """
        sealed class HlDmaBufOps : DmaBufOps
        {
            private readonly HlDmabufPriv _hlDmabuf;

            public HlDmaBufOps(HlDmabufPriv hlDmabuf) => _hlDmabuf = hlDmabuf;
        """;

    internal const string DmaBufOpsMapUnmap = """

            // hl_map_dmabuf
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                HlDevice hdev = _hlDmabuf.Hdev;
                if (!%PEER2PEER%)
                {
                    return DmaError.NotSupported; // -EPERM: DmaError has no EPERM
                }

                SgTable? sgt = _hlDmabuf.PhysPgPack is { } pack
                    ? HlMemory.AllocSgtFromDevicePages(hdev, pack.Pages, pack.Pages.Length, pack.PageSize, _hlDmabuf.Size, _hlDmabuf.Offset, attachment.Device, dir)
                    : HlMemory.AllocSgtFromDevicePages(hdev, new[] { _hlDmabuf.DevicePhysAddr }, 1, _hlDmabuf.Size, _hlDmabuf.Size, 0, attachment.Device, dir);
                if (sgt is null)
                {
                    return DmaError.NoMemory;
                }

                return {|P2P0003:sgt|};
            }

            // hl_unmap_dmabuf
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    Dma.UnmapResource(attachment.Device, sg.DmaAddress, sg.DmaLength, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
                }
            }
        }
        """;

    [Fact]
    public Task SetDmaSg_FromAllocSgtFromDevicePagesWithDramPciBarStart_HlMapDmabuf_Reports() => KernelVerify.RunAsync(
        Device,
        MemoryCurrent,
        DmaBufOpsHead + DmaBufOpsMapUnmap.Replace("%PEER2PEER%", "attachment.Peer2Peer"));

    // hl_dmabuf_attach: pci_p2pdma_distance(hdev->pdev, attachment->dev, true) < 0 clears peer2peer, and
    // hl_map_dmabuf refuses with -EPERM unless peer2peer: the distance is the whole mapping decision.
    [Fact]
    public Task HlDmabufAttach_DistanceClearsPeer2Peer_HlMapDmabufRefusesWithoutIt_Reports() => KernelVerify.RunAsync(
        Device,
        MemoryCurrent,
        DmaBufOpsHead + Attach + DmaBufOpsMapUnmap.Replace("%PEER2PEER%", "{|P2P0011:attachment.Peer2Peer|}"));

    // hl_dmabuf_attach
    internal const string Attach = """

            // hl_dmabuf_attach
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (PciP2PDma.Distance(_hlDmabuf.Hdev.Pdev, attachment.Device) < 0)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }
        """;

    // The 2021 patch: the table is built once at export, with the BAR address itself as the DMA address, kept in the
    // wrapper (struct hl_dmabuf_wrapper { ...; struct sg_table sgt; }) and returned from every map.
    [Fact]
    public Task AllocSgtFromDevicePagesV1_BarAddressAsSgDmaAddress_HlMapDmabufReturnsWrapperSgt_Reports() => KernelVerify.RunAsync(Device, MemoryV1);

    internal const string MemoryV1 = """
        sealed class HlDmabufWrapper
        {
            public HlDevice Hdev = null!;
            public SgTable Sgt = null!;
            public ulong Handle;
        }

        static class HlMemoryV1
        {
            // alloc_sgt_from_device_pages (v1): sg_dma_address(sg) = bar_address, nothing mapped
            public static int AllocSgtFromDevicePages(HlDevice hdev, HlDmabufWrapper hlDmabuf, ulong[] pages, ulong pageSize)
            {
                AsicFixedProperties prop = hdev.AsicProp;
                hlDmabuf.Sgt = SgTable.Alloc(pages.Length);
                int curPage = 0;
                foreach (Scatterlist sg in hlDmabuf.Sgt)
                {
                    ulong barAddress = hdev.DramPciBarStart + (pages[curPage] - prop.DramBaseAddress);
                    sg.SetPage(null, pageSize, 0);
                    sg.DmaAddress = {|P2P0001:DmaAddr.FromRaw(barAddress)|};
                    sg.DmaLength = pageSize;
                    curPage++;
                }

                return 0;
            }

            // export_dmabuf_from_handle: the table is built when the buffer is exported
            public static int ExportDmabufFromHandle(HlDevice hdev, HlDmabufWrapper hlDmabuf, ulong[] pages, ulong pageSize) =>
                AllocSgtFromDevicePages(hdev, hlDmabuf, pages, pageSize);
        }

        sealed class HlDmaBufOpsV1 : DmaBufOps
        {
            private readonly HlDmabufWrapper _hlDmabuf;

            public HlDmaBufOpsV1(HlDmabufWrapper hlDmabuf) => _hlDmabuf = hlDmabuf;

            // hl_dmabuf_attach (v1): the distance only clears peer2peer
            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (PciP2PDma.DistanceMany(_hlDmabuf.Hdev.Pdev, new[] { attachment.Device }) < 0)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }

            // hl_map_dmabuf (v1): return &hl_dmabuf->sgt
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                if (!attachment.Peer2Peer)
                {
                    return DmaError.NotSupported; // -EPERM: DmaError has no EPERM
                }

                return {|P2P0003:_hlDmabuf.Sgt|};
            }

            // hl_unmap_dmabuf (v1): nothing was mapped, nothing to undo
            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir)
            {
            }
        }
        """;

    // What review asked for and dma-buf-mapping.c now offers: the HBM chunks as CPU physical ranges of the BAR and the
    // BAR's provider, mapped per importer by dma_buf_phys_vec_to_sgt.
    [Fact]
    public Task HlMapDmabuf_WithDmaBufPhysVecToSgt_NoDiagnostic() => KernelVerify.RunAsync(
        Device.Replace("public AsicFixedProperties AsicProp = new();", "public AsicFixedProperties AsicProp = new();\n    public P2PProvider? DramProvider;")
            .Replace("hdev.DramPciBarStart = hdev.Pdev.Bar(DramBarId).CpuStart.Raw;", "hdev.DramPciBarStart = hdev.Pdev.Bar(DramBarId).CpuStart.Raw;\n        hdev.DramProvider = PciP2PDma.Init(hdev.Pdev) == DmaError.None ? PciP2PDma.Provider(hdev.Pdev, DramBarId) : null;"),
        """
        sealed class HlDmaBufOps : DmaBufOps
        {
            private readonly HlDevice _hdev;
            private readonly ulong[] _pages;
            private readonly ulong _pageSize;

            public HlDmaBufOps(HlDevice hdev, ulong[] pages, ulong pageSize)
            {
                _hdev = hdev;
                _pages = pages;
                _pageSize = pageSize;
            }

            public override DmaError Attach(DmaBufAttachment attachment)
            {
                if (PciP2PDma.Distance(_hdev.Pdev, attachment.Device) < 0)
                {
                    attachment.Peer2Peer = false;
                }

                return DmaError.None;
            }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attachment, DmaDirection dir)
            {
                if (!attachment.Peer2Peer || _hdev.DramProvider is not { } provider)
                {
                    return DmaError.NotSupported; // -EPERM: DmaError has no EPERM
                }

                var vec = new List<PhysRange>();
                foreach (ulong page in _pages)
                {
                    vec.Add(new PhysRange(provider.Bar.CpuStart + (page - _hdev.AsicProp.DramBaseAddress), _pageSize));
                }

                return DmaBufMapping.PhysVecToSgt(attachment, provider, vec, (ulong)_pages.Length * _pageSize, dir);
            }

            public override void UnmapDmaBuf(DmaBufAttachment attachment, SgTable sgt, DmaDirection dir) =>
                DmaBufMapping.FreeSgt(attachment, sgt, dir);
        }
        """);
}
