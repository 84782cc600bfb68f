using System.Collections.Generic;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// Driver code with the habits the rules name (p2pdma-semantics.md section 4), one template per kernel precedent. Each
/// line marked <c>⟦ID⟧</c> is where that rule reports; nothing else in a template is reported.
/// </summary>
internal static partial class ViolationTemplates
{
    private static readonly int[] Bars = { 0, 2, 4 };

    public static IReadOnlyList<Template> All { get; } = new Template[]
    {
        new("AmdgpuDistanceExporter", "amdgpu_dma_buf_map: distance check, dma_map_resource with SKIP_CPU_SYNC, hand-built table", true, AmdgpuDistanceExporter),
        new("AmdgpuVramMgrHelper", "amdgpu_vram_mgr_alloc_sgt: hand-built table from a helper", true, AmdgpuVramMgrHelper),
        new("HabanaRawBarAddress", "habanalabs: sg_dma_address(sg) = bar_address", true, HabanaRawBarAddress),
        new("HabanaDevicePages", "habanalabs alloc_sgt_from_device_pages: [CpuPhysicalAddress] BAR start as DMA address", true, HabanaDevicePages),
        new("RdmaUmemReadsPages", "ib_umem_dmabuf_map_pages reading sg_page()", true, RdmaUmemReadsPages),
        new("DrmPrimeSgToPageArray", "drm_prime_sg_to_page_array on an imported table", true, DrmPrimeSgToPageArray),
        new("NvmeUnmapsBusSegments", "nvme-pci before IOD_P2P_BUS_ADDR: unmapping every segment", true, NvmeUnmapsBusSegments),
        new("RdmaRwLegacyUnmapSg", "rdma_rw_ctx_init error path: legacy unmap of a P2P-mapped table", true, RdmaRwLegacyUnmapSg),
        new("NvmeCmbCpuAddress", "nvme_map_cmb: pci_resource_start as the CMB bus address", true, NvmeCmbCpuAddress),
        new("PeerDoorbellCpuAddress", "peer doorbell programmed with the CPU address of a BAR", true, PeerDoorbellCpuAddress),
        new("VfioMapPhysMmio", "2022 VFIO RFC: MMIO mapping of a provider BAR without a map type", true, VfioMapPhysMmio),
        new("XeVramMgrAllocSgt", "xe_ttm_vram_mgr_alloc_sgt: dma_map_resource of the LMEM BAR with SKIP_CPU_SYNC", true, XeVramMgrAllocSgt),
        new("BlkPortWithoutBusAddr", "blk_dma_map_iter_start port without PCI_P2PDMA_MAP_BUS_ADDR", true, BlkPortWithoutBusAddr),
        new("HabanaDistanceInLocal", "hl_dmabuf_attach distance check, then dma_map_resource", true, HabanaDistanceInLocal),
        new("MapPhysBarSkipCpuSync", "BAR mapped as RAM with SKIP_CPU_SYNC instead of MMIO", true, MapPhysBarSkipCpuSync),
        new("BusAddrMapUnmapped", "pci_p2pdma_bus_addr_map result unmapped like an MMIO mapping", true, BusAddrMapUnmapped),
        new("SoloP2mDma", "solo6x10 solo_p2m_dma: dma_map_single handed to the engine and unmapped, never checked", true, SoloP2mDma),
        new("Ath10kMgmtTxComp", "ath10k: a DMA_TO_DEVICE frame unmapped DMA_FROM_DEVICE in the completion", true, Ath10kMgmtTxComp),
        new("MvsdioSgFragsCompletion", "mvsdio: dma_map_sg's count kept in host->sg_frags, unmapped with it in the completion", true, MvsdioSgFragsCompletion),
        new("IoZcrxMapArea", "io_uring zcrx before 'fix sgtable leak on mapping failures': the table left mapped when populating fails", true, IoZcrxMapArea),
        new("SgDescriptorsPastTheCount", "dma-api-howto's descriptor loop bounded by the nents given to dma_map_sg, not the count it returned", true, SgDescriptorsPastTheCount),
        new("AmlSfcDmaBufferSetup", "spi-amlogic-spifc-a4 before 'Fix DMA mapping error handling': the data buffer unmapped inline and again at out_map_data", true, AmlSfcDmaBufferSetup),
        new("NvmeMapDataOutUnmapsData", "nvme-pci before 'fix error unwind in nvme_map_data': out: calls nvme_unmap_data also when dma_map_sg mapped nothing", true, NvmeMapDataOutUnmapsData),
        new("RockchipSfcVirtToPhysBuffer", "spi-rockchip-sfc before 'Fix DMA-API usage': virt_to_phys of the bounce buffer cached as its DMA address at probe", true, RockchipSfcVirtToPhysBuffer),
        new("Ath10kWmiOpsMgmtTx", "ath10k: the frame's address kept by the wmi_ops op, unmapped DMA_FROM_DEVICE by the completion", true, Ath10kWmiOpsMgmtTx),
        new("IsciRequestSgl", "isci: the SGL walks every entry of a list mapped elsewhere; a task buffer mapped unchecked, freed by the completion", true, IsciRequestSgl),
        new("Cp8139RxRefill", "8139cp cp_rx_poll before its mapping-error check: the replacement buffer mapped unchecked into the descriptor", true, Cp8139RxRefill),
        new("SaharaAesDescriptor", "sahara: a failed map jumps to its unmap, links loop over the nents given, the process leaks the helper's lists on timeout", true, SaharaAesDescriptor),
    };

