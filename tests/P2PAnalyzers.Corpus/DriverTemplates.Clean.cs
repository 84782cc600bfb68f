using System.Collections.Generic;

namespace P2PAnalyzers.Corpus;

/// <summary>
/// Correct driver code against the companion library: proper exporters, one-call P2P mappings, the kernel's canonical
/// map-type switches, importers that read DMA addresses only, RAM mappings. None of it may draw a diagnostic.
/// </summary>
internal static partial class CleanTemplates
{
    private static readonly int[] Bars = { 0, 2, 4 };

    public static IReadOnlyList<Template> All { get; } = new Template[]
    {
        new("PhysVecExporter", "vfio_pci_dma_buf: dma_buf_phys_vec_to_sgt exporter", false, PhysVecExporter),
        new("MapP2PCopyEngine", "one-call P2P mapping (dma_map_p2p)", false, MapP2PCopyEngine),
        new("BlkDmaMapIterStart", "block/blk-mq-dma.c blk_dma_map_iter_start", false, BlkDmaMapIterStart),
        new("PhysVecToSgtPort", "drivers/dma-buf/dma-buf-mapping.c dma_buf_phys_vec_to_sgt", false, PhysVecToSgtPort),
        new("RdmaImporterDmaOnly", "ib_umem_dmabuf_map_pages: DMA addresses only", false, RdmaImporterDmaOnly),
        new("NicRamRing", "NIC ring and buffers mapped as RAM", false, NicRamRing),
        new("MapTypeSwitch", "dma_map_p2p-shaped switch on pci_p2pdma_map_type", false, MapTypeSwitch),
        new("PerPageStateSwitch", "dma_map_sgtable-style per-page pci_p2pdma_state loop", false, PerPageStateSwitch),
        new("NvmeIodP2PBusAddr", "nvme-pci IOD_P2P_BUS_ADDR guards the unmap", false, NvmeIodP2PBusAddr),
        new("NvmeSkipsBusSegments", "nvme-pci skips segments marked as bus addresses", false, NvmeSkipsBusSegments),
        new("SystemHeapExporter", "dma-buf system heap exporter: page-backed table, dma_map_sgtable", false, SystemHeapExporter),
        new("ThruHostBridgeOnly", "MMIO mapping after a map-type check and a helper that asks", false, ThruHostBridgeOnly),
        new("CmbBusAddress", "nvme CMB and peer doorbell from the bus address", false, CmbBusAddress),
        new("AmdgpuFreeSgt", "amdgpu_vram_mgr_free_sgt: unmap of its own resource mappings", false, AmdgpuFreeSgt),
        new("DmaApiHowtoSg", "dma-api-howto: the DMA side iterated over dma_map_sg's count, unmap and syncs with nents", false, DmaApiHowtoSg),
        new("DmaApiHowtoUnwind", "dma-api-howto: two mappings unwound through labels; a helper's mapping unmapped on the later failure", false, DmaApiHowtoUnwind),
        new("NvmeUnmapIterMapType", "mainline nvme_unmap_iter: unmapped only where blk_rq_dma_unmap's map type is not BUS_ADDR", false, NvmeUnmapIterMapType),
        new("Ath10kWmiOpsFixed", "ath10k through wmi_ops, as fixed: the completion unmaps DMA_TO_DEVICE", false, Ath10kWmiOpsFixed),
    };

    private static string PhysVecExporter(string c, Rng r) => $$"""
        public sealed class {{c}}VfioDmaBuf : DmaBufOps
        {
            private readonly PciDevice _vdev;
            private readonly P2PProvider _provider;
            private readonly List<PhysRange> _ranges = new();
            private readonly ulong _size;

            public {{c}}VfioDmaBuf(PciDevice vdev, P2PProvider provider, ulong offset, ulong size, int pieces)
            {
                _vdev = vdev;
                _provider = provider;
                _size = size;
                ulong piece = size / (ulong)pieces;
                for (int i = 0; i < pieces; i++)
                {
                    _ranges.Add(new PhysRange(provider.Bar.CpuStart + offset + (ulong)i * piece, piece));
                }
            }

            // vfio_pci_dma_buf_attach: refuse importers that cannot reach the BAR at all.
            public override DmaError Attach(DmaBufAttachment attach)
            {
                if (!attach.Peer2Peer)
                {
                    return DmaError.NotSupported;
                }

                return PciP2PDma.Distance(_vdev, attach.Device) < 0 ? DmaError.RemoteIo : DmaError.None;
            }

            // vfio_pci_dma_buf_map -> dma_buf_phys_vec_to_sgt
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) =>
                DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _size, dir);

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection dir) =>
                DmaBufMapping.FreeSgt(attach, table, dir);
        }
        """;

