using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using P2PAnalyzers.Tests.Infrastructure;
using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0003HandBuiltDmaOnlyTableAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0003 on the exporters that hand-build DMA-only tables (amdgpu, xe, habanalabs) and on the proper exporters it
/// must leave alone. Flow cases are in <see cref="P2P0003FlowTests"/>.
/// </summary>
public sealed class P2P0003Tests
{
    private const string Usings = """
        using System.Collections.Generic;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // ---- Positive: the habits ----

    [Fact]
    public Task AmdgpuDmaBufMapBuildsTableInline_Reports() => Verifier.Analyzer(Usings + """
        sealed class AmdgpuExporter : DmaBufOps
        {
            readonly IReadOnlyList<PhysRange> _blocks;

            public AmdgpuExporter(IReadOnlyList<PhysRange> blocks) => _blocks = blocks;

            // amdgpu_dma_buf_map -> amdgpu_vram_mgr_alloc_sgt, inlined: one entry per VRAM block, page NULL.
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.Alloc(_blocks.Count);
                for (int i = 0; i < _blocks.Count; i++)
                {
                    DmaAddr addr = Dma.MapResource(attach.Device, _blocks[i].Start, _blocks[i].Size, direction, DmaAttrs.SkipCpuSync);
                    if (Dma.MappingError(attach.Device, addr))
                        return DmaError.NoMemory;
                    Scatterlist sg = table[i];
                    sg.SetPage(null, _blocks[i].Size, 0);
                    sg.DmaAddress = addr;
                    sg.DmaLength = _blocks[i].Size;
                }