    private static string AmdgpuDistanceExporter(string c, Rng r) => $$"""
        public sealed class {{c}}AmdgpuDmaBuf : DmaBufOps
        {
            private readonly PciDevice _adev;
            private readonly ulong[] _blockStarts;
            private readonly ulong[] _blockSizes;

            public {{c}}AmdgpuDmaBuf(PciDevice adev, ulong[] blockStarts, ulong[] blockSizes)
            {
                _adev = adev;
                _blockStarts = blockStarts;
                _blockSizes = blockSizes;
            }

            // amdgpu_dma_buf_attach's pci_p2pdma_distance() < 0 check, then amdgpu_vram_mgr_alloc_sgt's dma_map_resource.
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                if (PciP2PDma.Distance(_adev, attach.Device) < 0)⟦P2P0011⟧
                {
                    return DmaError.RemoteIo;
                }

                SgTable sgt = SgTable.Alloc(_blockStarts.Length);
                for (int i = 0; i < _blockStarts.Length; i++)
                {
                    PhysAddr phys = _adev.Bar({{r.Pick(Bars)}}).CpuStart + _blockStarts[i];
                    DmaAddr addr = Dma.MapResource(attach.Device, phys, _blockSizes[i], dir, DmaAttrs.SkipCpuSync);⟦P2P0014⟧
                    if (Dma.MappingError(attach.Device, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sgt[i].SetPage(null, _blockSizes[i], 0);
                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = _blockSizes[i];
                }

                sgt.Nents = _blockStarts.Length;
                return sgt;⟦P2P0003⟧
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir)
            {
                foreach (Scatterlist sg in table)
                {
                    Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);⟦P2P0014⟧
                }
            }
        }
        """;

    private static string AmdgpuVramMgrHelper(string c, Rng r) => $$"""
        public sealed class {{c}}AmdgpuExporter : DmaBufOps
        {
            private readonly IReadOnlyList<PhysRange> _blocks;

            public {{c}}AmdgpuExporter(IReadOnlyList<PhysRange> blocks) => _blocks = blocks;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                if (!attach.Peer2Peer)
                {
                    return DmaError.NotSupported;
                }

                return VramMgrAllocSgt(attach.Device, direction);⟦P2P0003⟧
            }

            // amdgpu_vram_mgr_alloc_sgt (amdgpu_vram_mgr.c), as a helper of the exporter.
            private DmaResult<SgTable> VramMgrAllocSgt(PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(_blocks.Count);
                int i = 0;
                foreach (Scatterlist sg in sgt)
                {
                    DmaAddr addr = Dma.MapResource(dev, _blocks[i].Start, _blocks[i].Size, dir, DmaAttrs.SkipCpuSync);⟦P2P0014⟧
                    if (Dma.MappingError(dev, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sg.SetPage(null, _blocks[i].Size, 0);
                    sg.DmaAddress = addr;
                    sg.DmaLength = _blocks[i].Size;
                    i++;
                }

                sgt.Nents = _blocks.Count;
                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction)
            {
                foreach (Scatterlist sg in table.DmaSegments)
                {
                    Dma.UnmapResource(attach.Device, sg.DmaAddress, sg.DmaLength, direction, DmaAttrs.SkipCpuSync);⟦P2P0014⟧
                }
            }
        }
        """;