    private static string MapP2PCopyEngine(string c, Rng r) => $$"""
        public sealed class {{c}}PeerCopyEngine
        {
            private readonly HwRing _ring;

            public {{c}}PeerCopyEngine(HwRing ring) => _ring = ring;

            // One-call P2P mapping: the library asks the map type and gives a bus address or an MMIO mapping.
            public DmaError CopyFromPeer(PciDevice dev, P2PProvider provider, ulong offset, ulong size, int chunks)
            {
                PhysAddr start = provider.Bar.CpuStart + offset;
                P2PDmaMapping mapping = Dma.MapP2P(dev, provider, start, size, DmaDirection.FromDevice);
                if (mapping.Failed)
                {
                    return mapping.Error;
                }

                ulong chunk = size / (ulong)chunks;
                for (int i = 0; i < chunks; i++)
                {
                    DmaAddr addr = mapping.Address + (ulong)i * chunk;
                    _ring.Post(addr.Raw, chunk);
                }

                _ring.Doorbell((uint)chunks);
                mapping.Unmap();
                return DmaError.None;
            }
        }
        """;

    private static string BlkDmaMapIterStart(string c, Rng r) => $$"""
        public static class {{c}}BlkMqDma
        {
            // blk_dma_map_iter_start: classify the page once; BUS_ADDR gets the bus address, THRU_HOST_BRIDGE maps as MMIO.
            public static bool MapIterStart(PciDevice dmaDev, DmaIovaState state, BlkDmaIter iter, PhysVec vec, ulong totalLen, DmaDirection dir)
            {
                DmaAttrs attrs = DmaAttrs.None;
                Page page = dmaDev.Topology.Memory.PhysToPage(vec.Paddr);
                switch (PciP2PDma.State(iter.P2PDma, dmaDev, page))
                {
                    case P2PMapType.BusAddr:
                        // blk_dma_map_bus: the PCI bus address; nothing is mapped.
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider, vec.Paddr);
                        iter.Len = vec.Len;
                        return true;
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        break;
                    default:
                        iter.Status = BlkStatus.Invalid;
                        return false;
                }

                if (Dma.IovaTryAlloc(dmaDev, state, vec.Paddr, totalLen))
                {
                    // blk_rq_dma_map_iova
                    DmaError error = Dma.IovaLink(dmaDev, state, vec.Paddr, 0, vec.Len, dir, attrs);
                    if (error == DmaError.None)
                    {
                        error = Dma.IovaSync(dmaDev, state, 0, vec.Len);
                    }

                    if (error != DmaError.None)
                    {
                        Dma.IovaDestroy(dmaDev, state, 0, dir, attrs);
                        iter.Status = BlkStatus.Resource;
                        return false;
                    }

                    iter.Addr = state.Addr;
                    iter.Len = vec.Len;
                    return true;
                }

                // blk_dma_map_direct
                iter.Addr = Dma.MapPhys(dmaDev, vec.Paddr, vec.Len, dir, attrs);
                if (Dma.MappingError(dmaDev, iter.Addr))
                {
                    iter.Status = BlkStatus.Resource;
                    return false;
                }

                iter.Len = vec.Len;
                return true;
            }
        }
        """;