                table.Nents = _blocks.Count;
                return {|#0:table|};
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """,
        Verifier.Diagnostic("P2P0003").WithLocation(0).WithArguments("MapDmaBuf"));

    [Fact]
    public Task AmdgpuVramMgrAllocSgtHelper_Reports() => Verifier.Analyzer(Usings + """
        sealed class AmdgpuExporter : DmaBufOps
        {
            readonly IReadOnlyList<PhysRange> _blocks;

            public AmdgpuExporter(IReadOnlyList<PhysRange> blocks) => _blocks = blocks;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                if (!attach.Peer2Peer)
                    return DmaError.NotSupported;
                return {|#0:VramMgrAllocSgt(attach.Device, direction)|};
            }

            // amdgpu_vram_mgr_alloc_sgt (amdgpu_vram_mgr.c), as a helper of the exporter.
            private DmaResult<SgTable> VramMgrAllocSgt(PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(_blocks.Count);
                int i = 0;
                foreach (Scatterlist sg in sgt)
                {
                    DmaAddr addr = Dma.MapResource(dev, _blocks[i].Start, _blocks[i].Size, dir, DmaAttrs.SkipCpuSync);
                    if (Dma.MappingError(dev, addr))
                        return DmaError.NoMemory;
                    sg.SetPage(null, _blocks[i].Size, 0);
                    sg.DmaAddress = addr;
                    sg.DmaLength = _blocks[i].Size;
                    i++;
                }

                sgt.Nents = _blocks.Count;
                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """,
        Verifier.Diagnostic("P2P0003").WithLocation(0).WithArguments("VramMgrAllocSgt"));

    [Fact]
    public Task AmdgpuAllocSgtThroughOutParameter_Reports() => Verifier.Analyzer(Usings + """
        sealed class AmdgpuExporter : DmaBufOps
        {
            readonly IReadOnlyList<PhysRange> _blocks;

            public AmdgpuExporter(IReadOnlyList<PhysRange> blocks) => _blocks = blocks;

            // amdgpu_dma_buf_map: r = amdgpu_vram_mgr_alloc_sgt(..., dir, &sgt); if (r) return ERR_PTR(r); ... return sgt;
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                DmaError r = VramMgrAllocSgt(attach.Device, direction, out SgTable sgt);
                if (r != DmaError.None)
                    return r;
                return {|P2P0003:sgt|};
            }

            private DmaError VramMgrAllocSgt(PciDevice dev, DmaDirection dir, out SgTable sgt)
            {
                sgt = SgTable.Alloc(_blocks.Count);
                for (int i = 0; i < _blocks.Count; i++)
                {
                    DmaAddr addr = Dma.MapResource(dev, _blocks[i].Start, _blocks[i].Size, dir, DmaAttrs.SkipCpuSync);
                    if (Dma.MappingError(dev, addr))
                        return DmaError.NoMemory;
                    sgt[i].SetPage(null, _blocks[i].Size, 0);
                    sgt[i].DmaAddress = addr;
                    sgt[i].DmaLength = _blocks[i].Size;
                }

                sgt.Nents = _blocks.Count;
                return DmaError.None;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """);

    [Fact]
    public Task XeDmaBufMapWithDmaSegments_Reports() => Verifier.Analyzer(Usings + """
        sealed class XeExporter : DmaBufOps
        {
            readonly PhysRange[] _blocks;

            public XeExporter(PhysRange[] blocks) => _blocks = blocks;

            // xe_dma_buf_map -> xe_ttm_vram_mgr_alloc_sgt (drivers/gpu/drm/xe/xe_ttm_vram_mgr.c).
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir) =>
                {|#0:XeTtmVramMgrAllocSgt(attach.Device, dir)|};

            SgTable XeTtmVramMgrAllocSgt(PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(_blocks.Length);
                sgt.Nents = _blocks.Length;
                int i = 0;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    PhysRange block = _blocks[i++];
                    sg.SetPage(null, block.Size, 0);
                    sg.DmaAddress = Dma.MapResource(dev, block.Start, block.Size, dir, DmaAttrs.SkipCpuSync);
                    sg.DmaLength = block.Size;
                }

                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """,
        Verifier.Diagnostic("P2P0003").WithLocation(0).WithArguments("XeTtmVramMgrAllocSgt"));

    [Fact]
    public Task HabanalabsAllocSgtFromDevicePagesThroughLocal_Reports() => Verifier.Analyzer(Usings + """
        sealed class HlExporter : DmaBufOps
        {
            readonly PciBar _dramBar;
            readonly ulong[] _pages;
            readonly ulong _pageSize;

            public HlExporter(PciBar dramBar, ulong[] pages, ulong pageSize) { _dramBar = dramBar; _pages = pages; _pageSize = pageSize; }

            // hl_map_dmabuf: sgt = alloc_sgt_from_device_pages(...); if (IS_ERR(sgt)) dev_err(...); return sgt;
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable sgt = AllocSgtFromDevicePages(attach.Device, dir);
                return {|P2P0003:sgt|};
            }

            SgTable AllocSgtFromDevicePages(PciDevice dev, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(_pages.Length);
                for (int i = 0; i < _pages.Length; i++)
                {
                    PhysAddr bar = _dramBar.CpuStart + _pages[i];
                    sgt[i].SetPage(null, _pageSize, 0);
                    sgt[i].DmaAddress = Dma.MapResource(dev, bar, _pageSize, dir, DmaAttrs.SkipCpuSync);
                    sgt[i].DmaLength = _pageSize;
                }

                return sgt;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """);

    [Fact]
    public Task HabanalabsRawBarAddressTable_Reports() => Verifier.Analyzer(Usings + """
        sealed class HlExporter : DmaBufOps
        {
            readonly PciBar _dramBar;
            readonly ulong _size;

            public HlExporter(PciBar dramBar, ulong size) { _dramBar = dramBar; _size = size; }

            // The 2021 patch: sg_dma_address(sg) = bar_address; nothing mapped at all.
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(1);
                sgt[0].SetPage(null, _size, 0);
                sgt[0].DmaAddress = DmaAddr.FromRaw(_dramBar.CpuStart.Raw);
                sgt[0].DmaLength = _size;
                return {|P2P0003:sgt|};
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """);

    // ---- Negative: the proper exporters ----

    [Fact]
    public Task VfioPhysVecToSgt_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class VfioExporter : DmaBufOps
        {
            readonly P2PProvider _provider;
            readonly IReadOnlyList<PhysRange> _ranges;
            readonly ulong _size;

            public VfioExporter(P2PProvider provider, IReadOnlyList<PhysRange> ranges, ulong size) { _provider = provider; _ranges = ranges; _size = size; }

            // vfio_pci_dma_buf_map: dma_buf_phys_vec_to_sgt(attach, provider, phys_vec, nr_ranges, size, dir)
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                DmaResult<SgTable> sgt = DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _size, direction);
                if (sgt.Failed)
                    return sgt.Error;
                return sgt.Value;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                DmaBufMapping.FreeSgt(attach, table, direction);
        }
        """);

    [Fact]
    public Task PhysVecToSgtFromCollectedRanges_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Exporter : DmaBufOps
        {
            readonly P2PProvider _provider;
            readonly ulong[] _offsets;
            readonly ulong _chunk;

            public Exporter(P2PProvider provider, ulong[] offsets, ulong chunk) { _provider = provider; _offsets = offsets; _chunk = chunk; }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                var ranges = new List<PhysRange>();
                ulong total = 0;
                foreach (ulong offset in _offsets)
                {
                    ranges.Add(new PhysRange(_provider.Bar.CpuStart + offset, _chunk));
                    total += _chunk;
                }

                return DmaBufMapping.PhysVecToSgt(attach, _provider, ranges, total, direction);
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                DmaBufMapping.FreeSgt(attach, table, direction);
        }
        """);

    [Fact]
    public Task RamExporterMapsItsPagesWithMapSgTable_NoDiagnostic() => Verifier.Analyzer(Usings + """
        using P2PDma.Memory;

        sealed class SystemHeapExporter : DmaBufOps
        {
            readonly Page[] _pages;

            public SystemHeapExporter(Page[] pages) => _pages = pages;

            // system_heap_map_dma_buf: a table of real pages, mapped by dma_map_sgtable.
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.FromPages(_pages);
                DmaError err = Dma.MapSgTable(attach.Device, table, direction);
                if (err != DmaError.None)
                    return err;
                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                Dma.UnmapSgTable(attach.Device, table, direction);
        }
        """);

    [Fact]
    public Task AllocatedTableWithRealPagesMappedByTheDmaApi_NoDiagnostic() => Verifier.Analyzer(Usings + """
        using P2PDma.Memory;

        sealed class Exporter : DmaBufOps
        {
            readonly Page[] _pages;

            public Exporter(Page[] pages) => _pages = pages;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.Alloc(_pages.Length);
                for (int i = 0; i < _pages.Length; i++)
                    table[i].SetPage(_pages[i], Paging.PageSize, 0);
                DmaError err = Dma.MapSgTable(attach.Device, table, direction);
                if (err != DmaError.None)
                    return err;
                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                Dma.UnmapSgTable(attach.Device, table, direction);
        }
        """);

    [Fact]
    public Task HandBuiltTableKeptForTheDriversOwnDevice_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class CommandSubmission
        {
            // A DMA-only table the driver builds for its own engine: it never leaves the driver.
            public SgTable BuildChain(PciDevice engine, PhysRange[] chunks, DmaDirection dir)
            {
                SgTable chain = SgTable.Alloc(chunks.Length);
                for (int i = 0; i < chunks.Length; i++)
                {
                    chain[i].DmaAddress = Dma.MapPhys(engine, chunks[i].Start, chunks[i].Size, dir);
                    chain[i].DmaLength = chunks[i].Size;
                }

                return chain;
            }
        }
        """);

    [Fact]
    public Task MapDmaBufReturnsProperTableWhileKeepingAHandBuiltShadow_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Exporter : DmaBufOps
        {
            readonly P2PProvider _provider;
            readonly PhysRange[] _ranges;
            SgTable _shadow;

            public Exporter(P2PProvider provider, PhysRange[] ranges) { _provider = provider; _ranges = ranges; }

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable shadow = SgTable.Alloc(_ranges.Length);
                for (int i = 0; i < _ranges.Length; i++)
                    shadow[i].DmaAddress = DmaAddr.FromRaw(0);
                _shadow = shadow;

                ulong total = 0;
                foreach (PhysRange r in _ranges)
                    total += r.Size;
                return DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, total, direction);
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                DmaBufMapping.FreeSgt(attach, table, direction);
        }
        """);

    [Fact]
    public Task MethodNamedMapDmaBufOutsideDmaBufOps_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class NotAnExporter
        {
            public DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.Alloc(1);
                table[0].DmaAddress = DmaAddr.FromRaw(0x1000);
                return table;
            }
        }
        """);

    [Fact]
    public Task LookAlikeDmaBufOpsAndSgTableInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            abstract class DmaBufOps
            {
                public abstract P2PDma.Mapping.DmaResult<P2PDma.Mapping.SgTable> MapDmaBuf(P2PDma.DmaBuf.DmaBufAttachment attach, P2PDma.Mapping.DmaDirection direction);
            }

            static class SgTable
            {
                public static P2PDma.Mapping.SgTable Alloc(int n) => P2PDma.Mapping.SgTable.FromPages(new P2PDma.Memory.Page[n]);
            }
        }

        sealed class FakeOpsExporter : Fake.DmaBufOps
        {
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.Alloc(1);
                table[0].DmaAddress = DmaAddr.FromRaw(0x1000);
                return table;
            }
        }

        sealed class FakeAllocExporter : DmaBufOps
        {
            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = Fake.SgTable.Alloc(1);
                table[0].DmaAddress = DmaAddr.FromRaw(0x1000);
                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }
        """);

    // ---- A builder in another file of the class is followed by the whole-program summary ----

    [Fact]
    public Task BuilderHelperInAnotherFile_Reports()
    {
        var test = new CSharpAnalyzerTest<P2PAnalyzers.Rules.P2P0003HandBuiltDmaOnlyTableAnalyzer, DefaultVerifier>();
        TestSetup.Configure(test, withLibrary: true);
        test.TestState.Sources.Add(("/0/Exporter.cs", Usings + """
            sealed partial class AmdgpuExporter : DmaBufOps
            {
                public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction) =>
                    {|P2P0003:VramMgrAllocSgt(attach.Device, direction)|};

                public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
            }
            """));
        test.TestState.Sources.Add(("/0/VramMgr.cs", Usings + """
            sealed partial class AmdgpuExporter
            {
                PhysRange[] _blocks = System.Array.Empty<PhysRange>();