    private static string HabanaRawBarAddress(string c, Rng r) => $$"""
        public sealed class {{c}}HabanaP2PFill
        {
            // habanalabs 2021: sg_dma_address(sg) = bar_address; page NULL, nothing mapped.
            public void Fill(PciDevice pdev, Scatterlist sg, ulong offset, ulong size)
            {
                ulong barAddress = pdev.Bar({{r.Pick(Bars)}}).CpuStart.Raw + offset;
                sg.SetPage(null, 0, 0);
                sg.DmaAddress = DmaAddr.FromRaw(barAddress);⟦P2P0001⟧
                sg.DmaLength = size;
            }
        }
        """;

    private static string HabanaDevicePages(string c, Rng r) => $$"""
        public sealed class {{c}}HlDevice
        {
            // gaudi_early_init: hdev->dram_pci_bar_start = pci_resource_start(pdev, HBM_BAR_ID);
            [CpuPhysicalAddress]
            public ulong DramPciBarStart;
            public ulong DramBaseAddress;
        }

        public sealed class {{c}}HabanaMemory
        {
            // alloc_sgt_from_device_pages (drivers/misc/habanalabs/common/memory.c, 2021 dma-buf exporter patch)
            public SgTable AllocSgtFromDevicePages({{c}}HlDevice hdev, ulong[] pages, ulong pageSize)
            {
                SgTable sgt = SgTable.Alloc(pages.Length);
                int curPage = 0;
                foreach (Scatterlist sg in sgt)
                {
                    ulong barAddress = hdev.DramPciBarStart + (pages[curPage] - hdev.DramBaseAddress);
                    sg.SetPage(null, pageSize, 0);
                    sg.DmaAddress = DmaAddr.FromRaw(barAddress);⟦P2P0001⟧
                    sg.DmaLength = pageSize;
                    curPage++;
                }

                return sgt;
            }
        }
        """;

    private static string RdmaUmemReadsPages(string c, Rng r) => $$"""
        public sealed class {{c}}UmemDmabuf
        {
            private readonly List<Page> _pages = new();

            // ib_umem_dmabuf_map_pages (drivers/infiniband/core/umem_dmabuf.c), walking pages instead of DMA addresses.
            public DmaError MapPages(DmaBufAttachment attach)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.Bidirectional);
                if (mapped.Failed)
                {
                    return mapped.Error;
                }

                SgTable sgt = mapped.Value;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    _pages.Add(sg.Page);⟦P2P0004⟧
                }

                return DmaError.None;
            }
        }
        """;

    private static string DrmPrimeSgToPageArray(string c, Rng r) => $$"""
        public static class {{c}}Prime
        {
            // drm_prime_sg_to_page_array on an imported table: pages[i] = sg_page(sg).
            public static Page[] SgToPageArray(DmaBufAttachment attach)
            {
                SgTable sgt = attach.Map(DmaDirection.Bidirectional).Value;
                var pages = new Page[sgt.Count];
                for (int i = 0; i < sgt.Count; i++)
                {
                    pages[i] = sgt[i].Page;⟦P2P0004⟧
                }

                return pages;
            }
        }
        """;

    private static string NvmeUnmapsBusSegments(string c, Rng r) => $$"""
        public sealed class {{c}}NvmePci
        {
            // nvme-pci maps the request, builds its PRP list, runs it and unmaps every segment it recorded; before
            // IOD_P2P_BUS_ADDR it did not know that some segments were bus addresses (drivers/nvme/host/pci.c).
            public DmaError Execute(PciDevice dev, SgTable sgt, DmaDirection dir, Func<ulong[], DmaError> submit)
            {
                DmaError err = Dma.MapSgTable(dev, sgt, dir);
                if (err != DmaError.None)
                {
                    return err;
                }

                var prps = new List<ulong>();
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    prps.Add(sg.DmaAddress.Raw);
                }

                err = submit(prps.ToArray());

                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    Dma.UnmapPage(dev, sg.DmaAddress, sg.DmaLength, dir);⟦P2P0013⟧
                }

                return err;
            }
        }
        """;