    private static string PhysVecToSgtPort(string c, Rng r) => $$"""
        public static class {{c}}DmaBufMappingPort
        {
            private const ulong MaxEntryLength = uint.MaxValue;

            // dma_buf_phys_vec_to_sgt: bus address, IOVA link or MMIO mapping per range; a page-less table; an error
            // path that never unmaps bus addresses.
            public static DmaResult<SgTable> PhysVecToSgt(DmaBufAttachment attach, P2PProvider provider,
                IReadOnlyList<PhysRange> physVec, ulong size, DmaDirection dir)
            {
                if (attach == null || provider == null)
                {
                    return DmaError.Invalid;
                }

                PciDevice dev = attach.Device;
                DmaIovaState state = null;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        break;
                    case P2PMapType.ThruHostBridge:
                        state = new DmaIovaState();
                        Dma.IovaTryAlloc(dev, state, PhysAddr.FromRaw(0), size);
                        break;
                    default:
                        return DmaError.Invalid;
                }

                SgTable sgt = SgTable.Alloc(CalcSgNents(state, physVec, size));
                int next = 0;
                ulong mappedLen = 0;
                DmaError ret = DmaError.None;
                int i;
                for (i = 0; i < physVec.Count; i++)
                {
                    DmaAddr addr = DmaAddr.MappingError;
                    if (state == null)
                    {
                        addr = PciP2PDma.BusAddrMap(provider, physVec[i].Start);
                    }
                    else if (Dma.UseIova(state))
                    {
                        ret = Dma.IovaLink(dev, state, physVec[i].Start, mappedLen, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (ret != DmaError.None)
                        {
                            goto ErrUnmapDma;
                        }

                        mappedLen += physVec[i].Size;
                    }
                    else
                    {
                        addr = Dma.MapPhys(dev, physVec[i].Start, physVec[i].Size, dir, DmaAttrs.Mmio);
                        if (Dma.MappingError(dev, addr))
                        {
                            ret = DmaError.Io;
                            goto ErrUnmapDma;
                        }
                    }

                    if (state == null || !Dma.UseIova(state))
                    {
                        next = FillSgEntry(sgt, next, physVec[i].Size, addr);
                    }
                }

                if (state != null && Dma.UseIova(state))
                {
                    ret = Dma.IovaSync(dev, state, 0, mappedLen);
                    if (ret != DmaError.None)
                    {
                        goto ErrUnmapDma;
                    }

                    next = FillSgEntry(sgt, next, mappedLen, state.Addr);
                }

                sgt.OrigNents = 0;
                sgt.Nents = next;
                return sgt;

            ErrUnmapDma:
                if (i == 0 || state == null)
                {
                    // Nothing mapped yet, or bus addresses only: nothing to undo.
                }
                else if (Dma.UseIova(state))
                {
                    Dma.IovaDestroy(dev, state, mappedLen, dir, DmaAttrs.Mmio);
                }
                else
                {
                    for (int j = 0; j < next; j++)
                    {
                        Dma.UnmapPhys(dev, sgt[j].DmaAddress, sgt[j].DmaLength, dir, DmaAttrs.Mmio);
                    }
                }

                return ret;
            }

            private static int CalcSgNents(DmaIovaState state, IReadOnlyList<PhysRange> physVec, ulong size)
            {
                if (state != null && Dma.UseIova(state))
                {
                    return (int)((size + MaxEntryLength - 1) / MaxEntryLength);
                }

                int nents = 0;
                foreach (PhysRange range in physVec)
                {
                    nents += (int)((range.Size + MaxEntryLength - 1) / MaxEntryLength);
                }

                return nents;
            }

            // fill_sg_entry: split a segment longer than one entry can hold.
            private static int FillSgEntry(SgTable sgt, int next, ulong length, DmaAddr addr)
            {
                for (ulong done = 0; done < length; done += MaxEntryLength)
                {
                    ulong piece = length - done < MaxEntryLength ? length - done : MaxEntryLength;
                    sgt[next].SetPage(null, 0, 0);
                    sgt[next].DmaAddress = addr + done;
                    sgt[next].DmaLength = piece;
                    next++;
                }

                return next;
            }
        }
        """;

