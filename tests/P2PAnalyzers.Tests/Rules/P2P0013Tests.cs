using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0013BusAddressUnmappedAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0013: a bus address is unmapped. Definite (PciP2PDma.BusAddrMap), possible (a P2P mapping's Address), an entry of a
/// P2P-mapped table whose bus-address flag was not checked, or a legacy UnmapSg of a P2P-mapped table.
/// </summary>
public sealed class P2P0013Tests
{
    // Eight usings and a blank line: the test code starts on line 9.
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // ---------------------------------------------------------------- the driver habits (section 4)

    [Fact]
    public Task NvmePciUnmapsEverySegmentOfP2PMappedTable_BeforeIodP2PBusAddr_Reports() => Verifier.Analyzer(Usings + """
        class NvmePci
        {
            // nvme-pci maps the request, builds its PRP list, runs it and unmaps every segment it recorded; before
            // IOD_P2P_BUS_ADDR it did not know that some segments were bus addresses (drivers/nvme/host/pci.c).
            DmaError Execute(PciDevice dev, SgTable sgt, DmaDirection dir, Func<ulong[], DmaError> submit)
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
                    {|#0:Dma.UnmapPage(dev, sg.DmaAddress, sg.DmaLength, dir)|};
                }

                return err;
            }
        }
        """,
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments(
            "Dma.UnmapPage",
            "sg.DmaAddress",
            "may be a PCI bus address: its table was mapped P2P-aware (Dma.MapSgTable) and the entry's IsDmaBusAddress is not checked"));

    [Fact]
    public Task RdmaRwCtxInitErrorPathUsesLegacyUnmapSg_Reports() => Verifier.Analyzer(Usings + """
        class RdmaRw
        {
            // rdma_rw_ctx_init (drivers/infiniband/core/rw.c): the table is mapped P2P-aware, but the error path
            // unmaps it with the legacy ib_dma_unmap_sg, which unmaps bus-address entries too.
            int CtxInit(PciDevice dev, SgTable sgt, DmaDirection dir, Func<SgTable, int> initWrs)
            {
                DmaError err = Dma.MapSgTable(dev, sgt, dir);
                if (err != DmaError.None)
                {
                    return (int)err;
                }

                int ret = initWrs(sgt);
                if (ret < 0)
                {
                    {|#0:Dma.LegacyUnmapSg(dev, sgt, sgt.OrigNents, dir)|};
                }

                return ret;
            }
        }
        """,
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments(
            "Dma.LegacyUnmapSg",
            "sgt",
            "was mapped P2P-aware (Dma.MapSgTable) and may hold bus-address entries; use Dma.UnmapSgTable"));

    [Fact]
    public Task BusAddrMapResultUnmappedLikeAnMmioMapping_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<DmaAddr> run)
            {
                if (PciP2PDma.MapType(provider, dev) != P2PMapType.BusAddr)
                {
                    return;
                }

                DmaAddr bus = PciP2PDma.BusAddrMap(provider, phys);
                run(bus);
                {|#0:Dma.UnmapResource(dev, bus, size, DmaDirection.ToDevice)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments(
            "Dma.UnmapResource", "bus", "is a PCI bus address (PciP2PDma.BusAddrMap)"));

    [Fact]
    public Task P2PMappingAddressUnmappedWithUnmapPhys_Reports() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<DmaAddr> run)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return;
                }

                run(m.Address);
                {|#0:Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """,
        Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments(
            "Dma.UnmapPhys", "m.Address", "may be a PCI bus address (Dma.MapP2P): undo the mapping with its Unmap()"));

    [Fact]
    public Task P2PMappingAddressKeptInDescriptorThenUnmapped_Reports() => Verifier.Analyzer(Usings + """
        struct Descriptor { public DmaAddr Addr; public ulong Len; }

        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<Descriptor> run)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.FromDevice);
                if (m.Failed)
                {
                    return;
                }

                Descriptor d;
                d.Addr = m.Address;
                d.Len = size;
                run(d);
                Descriptor done = d;
                {|P2P0013:Dma.UnmapSingle(dev, done.Addr, done.Len, DmaDirection.FromDevice)|};
            }
        }
        """);

    [Fact]
    public Task AddressFromBusAddrOrMmioBranchUnmappedUnconditionally_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<DmaAddr> run)
            {
                DmaAddr addr;
                switch (PciP2PDma.MapType(provider, dev))
                {
                    case P2PMapType.BusAddr:
                        addr = PciP2PDma.BusAddrMap(provider, phys);
                        break;
                    case P2PMapType.ThruHostBridge:
                        addr = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                        break;
                    default:
                        return;
                }

                run(addr);
                {|P2P0013:Dma.UnmapPhys(dev, addr, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task P2PTableEntriesUnmappedByIndex_Reports() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Teardown(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                if (Dma.MapSgTable(dev, sgt, dir) != DmaError.None)
                {
                    return;
                }

                for (int i = 0; i < sgt.Nents; i++)
                {
                    {|P2P0013:Dma.UnmapSingle(dev, sgt[i].DmaAddress, sgt[i].DmaLength, dir)|};
                }
            }
        }
        """);

    // ---------------------------------------------------------------- flow: which guards count

    [Fact]
    public Task GuardOnAnotherMappingDoesNotCount_Reports() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Teardown(P2PDmaMapping m, P2PDmaMapping other, PciDevice dev, PhysAddr phys, P2PProvider provider)
            {
                P2PDmaMapping mine = Dma.MapP2P(dev, provider, phys, 4096, DmaDirection.ToDevice);
                if (!other.IsBusAddress)
                {
                    {|P2P0013:Dma.UnmapPhys(dev, mine.Address, 4096, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
                }
            }
        }
        """);

    [Fact]
    public Task GuardOnlyAroundLoggingThenUnmapAfterJoin_Reports() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return;
                }

                if (!m.IsBusAddress)
                {
                    Console.WriteLine("mapped through the IOMMU");
                }

                {|P2P0013:Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task MappingUndoneWithItsOwnUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size, Action<DmaAddr> run)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return;
                }

                run(m.Address);
                m.Unmap();
            }
        }
        """);

    [Fact]
    public Task UnmapGuardedByNotIsBusAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return;
                }

                if (!m.IsBusAddress)
                {
                    Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }
            }
        }
        """);

    [Fact]
    public Task UnmapGuardedByMapTypeNotBusAddr_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed)
                {
                    return;
                }

                if (m.MapType != P2PMapType.BusAddr)
                {
                    Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }
            }
        }
        """);

    [Fact]
    public Task UnmapGuardedByMapTypeIsThruHostBridge_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (!m.Failed && m.MapType == P2PMapType.ThruHostBridge)
                {
                    Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }
            }
        }
        """);

    [Fact]
    public Task EarlyReturnOnIsBusAddressBeforeUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            void Transfer(P2PProvider provider, PciDevice dev, PhysAddr phys, ulong size)
            {
                P2PDmaMapping m = Dma.MapP2P(dev, provider, phys, size, DmaDirection.ToDevice);
                if (m.Failed || m.IsBusAddress)
                {
                    return;
                }

                Dma.UnmapPhys(dev, m.Address, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    // ---------------------------------------------------------------- correct code and look-alikes

    [Fact]
    public Task NvmePciSkipsBusAddressSegments_IsDmaBusAddressChecked_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class NvmePci
        {
            DmaError Execute(PciDevice dev, SgTable sgt, DmaDirection dir, Func<ulong[], DmaError> submit)
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
        }
        """);

    [Fact]
    public Task NvmeIodP2PBusAddrFlagGuardsUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class NvmePci
        {
            // nvme-pci since IOD_P2P_BUS_ADDR: remember that the request got a bus address and skip its unmap.
            DmaError Execute(PciDevice dev, P2PMapState p2p, Page page, ulong len, DmaDirection dir, Func<DmaAddr, DmaError> submit)
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
        """);

    // The same, with the flag set first in the BusAddr arm (nvme_pci_setup_data_prp's order: the iod flag, then the
    // address).
    [Fact]
    public Task BusAddrFlagSetBeforeTheBusAddressGuardsUnmap_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class NvmePci
        {
            DmaError Execute(PciDevice dev, P2PMapState p2p, Page page, ulong len, DmaDirection dir, Func<DmaAddr, DmaError> submit)
            {
                bool p2pBusAddr = false;
                DmaAddr addr;
                switch (PciP2PDma.State(p2p, dev, page))
                {
                    case P2PMapType.BusAddr:
                        p2pBusAddr = true;
                        addr = PciP2PDma.BusAddrMap(p2p.Provider, page.Phys);
                        break;
                    case P2PMapType.ThruHostBridge:
                    case P2PMapType.None:
                        addr = Dma.MapPhys(dev, page.Phys, len, dir, DmaAttrs.Mmio);
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
                    Dma.UnmapPhys(dev, addr, len, dir, DmaAttrs.Mmio);
                }

                return err;
            }
        }
        """);

    // blk_rq_dma_unmap since the 2025 P2P unmap fix: true ("nothing left to unmap") for PCI_P2PDMA_MAP_BUS_ADDR; nvme_unmap_iter
    // unmaps the iterator's segment only when it returns false.
    private const string BlkRqDmaUnmap = """
        public static bool RqDmaUnmap(PciDevice dev, ulong len, P2PMapType map)
            {
                if (map == P2PMapType.BusAddr)
                {
                    return true;
                }

                return false;
            }
        """;

    private const string BlkDmaIterSources = """
        // struct blk_dma_iter: the segment's address, and the P2P state that says whether it is a bus address
        sealed class BlkDmaIter
        {
            public DmaAddr Addr;
            public ulong Len;
            public P2PMapState P2PDma = new();
        }

        static class BlkMqDma
        {
            // blk_dma_map_iter_start (one segment): a bus address, or a mapping
            public static bool MapIterStart(PciDevice dev, BlkDmaIter iter, Page page, ulong len, DmaDirection dir)
            {
                iter.Len = len;
                switch (PciP2PDma.State(iter.P2PDma, dev, page))
                {
                    case P2PMapType.BusAddr:
                        iter.Addr = PciP2PDma.BusAddrMap(iter.P2PDma.Provider!, page.Phys);
                        return true;
                    case P2PMapType.ThruHostBridge:
                    case P2PMapType.None:
                        iter.Addr = Dma.MapPhys(dev, page.Phys, len, dir, DmaAttrs.None);
                        return !Dma.MappingError(dev, iter.Addr);
                    default:
                        return false;
                }
            }

            %UNMAP%
        }
        """;

    [Fact]
    public Task UnmapUnderHelperTrueForBusAddrMapType_NvmeUnmapIter_NoDiagnostic() => Verifier.Analyzer(Usings + BlkDmaIterSources.Replace("%UNMAP%", BlkRqDmaUnmap) + """
        static class NvmePci
        {
            // nvme_unmap_iter
            static void UnmapIter(PciDevice dev, BlkDmaIter iter, DmaDirection dir)
            {
                if (!BlkMqDma.RqDmaUnmap(dev, iter.Len, iter.P2PDma.Map))
                {
                    Dma.UnmapPhys(dev, iter.Addr, iter.Len, dir, DmaAttrs.None);
                }
            }
        }
        """);

    // The helper's true is about another map type: the unmap still runs for bus addresses.
    [Fact]
    public Task UnmapUnderHelperTrueForThruHostBridge_Reports() => Verifier.Analyzer(Usings + BlkDmaIterSources.Replace("%UNMAP%", BlkRqDmaUnmap.Replace("P2PMapType.BusAddr", "P2PMapType.ThruHostBridge")) + """
        static class NvmePci
        {
            static void UnmapIter(PciDevice dev, BlkDmaIter iter, DmaDirection dir)
            {
                if (!BlkMqDma.RqDmaUnmap(dev, iter.Len, iter.P2PDma.Map))
                {
                    {|#0:Dma.UnmapPhys(dev, iter.Addr, iter.Len, dir, DmaAttrs.None)|};
                }
            }
        }
        """, Verifier.Diagnostic("P2P0013").WithLocation(0).WithArguments("Dma.UnmapPhys", "iter.Addr",
            "is a PCI bus address on some paths (PciP2PDma.BusAddrMap, stored into BlkDmaIter.Addr in MapIterStart): unmap only what was mapped"));

    // nvme_unmap_data: the iod flag set in the BusAddr arm becomes a local map type handed to blk_rq_dma_unmap, whose
    // false guards every call of nvme_free_prps.
    [Fact]
    public Task FreePrpsCalledOnlyWhereHelperSaysMapTypeIsNotBusAddr_NvmeUnmapData_NoDiagnostic() => Verifier.Analyzer(Usings + BlkDmaIterSources.Replace("%UNMAP%", BlkRqDmaUnmap) + """
        [Flags]
        enum IodFlags { None = 0, DataP2P = 1, DataMmio = 2 }

        sealed class NvmeIod
        {
            public IodFlags Flags;
            public DmaAddr[] Addrs = new DmaAddr[4];
            public ulong[] Lens = new ulong[4];
            public int NrDmaVecs;
        }

        static class NvmePci
        {
            // nvme_pci_setup_data_prp (one segment)
            static bool SetupData(PciDevice dev, NvmeIod iod, BlkDmaIter iter, Page page, ulong len, DmaDirection dir)
            {
                if (!BlkMqDma.MapIterStart(dev, iter, page, len, dir))
                {
                    return false;
                }

                switch (iter.P2PDma.Map)
                {
                    case P2PMapType.BusAddr:
                        iod.Flags |= IodFlags.DataP2P;
                        break;
                    case P2PMapType.ThruHostBridge:
                        iod.Flags |= IodFlags.DataMmio;
                        break;
                }

                iod.Addrs[iod.NrDmaVecs] = iter.Addr;
                iod.Lens[iod.NrDmaVecs++] = iter.Len;
                return true;
            }

            // nvme_free_prps
            static void FreePrps(PciDevice dev, NvmeIod iod, DmaDirection dir)
            {
                for (int i = 0; i < iod.NrDmaVecs; i++)
                {
                    Dma.UnmapPhys(dev, iod.Addrs[i], iod.Lens[i], dir, DmaAttrs.None);
                }
            }

            // nvme_unmap_data
            static void UnmapData(PciDevice dev, NvmeIod iod, DmaDirection dir)
            {
                P2PMapType map = P2PMapType.None;
                if ((iod.Flags & IodFlags.DataP2P) != 0)
                {
                    map = P2PMapType.BusAddr;
                }
                else if ((iod.Flags & IodFlags.DataMmio) != 0)
                {
                    map = P2PMapType.ThruHostBridge;
                }

                if (!BlkMqDma.RqDmaUnmap(dev, iod.Lens[0], map))
                {
                    FreePrps(dev, iod, dir);
                }
            }
        }
        """);

    [Fact]
    public Task P2PAwareTableUnmappedWithUnmapSgTable_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class RdmaRw
        {
            int CtxInit(PciDevice dev, SgTable sgt, DmaDirection dir, Func<SgTable, int> initWrs)
            {
                DmaError err = Dma.MapSgTable(dev, sgt, dir);
                if (err != DmaError.None)
                {
                    return (int)err;
                }

                int ret = initWrs(sgt);
                if (ret < 0)
                {
                    Dma.UnmapSgTable(dev, sgt, dir);
                }

                return ret;
            }
        }
        """);

    [Fact]
    public Task LegacyMapSgWithLegacyUnmapSg_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Run(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                int count = Dma.LegacyMapSg(dev, sgt, sgt.OrigNents, dir);
                if (count == 0)
                {
                    return;
                }

                Dma.LegacyUnmapSg(dev, sgt, sgt.OrigNents, dir);
            }
        }
        """);

    [Fact]
    public Task MapSgTableThenUnmapSg_UnmapSgIsP2PAwareSince62_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Run(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                if (Dma.MapSgTable(dev, sgt, dir) != DmaError.None)
                {
                    return;
                }

                // dma_unmap_sg skips and unmarks bus-address entries (kernel/dma/direct.c, drivers/iommu/dma-iommu.c).
                Dma.UnmapSg(dev, sgt, sgt.OrigNents, dir);
            }
        }
        """);

    [Fact]
    public Task UnmapsOfOrdinaryMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Run(PciDevice dev, KernelBuffer buf, PciDevice peer, ulong size)
            {
                DmaAddr a = Dma.MapSingle(dev, buf, 0, size, DmaDirection.ToDevice);
                DmaAddr b = Dma.MapPhys(dev, buf.Phys, size, DmaDirection.ToDevice);
                DmaAddr c = Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice);
                DmaAddr d = Dma.MapPage(dev, buf.Page, 0, size, DmaDirection.ToDevice);
                Dma.UnmapSingle(dev, a, size, DmaDirection.ToDevice);
                Dma.UnmapPhys(dev, b, size, DmaDirection.ToDevice);
                Dma.UnmapResource(dev, c, size, DmaDirection.ToDevice);
                Dma.UnmapPage(dev, d, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task AmdgpuVramMgrFreeSgtUnmapsItsOwnResourceMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class AmdgpuVramMgr
        {
            // amdgpu_vram_mgr_free_sgt: the entries were made with dma_map_resource, so unmapping them is right here.
            void FreeSgt(PciDevice dev, SgTable sgt, DmaDirection dir)
            {
                foreach (Scatterlist sg in sgt)
                {
                    Dma.UnmapResource(dev, sg.DmaAddress, sg.DmaLength, dir, DmaAttrs.SkipCpuSync);
                }
            }
        }
        """);

    [Fact]
    public Task BlkDmaMapIterStart_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.BlkDmaMapIterStart);

    [Fact]
    public Task DmaBufPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt);

    [Fact]
    public Task LookAlikeBusAddrMapInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.P2P
        {
            static class PciP2PDma
            {
                public static DmaAddr BusAddrMap(P2PProvider provider, PhysAddr phys) => DmaAddr.FromRaw(phys.Raw);
            }
        }

        class Driver
        {
            void Run(P2PProvider provider, PciDevice dev, PhysAddr phys)
            {
                DmaAddr addr = Vendor.P2P.PciP2PDma.BusAddrMap(provider, phys);
                Dma.UnmapPhys(dev, addr, 4096, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task WithoutCompanionLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace P2PLike
        {
            static class PciP2PDma { public static ulong BusAddrMap(object provider, ulong phys) => phys; }
            static class Dma { public static void UnmapPhys(object dev, ulong addr, ulong size) { } }

            class Driver
            {
                void Run(object provider, object dev, ulong phys) => Dma.UnmapPhys(dev, PciP2PDma.BusAddrMap(provider, phys), 4096);
            }
        }
        """, withLibrary: false);
}