    private static string RdmaRwLegacyUnmapSg(string c, Rng r) => $$"""
        public sealed class {{c}}RdmaRw
        {
            // rdma_rw_ctx_init (drivers/infiniband/core/rw.c): the table is mapped P2P-aware, but the error path
            // unmaps it with a pre-6.2 (legacy) dma_unmap_sg, which unmaps bus-address entries too.
            public int CtxInit(PciDevice dev, SgTable sgt, DmaDirection dir, Func<SgTable, int> initWrs)
            {
                DmaError err = Dma.MapSgTable(dev, sgt, dir);
                if (err != DmaError.None)
                {
                    return (int)err;
                }

                int ret = initWrs(sgt);
                if (ret < 0)
                {
                    Dma.LegacyUnmapSg(dev, sgt, sgt.OrigNents, dir);⟦P2P0013⟧
                }

                return ret;
            }
        }
        """;

    private static string NvmeCmbCpuAddress(string c, Rng r) => $$"""
        public sealed class {{c}}NvmeDev
        {
            [PciBusAddress]
            public ulong CmbBusAddr;

            // nvme_map_cmb before "nvme-pci: Use PCI bus address for data/queues in CMB":
            // pci_resource_start(pdev, bar) + offset given to the controller, which decodes bus addresses.
            public void MapCmb(PciDevice pdev, int bar, ulong offset)
            {
                CmbBusAddr = pdev.Bar(bar).CpuStart.Raw + offset;⟦P2P0002⟧
            }
        }
        """;

    private static string PeerDoorbellCpuAddress(string c, Rng r) => $$"""
        public sealed class {{c}}PeerWiring
        {
            // "bus address == CPU address": true on x86, wrong on ARM and POWER host bridges that translate.
            public void Wire(PeerDoorbellRegs regs, P2PProvider provider)
            {
                regs.SetPeerDoorbell(provider.Bar.CpuStart.Raw + {{r.Hex(4, 0x100)}});⟦P2P0002⟧
            }
        }
        """;

    private static string VfioMapPhysMmio(string c, Rng r) => $$"""
        public sealed class {{c}}VfioRfcExporter
        {
            public DmaAddr Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                // DMA_ATTR_MMIO is right for THRU_HOST_BRIDGE only; a switch-local peer needs its bus address.
                return Dma.MapPhys(dev, provider.Bar.CpuStart + offset, size, DmaDirection.ToDevice, DmaAttrs.Mmio);⟦P2P0010⟧
            }
        }
        """;

    private static string XeVramMgrAllocSgt(string c, Rng r) => $$"""
        public sealed class {{c}}XeTtmVramMgr
        {
            private const int LmemBar = {{r.Pick(Bars)}};

            // xe_ttm_vram_mgr_alloc_sgt (drivers/gpu/drm/xe/xe_ttm_vram_mgr.c)
            public DmaResult<SgTable> AllocSgt(PciDevice pdev, ulong[] starts, ulong[] sizes, PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(starts.Length);
                for (int i = 0; i < starts.Length; i++)
                {
                    // phys = cursor.start + tile->mem.vram.io_start; size = min(cursor.size, SZ_2G)
                    PhysAddr ioStart = pdev.Bar(LmemBar).CpuStart;
                    PhysAddr phys = ioStart + starts[i];
                    ulong size = Math.Min(sizes[i], 1UL << 31);
                    DmaAddr addr = Dma.MapResource(dev, phys, size, dir, DmaAttrs.SkipCpuSync);⟦P2P0010⟧⟦P2P0014⟧
                    if (Dma.MappingError(dev, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sgt[i].SetPage(null, size, 0);
                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = size;
                }

                return sgt;
            }
        }
        """;

    private static string BlkPortWithoutBusAddr(string c, Rng r) => $$"""
        public sealed class {{c}}Submitter
        {
            // blk_dma_map_iter_start as a port that dropped PCI_P2PDMA_MAP_BUS_ADDR: bus-address peers now fail.
            public DmaAddr Map(PciDevice dmaDev, P2PMapState p2p, Page page, ulong len, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                switch (PciP2PDma.State(p2p, dmaDev, page))⟦P2P0012⟧
                {
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dmaDev, page.Phys, len, dir, attrs);
            }
        }
        """;