    private static string RdmaImporterDmaOnly(string c, Rng r) => $$"""
        public sealed class {{c}}RdmaImporter
        {
            private readonly HwRing _ring;

            public {{c}}RdmaImporter(HwRing ring) => _ring = ring;

            // ib_umem_dmabuf_map_pages today: for_each_sgtable_dma_sg, sg_dma_address and sg_dma_len only.
            public DmaError Import(DmaBufAttachment attach)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
                if (mapped.Failed)
                {
                    return mapped.Error;
                }

                SgTable table = mapped.Value;
                ulong total = 0;
                foreach (Scatterlist sg in table.DmaSegments)
                {
                    if (sg.DmaLength == 0)
                    {
                        continue;
                    }

                    _ring.Post(sg.DmaAddress.Raw, sg.DmaLength);
                    total += sg.DmaLength;
                }

                DriverLog.Debug("imported {0} bytes in {1} segments", total, table.Nents);
                attach.Unmap(table, DmaDirection.ToDevice);
                return DmaError.None;
            }
        }
        """;

    private static string NicRamRing(string c, Rng r) => $$"""
        public sealed class {{c}}NicRx
        {
            private readonly DescriptorRegs _regs;
            private readonly KernelBuffer[] _buffers;
            private readonly DmaAddr[] _handles;

            public {{c}}NicRx(DescriptorRegs regs, KernelBuffer[] buffers)
            {
                _regs = regs;
                _buffers = buffers;
                _handles = new DmaAddr[buffers.Length];
            }

            // The descriptor ring and the receive buffers are RAM: dma_map_phys / dma_map_single with error checks.
            public DmaError Start(PciDevice dev, KernelBuffer ring)
            {
                DmaAddr ringAddr = Dma.MapPhys(dev, ring.VirtToPhys(0), ring.Size, DmaDirection.Bidirectional);
                if (Dma.MappingError(dev, ringAddr))
                {
                    return DmaError.NoMemory;
                }

                _regs.WriteDescriptorBase(ringAddr.Raw);
                _regs.CompletionBase = ringAddr.Raw + {{r.Hex(8, 0x100)}};
                for (int i = 0; i < _buffers.Length; i++)
                {
                    _handles[i] = Dma.MapSingle(dev, _buffers[i], 0, _buffers[i].Size, DmaDirection.FromDevice);
                    if (Dma.MappingError(dev, _handles[i]))
                    {
                        Stop(dev, i);
                        return DmaError.NoMemory;
                    }
                }

                return DmaError.None;
            }

            public void Stop(PciDevice dev, int mapped)
            {
                for (int i = mapped - 1; i >= 0; i--)
                {
                    Dma.UnmapSingle(dev, _handles[i], _buffers[i].Size, DmaDirection.FromDevice);
                    _handles[i] = DmaAddr.MappingError;
                }
            }
        }
        """;

    private static string MapTypeSwitch(string c, Rng r) => $$"""
        public sealed class {{c}}P2PMapper
        {
            // The shape of dma_map_p2p: bus address, MMIO mapping, or -EREMOTEIO.
            public DmaAddr Map(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(provider, phys);
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    default:
                        return DmaAddr.MappingError;
                }
            }

            public int MapAll(P2PProvider provider, PciDevice dev, ulong[] offsets, ulong size, DmaAddr[] result)
            {
                int mapped = 0;
                foreach (ulong offset in offsets)
                {
                    DmaAddr addr = Map(provider, dev, provider.Bar.CpuStart + offset, size);
                    if (addr == DmaAddr.MappingError)
                    {
                        break;
                    }

                    result[mapped++] = addr;
                }

                return mapped;
            }
        }
        """;

    private static string PerPageStateSwitch(string c, Rng r) => $$"""
        public sealed class {{c}}PageSubmitter
        {
            // dma_map_sgtable's per-entry loop: classify every page, then map each by its type.
            public DmaError MapAll(PciDevice dev, IReadOnlyList<Page> pages, DmaAddr[] out_)
            {
                var p2p = new P2PMapState();
                for (int i = 0; i < pages.Count; i++)
                {
                    switch (PciP2PDma.State(p2p, dev, pages[i]))
                    {
                        case P2PMapType.BusAddr:
                            out_[i] = PciP2PDma.BusAddrMap(p2p.Provider, pages[i].Phys);
                            continue;
                        case P2PMapType.ThruHostBridge:
                            out_[i] = Dma.MapPhys(dev, pages[i].Phys, Paging.PageSize, DmaDirection.ToDevice, DmaAttrs.Mmio);
                            break;
                        case P2PMapType.None:
                            out_[i] = Dma.MapPage(dev, pages[i], 0, Paging.PageSize, DmaDirection.ToDevice);
                            break;
                        default:
                            return DmaError.RemoteIo;
                    }

                    if (Dma.MappingError(dev, out_[i]))
                    {
                        return DmaError.Io;
                    }
                }

                return DmaError.None;
            }
        }
        """;

