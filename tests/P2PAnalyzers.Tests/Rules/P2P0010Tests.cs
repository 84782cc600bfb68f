using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.Rules;
using P2PAnalyzers.Tests.Infrastructure;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0010: a generic mapping call (Dma.MapResource, MapPhys, MapPage) of BAR memory with no map-type decision for
/// that provider and device on every path to it.
/// </summary>
public sealed class P2P0010Tests
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
    public Task AmdgpuVramMgrAllocSgt_MapResourceOfApertureWithoutMapType_Reports() => Verifier.Analyzer(Usings + """
        struct VramBlock { public ulong Start; public ulong Size; }

        class AmdgpuVramMgr
        {
            // amdgpu_vram_mgr_alloc_sgt (drivers/gpu/drm/amd/amdgpu/amdgpu_vram_mgr.c)
            public DmaResult<SgTable> AllocSgt(PciDevice adevPdev, VramBlock[] cursor, PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(cursor.Length);
                for (int i = 0; i < cursor.Length; i++)
                {
                    // phys = cursor.start + adev->gmc.aper_base, the CPU address of BAR 0
                    PhysAddr phys = adevPdev.Bar(0).CpuStart + cursor[i].Start;
                    ulong size = cursor[i].Size;
                    DmaAddr addr = {|#0:Dma.MapResource(dev, phys, size, dir, DmaAttrs.SkipCpuSync)|};
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
        """,
        Verifier.Diagnostic("P2P0010").WithLocation(0).WithArguments("Dma.MapResource", "PciBar.CpuStart", "dev"));

    [Fact]
    public Task XeTtmVramMgrAllocSgt_MapResourceOfLmemBarWithoutMapType_Reports() => Verifier.Analyzer(Usings + """
        class XeTtmVramMgr
        {
            const int LmemBar = 2;

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
                    DmaAddr addr = {|P2P0010:Dma.MapResource(dev, phys, size, dir, DmaAttrs.SkipCpuSync)|};
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
        """);

    [Fact]
    public Task HabanalabsAllocSgtFromDevicePages_MapResourceOfDramBarWithoutMapType_Reports() => Verifier.Analyzer(Usings + """
        class HlDevice
        {
            public PciDevice Pdev;
            public ulong DramBaseAddress;
        }

        class HabanaMemory
        {
            const int DramBarId = 4;

            // alloc_sgt_from_device_pages (drivers/accel/habanalabs/common/memory.c)
            SgTable AllocSgtFromDevicePages(HlDevice hdev, ulong[] pages, ulong chunkSize, PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(pages.Length);
                for (int i = 0; i < pages.Length; i++)
                {
                    // bar_address = hdev->dram_pci_bar_start + (addr - prop->dram_base_address)
                    ulong barAddress = hdev.Pdev.Bar(DramBarId).CpuStart.Raw + (pages[i] - hdev.DramBaseAddress);
                    DmaAddr dmaAddr = {|P2P0010:Dma.MapResource(dev, PhysAddr.FromRaw(barAddress), chunkSize, dir, DmaAttrs.SkipCpuSync)|};
                    if (Dma.MappingError(dev, dmaAddr))
                    {
                        return null;
                    }

                    sgt[i].SetPage(null, chunkSize, 0);
                    sgt[i].DmaAddress = dmaAddr;
                    sgt[i].DmaLength = chunkSize;
                }

                return sgt;
            }
        }
        """);

    [Fact]
    public Task Vfio2022RfcDmaBufMap_MapResourceOfExportedBarWithoutMapType_Reports() => Verifier.Analyzer(Usings + """
        class VfioPciDmaBuf
        {
            public PciDevice Vdev;
            public int Index;
            public ulong Offset;
            public ulong Size;
        }

        class VfioExporter
        {
            // vfio_pci_dma_buf_map, 2022 RFC (drivers/vfio/pci/vfio_pci_dma_buf.c)
            DmaResult<SgTable> Map(DmaBufAttachment attachment, VfioPciDmaBuf priv, DmaDirection dir)
            {
                DmaAddr dmaAddr = {|P2P0010:Dma.MapResource(
                    attachment.Device,
                    priv.Vdev.Bar(priv.Index).CpuStart + priv.Offset,
                    priv.Size, dir, DmaAttrs.SkipCpuSync)|};
                if (Dma.MappingError(attachment.Device, dmaAddr))
                {
                    return DmaError.NoMemory;
                }

                SgTable sgt = SgTable.Alloc(1);
                sgt[0].SetPage(null, priv.Size, 0);
                sgt[0].DmaAddress = dmaAddr;
                sgt[0].DmaLength = priv.Size;
                return sgt;
            }
        }
        """);

    [Fact]
    public Task ProviderBarMappedWithMapPhysMmio_MmioSaysHowNotWhether_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                // DMA_ATTR_MMIO is right for THRU_HOST_BRIDGE only; a switch-local peer needs its bus address.
                return {|P2P0010:Dma.MapPhys(dev, provider.Bar.CpuStart + offset, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task PeerPageFromPhysToPageMappedWithMapPage_Reports() => Verifier.Analyzer(Usings + """
        class Importer
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong offset)
            {
                Page page = dev.Topology.Memory.PhysToPage(peer.Bar(0).CpuStart + offset);
                return {|P2P0010:Dma.MapPage(dev, page, 0, Paging.PageSize, DmaDirection.FromDevice)|};
            }
        }
        """);

    [Fact]
    public Task CpuRangeOfBarMappedPiecewise_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void Map(PciBar bar, PciDevice dev, DmaAddr[] out_)
            {
                PhysRange range = bar.CpuRange;
                for (int i = 0; i < out_.Length; i++)
                {
                    out_[i] = {|P2P0010:Dma.MapPhys(dev, range.Start + (ulong)i * Paging.PageSize, Paging.PageSize, DmaDirection.ToDevice)|};
                }
            }
        }
        """);

    // ---------------------------------------------------------------- flow and dominance

    [Fact]
    public Task DecisionInEnclosingIf_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
            {
                if (PciP2PDma.MapType(provider, dev) == P2PMapType.ThruHostBridge)
                {
                    return Dma.MapResource(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task EarlyReturnUnlessThruHostBridge_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                P2PMapType type = PciP2PDma.MapType(provider, dev);
                if (type != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                PhysAddr phys = provider.Bar.CpuStart + offset;
                return Dma.MapPhys(dev, phys, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task HelperInSameFileAsksMapType_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            static bool GoesThroughHostBridge(P2PProvider provider, PciDevice client) =>
                PciP2PDma.MapType(provider, client) == P2PMapType.ThruHostBridge;

            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
            {
                if (!GoesThroughHostBridge(provider, dev))
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task HelperInAnotherClassOfSameFileAsksMapType_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class P2PPolicy
        {
            public static bool NeedsMmioMapping(P2PProvider provider, PciDevice client)
            {
                P2PMapType type = PciP2PDma.MapType(provider, client);
                return type == P2PMapType.ThruHostBridge;
            }
        }

        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
            {
                if (P2PPolicy.NeedsMmioMapping(provider, dev))
                {
                    return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }

                return DmaAddr.MappingError;
            }
        }
        """);

    [Fact]
    public Task LocalFunctionAsksMapType_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
            {
                if (!ThroughHostBridge())
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);

                bool ThroughHostBridge() => PciP2PDma.MapType(provider, dev) == P2PMapType.ThruHostBridge;
            }
        }
        """);

    [Fact]
    public Task HelperInAnotherFile_IsCounted_NoDiagnostic()
    {
        // A helper in another file is read by its syntax (no semantic model there): asking PciP2PDma.MapType counts.
        var test = new CSharpAnalyzerTest<P2P0010PeerMemoryMappedWithoutMapTypeAnalyzer, DefaultVerifier>();
        test.TestState.Sources.Add(("/0/Policy.cs", Usings + """
            static class P2PPolicy
            {
                public static bool NeedsMmioMapping(P2PProvider provider, PciDevice client) =>
                    PciP2PDma.MapType(provider, client) == P2PMapType.ThruHostBridge;
            }
            """));
        test.TestState.Sources.Add(("/0/Exporter.cs", Usings + """
            class Exporter
            {
                DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
                {
                    if (P2PPolicy.NeedsMmioMapping(provider, dev))
                    {
                        return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                    }

                    return DmaAddr.MappingError;
                }
            }
            """));
        TestSetup.Configure(test, withLibrary: true);
        return test.RunAsync();
    }

    [Fact]
    public Task DecisionOnOnlyOneBranch_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size, bool verbose)
            {
                if (verbose)
                {
                    Console.WriteLine(PciP2PDma.MapType(provider, dev));
                }

                return {|P2P0010:Dma.MapResource(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice)|};
            }
        }
        """);

    [Fact]
    public Task DecisionAfterTheCall_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, PciDevice dev, ulong size)
            {
                DmaAddr addr = {|P2P0010:Dma.MapResource(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice)|};
                if (PciP2PDma.MapType(provider, dev) == P2PMapType.BusAddr)
                {
                    Console.WriteLine("too late: already mapped through the IOMMU");
                }

                return addr;
            }
        }
        """);

    [Fact]
    public Task DecisionForAnotherProvider_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            P2PProvider _gpuProvider;
            P2PProvider _nicProvider;

            DmaAddr Map(PciDevice dev, ulong size)
            {
                if (PciP2PDma.MapType(_gpuProvider, dev) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return {|P2P0010:Dma.MapPhys(dev, _nicProvider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task DecisionForAnotherDevice_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, DmaBufAttachment attach, PciDevice other, ulong size)
            {
                if (PciP2PDma.MapType(provider, attach.Device) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return {|P2P0010:Dma.MapPhys(other, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task DescribeOfAnotherProviderDevice_Reports() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice nvme, PciDevice dev, ulong size)
            {
                if (PciP2PDma.Describe(nvme, dev).MapType != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return {|P2P0010:Dma.MapPhys(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio)|};
            }
        }
        """);

    [Fact]
    public Task ProviderFieldVersusDeviceBar_CannotBeCompared_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            P2PProvider _provider;

            DmaAddr Map(PciDevice device, PciDevice dev, ulong size)
            {
                if (PciP2PDma.MapType(_provider, dev) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                // _provider may well be the provider of device's BAR 0: the rule does not guess.
                return Dma.MapPhys(dev, device.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task DeviceAliasedThroughLocal_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(P2PProvider provider, DmaBufAttachment attach, ulong size)
            {
                PciDevice dev = attach.Device;
                if (PciP2PDma.MapType(provider, attach.Device) != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task DescribeOfTheProviderDevice_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                P2PPath path = PciP2PDma.Describe(gpu, dev);
                if (path.MapType != P2PMapType.ThruHostBridge)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapPhys(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task StateSwitchOnPeerPageBeforeMapPage_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Importer
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, P2PMapState state, ulong offset)
            {
                Page page = dev.Topology.Memory.PhysToPage(peer.Bar(0).CpuStart + offset);
                switch (PciP2PDma.State(state, dev, page))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(state.Provider, page.Phys);
                    case P2PMapType.ThruHostBridge:
                        return Dma.MapPhys(dev, page.Phys, Paging.PageSize, DmaDirection.FromDevice, DmaAttrs.Mmio);
                    case P2PMapType.None:
                        return Dma.MapPage(dev, page, 0, Paging.PageSize, DmaDirection.FromDevice);
                    default:
                        return DmaAddr.MappingError;
                }
            }
        }
        """);

    [Fact]
    public Task DecisionInsideLoopBeforeEachMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            void Map(P2PProvider provider, IReadOnlyList<PciDevice> importers, DmaAddr[] out_, ulong size)
            {
                for (int i = 0; i < importers.Count; i++)
                {
                    PciDevice dev = importers[i];
                    if (PciP2PDma.MapType(provider, dev) != P2PMapType.ThruHostBridge)
                    {
                        continue;
                    }

                    out_[i] = Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
                }
            }
        }
        """);

    [Fact]
    public Task DecisionBeforeLambdaThatMaps_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            Func<DmaAddr> Prepare(P2PProvider provider, PciDevice dev, ulong size)
            {
                if (PciP2PDma.MapType(provider, dev) != P2PMapType.ThruHostBridge)
                {
                    return () => DmaAddr.MappingError;
                }

                return () => Dma.MapPhys(dev, provider.Bar.CpuStart, size, DmaDirection.ToDevice, DmaAttrs.Mmio);
            }
        }
        """);

    [Fact]
    public Task DistanceGatedCall_IsLeftToP2P0011_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            DmaAddr Map(PciDevice gpu, PciDevice dev, ulong size)
            {
                if (PciP2PDma.Distance(gpu, dev) < 0)
                {
                    return DmaAddr.MappingError;
                }

                return Dma.MapResource(dev, gpu.Bar(0).CpuStart, size, DmaDirection.ToDevice);
            }
        }
        """);

    // ---------------------------------------------------------------- correct code and look-alikes

    [Fact]
    public Task BlkDmaMapIterStart_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.BlkDmaMapIterStart);

    [Fact]
    public Task DmaBufPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt);

    [Fact]
    public Task BlkStyleStateSwitchOnPeerBarAddress_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Submitter
        {
            // blk_dma_map_iter_start's shape, with the address known to be a peer's BAR.
            DmaAddr Map(PciDevice peer, PciDevice dmaDev, P2PMapState p2p, ulong offset, ulong len)
            {
                PhysAddr paddr = peer.Bar(2).CpuStart + offset;
                DmaAttrs attrs = DmaAttrs.None;
                switch (PciP2PDma.State(p2p, dmaDev, dmaDev.Topology.Memory.PhysToPage(paddr)))
                {
                    case P2PMapType.BusAddr:
                        return PciP2PDma.BusAddrMap(p2p.Provider, paddr);
                    case P2PMapType.ThruHostBridge:
                        attrs |= DmaAttrs.Mmio;
                        goto case P2PMapType.None;
                    case P2PMapType.None:
                        break;
                    default:
                        return DmaAddr.MappingError;
                }

                DmaAddr addr = Dma.MapPhys(dmaDev, paddr, len, DmaDirection.ToDevice, attrs);
                return Dma.MappingError(dmaDev, addr) ? DmaAddr.MappingError : addr;
            }
        }
        """);

    [Fact]
    public Task PhysVecToSgtStyleSwitchOnProviderRanges_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            // dma_buf_phys_vec_to_sgt's shape, with the ranges known to be the provider's BAR.
            DmaAddr[] Map(P2PProvider provider, DmaBufAttachment attach, ulong[] offsets, ulong len, DmaDirection dir)
            {
                var result = new DmaAddr[offsets.Length];
                switch (PciP2PDma.MapType(provider, attach.Device))
                {
                    case P2PMapType.BusAddr:
                        for (int i = 0; i < offsets.Length; i++)
                        {
                            result[i] = PciP2PDma.BusAddrMap(provider, provider.Bar.CpuStart + offsets[i]);
                        }

                        return result;
                    case P2PMapType.ThruHostBridge:
                        break;
                    default:
                        return null;
                }

                for (int i = 0; i < offsets.Length; i++)
                {
                    result[i] = Dma.MapPhys(attach.Device, provider.Bar.CpuStart + offsets[i], len, dir, DmaAttrs.Mmio);
                    if (Dma.MappingError(attach.Device, result[i]))
                    {
                        return null;
                    }
                }

                return result;
            }
        }
        """);

    [Fact]
    public Task OneCallP2PMapping_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Exporter
        {
            P2PDmaMapping Map(P2PProvider provider, PciDevice dev, ulong offset, ulong size)
            {
                P2PDmaMapping mapping = Dma.MapP2P(dev, provider, provider.Bar.CpuStart + offset, size, DmaDirection.ToDevice);
                return mapping.Failed ? null : mapping;
            }
        }
        """);

    [Fact]
    public Task OrdinaryRamMappings_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            void Map(PciDevice dev, KernelBuffer buf, ulong size)
            {
                DmaAddr a = Dma.MapPhys(dev, buf.Phys, size, DmaDirection.ToDevice);
                DmaAddr b = Dma.MapSingle(dev, buf, 0, size, DmaDirection.ToDevice);
                Page[] pages = dev.Topology.Memory.AllocPages(2);
                DmaAddr c = Dma.MapPage(dev, pages[0], 0, Paging.PageSize, DmaDirection.FromDevice);
                Page page = dev.Topology.Memory.PhysToPage(buf.VirtToPhys(0));
                DmaAddr d = Dma.MapPage(dev, page, 0, Paging.PageSize, DmaDirection.FromDevice);
            }
        }
        """);

    [Fact]
    public Task AddressOfUnknownOrigin_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class Driver
        {
            DmaAddr Map(PciDevice dev, PhysAddr phys, ulong size) =>
                Dma.MapResource(dev, phys, size, DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task LookAlikeDmaInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Sdk
        {
            static class Dma
            {
                public static DmaAddr MapResource(PciDevice dev, PhysAddr phys, ulong size, DmaDirection dir) => DmaAddr.FromRaw(phys.Raw);
            }
        }

        class Driver
        {
            DmaAddr Map(PciDevice peer, PciDevice dev, ulong size) =>
                Vendor.Sdk.Dma.MapResource(dev, peer.Bar(0).CpuStart, size, DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task LookAlikeBarInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Vendor.Sdk
        {
            class PciBar
            {
                public PhysAddr CpuStart { get; set; }
            }
        }

        class Driver
        {
            DmaAddr Map(Vendor.Sdk.PciBar scratch, PciDevice dev, ulong size) =>
                Dma.MapResource(dev, scratch.CpuStart, size, DmaDirection.ToDevice);
        }
        """);

    [Fact]
    public Task WithoutCompanionLibrary_NoDiagnostic() => Verifier.Analyzer("""
        namespace P2PLike
        {
            struct PhysAddr { public ulong Raw; }
            class PciBar { public PhysAddr CpuStart; }
            static class Dma { public static ulong MapResource(object dev, PhysAddr phys, ulong size) => phys.Raw; }

            class Driver
            {
                ulong Map(PciBar bar, object dev) => Dma.MapResource(dev, bar.CpuStart, 4096);
            }
        }
        """, withLibrary: false);
}