    private static string HabanaDistanceInLocal(string c, Rng r) => $$"""
        public sealed class {{c}}HlDev
        {
            public PciDevice Pdev;
        }

        public sealed class {{c}}HabanaDmaBuf
        {
            // hl_dmabuf_attach's distance check, then alloc_sgt_from_device_pages' dma_map_resource.
            public DmaResult<SgTable> Map({{c}}HlDev hdev, DmaBufAttachment attachment, ulong[] pages, ulong chunk, DmaDirection dir)
            {
                int rc = PciP2PDma.Distance(hdev.Pdev, attachment.Device);
                if (rc < 0)⟦P2P0011⟧
                {
                    return DmaError.RemoteIo;
                }

                SgTable sgt = SgTable.Alloc(pages.Length);
                for (int i = 0; i < pages.Length; i++)
                {
                    ulong barAddress = hdev.Pdev.Bar({{r.Pick(Bars)}}).CpuStart.Raw + pages[i];
                    DmaAddr addr = Dma.MapResource(attachment.Device, PhysAddr.FromRaw(barAddress), chunk, dir);
                    if (Dma.MappingError(attachment.Device, addr))
                    {
                        return DmaError.NoMemory;
                    }

                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = chunk;
                }

                return sgt;
            }
        }
        """;

    private static string MapPhysBarSkipCpuSync(string c, Rng r) => $$"""
        public sealed class {{c}}MmioExporter
        {
            public DmaAddr Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                if (PciP2PDma.MapType(provider, dev) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                PhysAddr phys = provider.Bar.CpuStart + offset;
                return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);⟦P2P0014⟧
            }
        }
        """;

    private static string BusAddrMapUnmapped(string c, Rng r) => $$"""
        public sealed class {{c}}BusExporter
        {
            public void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<DmaAddr> run)
            {
                if (PciP2PDma.MapType(provider, dev) != P2PMapType.BusAddr)
                {
                    return;
                }

                DmaAddr bus = PciP2PDma.BusAddrMap(provider, phys);
                run(bus);
                Dma.UnmapResource(dev, bus, size, DmaDirection.ToDevice);⟦P2P0013⟧
            }
        }
        """;

    private static string MvsdioSgFragsCompletion(string c, Rng r) => $$"""
        public sealed class {{c}}MvsdRequest
        {
            public SgTable Sg = SgTable.Alloc(4);
            public int SgLen = 4;
            public DmaDirection Dir;
        }

        public sealed class {{c}}MvsdHost
        {
            private readonly PciDevice _dev;
            private int _sgFrags;

            public {{c}}MvsdHost(PciDevice dev) => _dev = dev;

            public uint SysAddrLow { get; private set; }

            // mvsd_setup_data: the segment count kept for the completion
            public int SetupData({{c}}MvsdRequest data)
            {
                _sgFrags = Dma.MapSg(_dev, data.Sg, data.SgLen, data.Dir);
                if (_sgFrags == 0)
                {
                    return -12;
                }

                SysAddrLow = (uint)(data.Sg[0].DmaAddress.Raw & {{r.Hex(8, 0x100)}});
                return 0;
            }

            // mvsd_finish_data, from the interrupt handler
            public void FinishData({{c}}MvsdRequest data)
            {
                Dma.UnmapSg(_dev, data.Sg, _sgFrags, data.Dir);⟦P2P0024⟧
            }
        }
        """;