                SgTable VramMgrAllocSgt(PciDevice dev, DmaDirection dir)
                {
                    SgTable sgt = SgTable.Alloc(_blocks.Length);
                    for (int i = 0; i < _blocks.Length; i++)
                    {
                        sgt[i].SetPage(null, _blocks[i].Size, 0);
                        sgt[i].DmaAddress = Dma.MapResource(dev, _blocks[i].Start, _blocks[i].Size, dir);
                        sgt[i].DmaLength = _blocks[i].Size;
                    }

                    return sgt;
                }
            }
            """));
        return test.RunAsync();
    }
    // vfio-pci's exporter on mainline's dma_buf_phys_vec_to_sgt written out in the project (drivers/dma-buf/
    // dma-buf-mapping.c): it asks the map type, gives BUS_ADDR ranges their bus addresses and maps the rest MMIO. The
    // page-less table it returns is the kernel's own answer, not the habit.
    private const string VfioExporter = """

        sealed class VfioPciDmaBuf : DmaBufOps
        {
            private readonly P2PProvider _provider;
            private readonly IReadOnlyList<PhysRange> _physVec;
            private readonly ulong _size;

            public VfioPciDmaBuf(P2PProvider provider, IReadOnlyList<PhysRange> physVec, ulong size) => (_provider, _physVec, _size) = (provider, physVec, size);

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction) =>
                DmaBufMappingPort.PhysVecToSgt(attach, _provider, _physVec, _size, direction);

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) =>
                DmaBufMapping.FreeSgt(attach, table, direction);
        }
        """;

    [Fact]
    public Task ExporterOnDmaBufPhysVecToSgtWrittenInTheProject_NoDiagnostic() =>
        Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt + VfioExporter);

    // The same builder where the BUS_ADDR arm hands out the CPU address instead of asking for the bus address: a
    // hand-built table again.
    [Fact]
    public Task ExporterOnPhysVecToSgtCopyWithoutBusAddrMap_Reports() =>
        Verifier.Analyzer(CanonicalSources.DmaBufPhysVecToSgt.Replace(
                "addr = PciP2PDma.BusAddrMap(provider, physVec[i].Start);", "addr = DmaAddr.FromRaw(physVec[i].Start.Raw);")
            + VfioExporter.Replace("DmaBufMappingPort.PhysVecToSgt(attach, _provider, _physVec, _size, direction)",
                "{|#0:DmaBufMappingPort.PhysVecToSgt(attach, _provider, _physVec, _size, direction)|}"),
            Verifier.Diagnostic("P2P0003").WithLocation(0).WithArguments("PhysVecToSgt"));
}
