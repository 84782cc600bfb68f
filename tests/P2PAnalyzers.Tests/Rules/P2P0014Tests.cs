using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0014SkipCpuSyncForMmioAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0014: DmaAttrs.SkipCpuSync where MMIO is meant: always for Dma.MapResource, for MapPhys and MapPage when the
/// address is BAR memory. Reported at the attributes argument.
/// </summary>
public sealed class P2P0014Tests
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
    public Task AmdgpuVramMgrAllocSgt_MapResourceWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class AmdgpuVramMgr
        {
            // amdgpu_vram_mgr_alloc_sgt: dma_map_resource(dev, phys, size, dir, DMA_ATTR_SKIP_CPU_SYNC)
            DmaAddr MapBlock(PciDevice adevPdev, PciDevice dev, ulong start, ulong size, DmaDirection dir)
            {
                PhysAddr phys = adevPdev.Bar(0).CpuStart + start;
                return Dma.MapResource(dev, phys, size, dir, {|#0:DmaAttrs.SkipCpuSync|});
            }
        }
        """,
        Verifier.Diagnostic("P2P0014").WithLocation(0).WithArguments("Dma.MapResource", "maps MMIO (a resource)"));

    [Fact]
    public Task XeTtmVramMgrAllocSgt_MapResourceWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class XeTtmVramMgr
        {
            // xe_ttm_vram_mgr_alloc_sgt
            DmaAddr MapBlock(PhysAddr ioStart, PciDevice dev, ulong start, ulong size, DmaDirection dir) =>
                Dma.MapResource(dev, ioStart + start, Math.Min(size, 1UL << 31), dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
        }
        """);

    [Fact]
    public Task HabanalabsAllocSgtFromDevicePages_MapResourceWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class HabanaMemory
        {
            // alloc_sgt_from_device_pages
            DmaAddr MapChunk(ulong dramPciBarStart, ulong addr, ulong dramBase, PciDevice dev, ulong chunk, DmaDirection dir)
            {
                ulong barAddress = dramPciBarStart + (addr - dramBase);
                return Dma.MapResource(dev, PhysAddr.FromRaw(barAddress), chunk, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """);

    [Fact]
    public Task Vfio2022RfcDmaBufMap_MapResourceWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class VfioExporter
        {
            // vfio_pci_dma_buf_map, 2022 RFC
            DmaAddr Map(DmaBufAttachment attachment, PciDevice vdev, int index, ulong offset, ulong size, DmaDirection dir) =>
                Dma.MapResource(attachment.Device, vdev.Bar(index).CpuStart + offset, size, dir, {|P2P0014:DmaAttrs.SkipCpuSync|});
        }
        """);

    [Fact]
    public Task MapPhysOfBarWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                if (PciP2PDma.MapType(provider, dev) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                PhysAddr phys = provider.Bar.CpuStart + offset;
                return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, {|#0:DmaAttrs.SkipCpuSync|});
            }
        }
        """,
        Verifier.Diagnostic("P2P0014").WithLocation(0).WithArguments("Dma.MapPhys", "maps BAR memory (PciBar.CpuStart)"));

    [Fact]
    public Task MapPageOfPeerPageWithSkipCpuSync_Reports() => Verifier.Analyzer(Usings + """
        class Importer
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong offset)
            {
                Page page = dev.Topology.Memory.PhysToPage(peer.Bar(0).CpuStart + offset);
                return Dma.MapPage(dev, page, 0, Paging.PageSize, DmaDirection.FromDevice, {|P2P0014:DmaAttrs.SkipCpuSync|});
            }
        }
        """);

    [Fact]
    public Task SkipCpuSyncCombinedWithWeakOrdering_ReportsWholeArgument() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size) =>
                Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice, {|P2P0014:DmaAttrs.WeakOrdering | DmaAttrs.SkipCpuSync|});
        }
        """);

    [Fact]
    public Task NamedArgumentsOutOfOrder_ReportsAtAttrs() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size) =>
                Dma.MapResource(dev, peer.Bar(0).CpuStart, size, attrs: {|P2P0014:DmaAttrs.SkipCpuSync|}, dir: DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task SkipCpuSyncThroughConstant_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            const DmaAttrs VramAttrs = DmaAttrs.SkipCpuSync;

            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size) =>
                Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice, {|P2P0014:VramAttrs|});
        }
        """);

    [Fact]
    public Task SkipCpuSyncThroughLocal_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size, bool weak)
            {
                DmaAttrs attrs = DmaAttrs.SkipCpuSync;
                if (weak)
                {
                    attrs |= DmaAttrs.WeakOrdering;
                }

                return Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice, {|P2P0014:attrs|});
            }
        }
        """);

    // ---------------------------------------------------------------- RAM, MMIO and look-alikes

    [Fact]
    public Task SkipCpuSyncOnRamMapPhysAndMapPage_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            // The attribute exists for RAM: the driver syncs the cache itself.
            void Map(PciDevice dev, KernelBuffer buf, ulong size)
            {
                DmaAddr a = Dma.MapPhys(dev, buf.Phys, size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
                DmaAddr b = Dma.MapPhys(dev, buf.VirtToPhys(64), size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
                Page[] pages = dev.Topology.Memory.AllocPages(1);
                DmaAddr c = Dma.MapPage(dev, pages[0], 0, Paging.PageSize, DmaDirection.FromDevice, DmaAttrs.SkipCpuSync);
            }
        }
        """);

    [Fact]
    public Task SkipCpuSyncOnAddressOfUnknownOrigin_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice dev, PhysAddr phys, Page page, ulong size)
            {
                DmaAddr a = Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
                return Dma.MapPage(dev, page, 0, size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
            }
        }
        """);

    [Fact]
    public Task MmioAttributeOnBarMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void Map(PciDevice peer, PciDevice dev, ulong size)
            {
                DmaAddr a = Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                DmaAddr b = Dma.MapPhys(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio | DmaAttrs.WeakOrdering);
                DmaAddr c = Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice);
            }
        }
        """);

    [Fact]
    public Task BarMappedWithoutAnyAttribute_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size) =>
                Dma.MapPhys(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task AddressReassignedToRamBeforeMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, KernelBuffer bounce, ulong size)
            {
                PhysAddr phys = peer.Bar(0).CpuStart;
                Console.WriteLine(phys);
                phys = bounce.Phys;
                return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
            }
        }
        """);

    [Fact]
    public Task RealAttrsOnLookAlikeMapCall_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Sdk
        {
            static class Dma
            {
                public static ulong MapResource(PciDevice dev, PhysAddr phys, ulong size, DmaAttrs attrs) => phys.Raw;
            }
        }

        class Exporter
        {
            ulong Map(PciDevice peer, PciDevice dev, ulong size) =>
                Vendor.Sdk.Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaAttrs.SkipCpuSync);
        }
        """);

    [Fact]
    public Task SkipCpuSyncOnTableMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Map(PciDevice dev, SgTable ram, SgTable mixed)
            {
                int n = Dma.MapSg(dev, ram, ram.OrigNents, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
                DmaError err = Dma.MapSgTable(dev, mixed, DmaDirection.ToDevice, DmaAttrs.SkipCpuSync);
            }
        }
        """);

    [Fact]
    public Task BlkDmaMapIterStart_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.BlkDmaMapIterStart);

    [Fact]
    public Task DmaBufPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt);

    [Fact]
    public Task LookAlikeDmaAttrsInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Dma
        {
            [Flags]
            enum DmaAttrs { None = 0, SkipCpuSync = 1 << 5 }

            static class Mapper
            {
                public static ulong MapResource(PciDevice dev, PhysAddr phys, ulong size, DmaAttrs attrs) => phys.Raw;
            }
        }

        class Exporter
        {
            ulong Map(PciDevice peer, PciDevice dev, ulong size) =>
                Vendor.Dma.Mapper.MapResource(dev, peer.Bar(0).CpuStart, size, Vendor.Dma.DmaAttrs.SkipCpuSync);
        }
        """);

    [Fact]
    public Task WithoutCompanionLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace P2PLike
        {
            [System.Flags]
            enum DmaAttrs { None = 0, SkipCpuSync = 1 << 5 }
            static class Dma { public static ulong MapResource(object dev, ulong phys, ulong size, DmaAttrs attrs) => phys; }

            class Exporter
            {
                ulong Map(object dev, ulong bar) => Dma.MapResource(dev, bar, 4096, DmaAttrs.SkipCpuSync);
            }
        }
        """, withLibrary: false);
}