    private static string IoZcrxMapArea(string c, Rng r) => $$"""
        public sealed class {{c}}ZcrxArea
        {
            public PciDevice Dev = null!;
            public bool IsDmabuf;
            public SgTable PageSgTable = SgTable.Alloc({{r.Next(2, 9)}});
            public DmaAddr[] Niovs = new DmaAddr[{{r.Next(2, 9)}}];
            public bool IsMapped;
            public readonly object PpLock = new();

            // io_populate_area_dma: the table's DMA segments handed out per net_iov
            private int PopulateAreaDma()
            {
                int idx = 0;
                foreach (Scatterlist sg in PageSgTable)
                {
                    if (idx >= Niovs.Length)
                    {
                        return -14;
                    }

                    Niovs[idx++] = sg.DmaAddress;
                }

                return 0;
            }

            // io_zcrx_map_area: is_mapped is set only on success, so the unmap at teardown skips a table whose
            // population failed
            public int MapArea()
            {
                int ret;
                lock (PpLock)
                {
                    if (IsMapped)
                    {
                        return 0;
                    }

                    if (!IsDmabuf)
                    {
                        ret = (int)Dma.MapSgTable(Dev, PageSgTable, DmaDirection.FromDevice, DmaAttrs.SkipCpuSync | DmaAttrs.WeakOrdering);⟦P2P0022⟧
                        if (ret < 0)
                        {
                            return ret;
                        }
                    }

                    ret = PopulateAreaDma();
                    if (ret == 0)
                    {
                        IsMapped = true;
                    }

                    return ret;
                }
            }

            // io_zcrx_unmap_area
            public void UnmapArea()
            {
                lock (PpLock)
                {
                    if (!IsMapped)
                    {
                        return;
                    }

                    IsMapped = false;
                    if (!IsDmabuf)
                    {
                        Dma.UnmapSgTable(Dev, PageSgTable, DmaDirection.FromDevice, DmaAttrs.SkipCpuSync | DmaAttrs.WeakOrdering);
                    }
                }
            }
        }
        """;

    private static string SoloP2mDma(string c, Rng r) => $$"""
        public sealed class {{c}}SoloP2m
        {
            private readonly P2PDma.Fabric.DmaFabric _fabric;

            public {{c}}SoloP2m(P2PDma.Fabric.DmaFabric fabric) => _fabric = fabric;

            // solo_p2m_dma: the mapping goes to the P2M engine and is unmapped; dma_mapping_error is never asked
            public int P2mDma(PciDevice pdev, bool wr, KernelBuffer sysAddr, uint size)
            {
                DmaDirection dir = wr ? DmaDirection.ToDevice : DmaDirection.FromDevice;
                DmaAddr dmaAddr = Dma.MapSingle(pdev, sysAddr, 0, size, dir);⟦P2P0020⟧
                int ret = Transfer(pdev, dmaAddr, size);
                Dma.UnmapSingle(pdev, dmaAddr, size, dir);
                return ret;
            }

            // solo_p2m_dma_t: programs the engine and waits; it checks nothing
            private int Transfer(PciDevice pdev, DmaAddr dmaAddr, uint size) =>
                _fabric.Read(pdev, dmaAddr, (int)size).Data.Length == (int)size ? 0 : -5;
        }
        """;

    private static string Ath10kMgmtTxComp(string c, Rng r) => $$"""
        public sealed class {{c}}MgmtTxPktAddr
        {
            public KernelBuffer Vaddr = null!;
            public uint Len;
            public DmaAddr Paddr;
        }

        public sealed class {{c}}Ath10kWmi
        {
            private readonly PciDevice _dev;
            private {{c}}MgmtTxPktAddr? _pending;

            public {{c}}Ath10kWmi(PciDevice dev) => _dev = dev;

            // ath10k_wmi_mgmt_tx_send: the frame is mapped to the device and kept until the firmware completes it
            public int MgmtTxSend(KernelBuffer frame, uint len)
            {
                DmaAddr paddr = Dma.MapSingle(_dev, frame, 0, len, DmaDirection.ToDevice);
                if (Dma.MappingError(_dev, paddr))
                {
                    return -12;
                }

                _pending = new {{c}}MgmtTxPktAddr { Vaddr = frame, Len = len, Paddr = paddr };
                return 0;
            }

            // wmi_process_mgmt_tx_comp
            public int ProcessMgmtTxComp(int status)
            {
                {{c}}MgmtTxPktAddr? pktAddr = _pending;
                if (pktAddr is null)
                {
                    return -2;
                }

                Dma.UnmapSingle(_dev, pktAddr.Paddr, pktAddr.Len, DmaDirection.FromDevice);⟦P2P0021⟧
                _pending = null;
                return status + {{r.Hex(2, 1)}};
            }
        }
        """;
}