    private static string NvmeIodP2PBusAddr(string c, Rng r) => $$"""
        public sealed class {{c}}NvmeRequest
        {
            // nvme-pci since IOD_P2P_BUS_ADDR: remember that the request got a bus address and skip its unmap.
            public DmaError Execute(PciDevice dev, P2PMapState p2p, Page page, ulong len, DmaDirection dir, Func<DmaAddr, DmaError> submit)
            {
                bool p2pBusAddr = false;
                DmaAttrs attrs = DmaAttrs.None;
                DmaAddr addr;
                switch (PciP2PDma.State(p2p, dev, page))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(p2p.Provider, page.Phys);
                        p2pBusAddr = true;
                        break;
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        addr = Dma.MapPhys(dev, page.Phys, len, dir, attrs);
                        if (Dma.MappingError(dev, addr))
                        {
                            return DmaError.NoMemory;
                        }

                        break;
                    default:
                        return DmaError.RemoteIo;
                }

                DmaError err = submit(addr);
                if (!p2pBusAddr)
                {
                    Dma.UnmapPhys(dev, addr, len, dir, attrs);
                }

                return err;
            }
        }
        """;

    private static string NvmeSkipsBusSegments(string c, Rng r) => $$"""
        public sealed class {{c}}NvmeSgl
        {
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
                    if (sg.IsDmaBusAddress)
                    {
                        continue;
                    }

                    Dma.UnmapPage(dev, sg.DmaAddress, sg.DmaLength, dir);
                }

                return err;
            }

            public void Teardown(PciDevice dev, SgTable sgt, DmaDirection dir) => Dma.UnmapSgTable(dev, sgt, dir);
        }
        """;

    private static string SystemHeapExporter(string c, Rng r) => $$"""
        public sealed class {{c}}SystemHeapExporter : DmaBufOps
        {
            private readonly Page[] _pages;

            public {{c}}SystemHeapExporter(Page[] pages) => _pages = pages;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.FromPages(_pages);
                DmaError err = Dma.MapSgTable(attach.Device, table, direction);
                if (err != DmaError.None)
                {
                    return err;
                }

                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction)
            {
                Dma.UnmapSgTable(attach.Device, table, direction);
            }
        }
        """;

    private static string ThruHostBridgeOnly(string c, Rng r) => $$"""
        public sealed class {{c}}MmioWindow
        {
            private static bool GoesThroughHostBridge(P2PProvider provider, PciDevice client) =>
                PciP2PDma.MapType(provider, client) == P2PMapType.ThruHostBridge;

            public DmaAddr MapWindow(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                P2PMapType type = PciP2PDma.MapType(provider, dev);
                if (type != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                PhysAddr phys = provider.Bar.CpuStart + offset;
                return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }

            public DmaAddr MapDoorbell(P2PProvider provider, PciDevice dev)
            {
                if (!GoesThroughHostBridge(provider, dev))
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, provider.Bar.CpuStart + {{r.Hex(4, 0x1000)}}, Paging.PageSize, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """;

    private static string CmbBusAddress(string c, Rng r) => $$"""
        public sealed class {{c}}NvmeCmb
        {
            [PciBusAddress]
            public ulong CmbBusAddr;

            // nvme-pci since "Use PCI bus address for data/queues in CMB".
            public void MapCmb(PciDevice pdev, int bar, ulong offset, PeerDoorbellRegs regs, P2PProvider provider)
            {
                PciBar cmb = pdev.Bar(bar);
                CmbBusAddr = cmb.BusStart.Raw + offset;
                regs.SetPeerDoorbell(provider.Bar.BusStart.Raw + {{r.Hex(4, 0x100)}});
            }
        }
        """;

    private static string AmdgpuFreeSgt(string c, Rng r) => $$"""
        public static class {{c}}VramMgr
        {
            // amdgpu_vram_mgr_free_sgt: the entries were made with dma_map_resource, so unmapping them is right here.
            public static void FreeSgt(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                foreach (Scatterlist sg in sgt)
                {
                    if (sg.DmaLength == 0)
                    {
                        continue;
                    }

                    Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, dir);
                }
            }
        }
        """;

    private static string DmaApiHowtoUnwind(string c, Rng r) => $$"""
        public sealed class {{c}}Unwind
        {
            private readonly PciDevice _dev;
            private readonly DmaAddr[] _ring = new DmaAddr[{{r.Next(2, 9)}}];
            private SgTable _sg = SgTable.Alloc({{r.Next(1, 5)}});
            private int _sgCount;

            public {{c}}Unwind(PciDevice dev) => _dev = dev;

            // Documentation/core-api/dma-api-howto.rst: map_error_handling1/2
            public int Xmit(KernelBuffer hdr, KernelBuffer payload, ulong size)
            {
                int ret;
                DmaAddr dmaAddr1 = Dma.MapSingle(_dev, hdr, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(_dev, dmaAddr1))
                {
                    ret = -12;
                    goto mapErrorHandling1;
                }

                DmaAddr dmaAddr2 = Dma.MapSingle(_dev, payload, 0, size, DmaDirection.ToDevice);
                if (Dma.MappingError(_dev, dmaAddr2))
                {
                    ret = -12;
                    goto mapErrorHandling2;
                }

                _ring[0] = dmaAddr1;
                _ring[1] = dmaAddr2;
                return 0;

            mapErrorHandling2:
                Dma.UnmapSingle(_dev, dmaAddr1, size, DmaDirection.ToDevice);
            mapErrorHandling1:
                return ret;
            }

            // a helper that maps the buffer's table and keeps the count (cx25821_alsa_dma_map)
            private int DmaMap()
            {
                _sgCount = Dma.MapSg(_dev, _sg, _sg.Count, DmaDirection.FromDevice);
                return _sgCount == 0 ? -12 : 0;
            }

            private int DmaUnmap()
            {
                if (_sgCount == 0)
                {
                    return 0;
                }

                Dma.UnmapSg(_dev, _sg, _sg.Count, DmaDirection.FromDevice);
                _sgCount = 0;
                return 0;
            }

            private int BuildProgram(int lines) => lines > 0 ? 0 : -22;

            // snd_cx25821_hw_params as fixed: the helper's mapping unmapped when the program cannot be built
            public int HwParams(int lines)
            {
                int ret = DmaMap();
                if (ret < 0)
                {
                    return ret;
                }

                ret = BuildProgram(lines);
                if (ret < 0)
                {
                    DmaUnmap();
                    return ret;
                }

                return 0;
            }
        }
        """;

    private static string DmaApiHowtoSg(string c, Rng r) => $$"""
        public sealed class {{c}}SgSubmitter
        {
            private readonly ulong[] _hw = new ulong[16];

            public int Submit(PciDevice dev, SgTable sglist, int nents)
            {
                int count = Dma.MapSg(dev, sglist, nents, DmaDirection.ToDevice);
                if (count == 0)
                {
                    return -12;
                }

                for (int i = 0; i < count && i < _hw.Length; i++)
                {
                    _hw[i] = sglist[i].DmaAddress.Raw + {{r.Hex(4, 0x10)}};
                }

                Dma.SyncSgForDevice(dev, sglist, nents, DmaDirection.ToDevice);
                return count;
            }

            public void Complete(PciDevice dev, SgTable sglist, int nents)
            {
                Dma.SyncSgForCpu(dev, sglist, nents, DmaDirection.ToDevice);
                Dma.UnmapSg(dev, sglist, nents, DmaDirection.ToDevice);
            }
        }
        """;
}
