using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0004ImporterReadsPagesAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>
/// P2P0004 on importers that look at the pages (or CPU physical addresses) of a table mapped from a dma-buf attachment,
/// and on the importers and exporters it must leave alone. Flow cases are in <see cref="P2P0004FlowTests"/>.
/// </summary>
public sealed class P2P0004Tests
{
    // Seven lines: the test code starts on line 8.
    private const string Usings = """
        using System.Collections.Generic;
        using System.Linq;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    // ---- Positive: the habits ----

    [Fact]
    public Task RdmaUmemDmabufReadsPagesOfTheMappedTable_Reports() => Verifier.Analyzer(Usings + """
        sealed class UmemDmabuf
        {
            readonly List<Page> _pages = new();

            // ib_umem_dmabuf_map_pages (drivers/infiniband/core/umem_dmabuf.c), walking pages instead of DMA addresses.
            DmaError MapPages(DmaBufAttachment attach)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.Bidirectional);
                if (mapped.Failed)
                    return mapped.Error;
                SgTable sgt = mapped.Value;
                foreach (Scatterlist sg in sgt.DmaSegments)
                {
                    _pages.Add({|#0:sg.Page|});
                }

                return DmaError.None;
            }
        }
        """,
        Verifier.Diagnostic("P2P0004").WithLocation(0).WithArguments("sg", "the page", "DmaBufAttachment.Map"));

    [Fact]
    public Task DrmPrimeSgToPageArray_Reports() => Verifier.Analyzer(Usings + """
        static class Prime
        {
            // drm_prime_sg_to_page_array on an imported table: pages[i] = sg_page(sg).
            public static Page[] SgToPageArray(DmaBufAttachment attach)
            {
                SgTable sgt = attach.Map(DmaDirection.Bidirectional).Value;
                var pages = new Page[sgt.Count];
                for (int i = 0; i < sgt.Count; i++)
                    pages[i] = {|#0:sgt[i].Page|};
                return pages;
            }
        }
        """,
        Verifier.Diagnostic("P2P0004").WithLocation(0).WithArguments("sgt[i]", "the page", "DmaBufAttachment.Map"));

    [Fact]
    public Task ImporterProgramsSgPhys_Reports() => Verifier.Analyzer(Usings + """
        sealed class Nic
        {
            public void Post(ulong address, ulong length) { }

            // The importer gives its engine sg_phys() of the imported entries.
            public void Import(DmaBufAttachment attach)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
                if (mapped.Failed)
                    return;
                foreach (Scatterlist sg in mapped.Value)
                    Post({|#0:sg.Phys|}.Raw, sg.Length);
            }
        }
        """,
        Verifier.Diagnostic("P2P0004").WithLocation(0).WithArguments("sg", "the CPU physical address", "DmaBufAttachment.Map"));

    [Fact]
    public Task FirstEntryThroughLinq_Reports() => Verifier.Analyzer(Usings + """
        static class Importer
        {
            public static bool StartsOnPeerMemory(DmaBufAttachment attach) =>
                {|P2P0004:attach.Map(DmaDirection.FromDevice).Value.First().Page|}?.IsP2P == true;
        }
        """);

    [Fact]
    public Task DynamicPeerImporterChecksPageOfEachSegment_Reports() => Verifier.Analyzer(Usings + """
        static class Importer
        {
            public static int CountPeerPages(DmaBuffer buffer, PciDevice nic)
            {
                var ops = new DmaBufImportOps { AllowPeer2Peer = true, MoveNotify = _ => { } };
                DmaResult<DmaBufAttachment> attached = buffer.DynamicAttach(nic, ops);
                if (attached.Failed)
                    return 0;
                DmaBufAttachment attach = attached.Value;
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
                if (mapped.Failed)
                    return 0;
                int count = 0;
                foreach (Scatterlist sg in mapped.Value.DmaSegments)
                {
                    Page page = {|P2P0004:sg.Page|};
                    if (page is not null && page.IsP2P)
                        count++;
                }

                return count;
            }
        }
        """);

    // ---- Negative: importers that read only DMA addresses, and tables that are not imported ----

    [Fact]
    public Task ImporterReadsOnlyDmaAddressesAndLengths_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Nic
        {
            public void Post(DmaAddr address, ulong length) { }

            // ib_umem_dmabuf_map_pages today: for_each_sgtable_dma_sg, sg_dma_address and sg_dma_len only.
            public DmaError Import(DmaBufAttachment attach)
            {
                DmaResult<SgTable> mapped = attach.Map(DmaDirection.ToDevice);
                if (mapped.Failed)
                    return mapped.Error;
                SgTable table = mapped.Value;
                foreach (Scatterlist sg in table.DmaSegments)
                    Post(sg.DmaAddress, sg.DmaLength);
                Post(table[0].DmaAddress + 0x40, table.First().DmaLength - 0x40);
                attach.Unmap(table, DmaDirection.ToDevice);
                return DmaError.None;
            }
        }
        """);

    [Fact]
    public Task ExporterReadsPagesOfItsOwnTable_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class SystemHeapExporter : DmaBufOps
        {
            readonly Page[] _pages;

            public SystemHeapExporter(Page[] pages) => _pages = pages;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection direction)
            {
                SgTable table = SgTable.FromPages(_pages);
                foreach (Scatterlist sg in table)
                    System.Diagnostics.Debug.Assert(sg.Page is not null && sg.Phys.Raw != 0);
                DmaError err = Dma.MapSgTable(attach.Device, table, direction);
                if (err != DmaError.None)
                    return err;
                Page first = table[0].Page!;
                return table;
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction)
            {
                Page first = table[0].Page!;
                Dma.UnmapSgTable(attach.Device, table, direction);
            }
        }
        """);

    [Fact]
    public Task DriverReadsPagesOfItsOwnMappedTable_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            public static void Sync(PciDevice dev, SystemMemory memory, Page[] pages)
            {
                SgTable table = SgTable.FromPages(pages);
                if (Dma.MapSgTable(dev, table, DmaDirection.FromDevice) != DmaError.None)
                    return;
                foreach (Scatterlist sg in table)
                {
                    byte[] data = memory.Read(sg.Phys, (int)sg.Length);
                    Page page = sg.Page;
                }
            }
        }
        """);

    [Fact]
    public Task PhysListImporterReadsRanges_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Importer
        {
            // The physical-address-list mapping type: CPU physical ranges plus the provider, asked for explicitly.
            public static ulong FirstRange(DmaBufAttachment attach)
            {
                DmaResult<DmaBufPhysList> list = attach.MapPhysList();
                if (list.Failed)
                    return 0;
                PhysRange first = list.Value.Ranges[0];
                attach.UnmapPhysList(list.Value);
                return first.Start.Raw;
            }
        }
        """);

    [Fact]
    public Task UnrelatedPagesAndPhys_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Driver
        {
            public static ulong M(KernelBuffer buf, Page page, DmaBufAttachment attach)
            {
                SgTable imported = attach.Map(DmaDirection.ToDevice).Value;
                ulong a = buf.Page.Phys.Raw;
                ulong b = page.Phys.Raw + page.Pfn;
                int n = imported.Count + imported[0].Index;
                return a + b + (ulong)n + imported[0].Length;
            }
        }
        """);

    [Fact]
    public Task ImporterSelectsDmaAddressesAndFlags_NoDiagnostic() => Verifier.Analyzer(Usings + """
        static class Importer
        {
            public static DmaAddr[] Addresses(DmaBufAttachment attach, out int busEntries)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                busEntries = table.DmaSegments.Count(sg => sg.IsDmaBusAddress && sg.DmaFlags != SgDmaFlags.None);
                int last = table.Last().Index;
                return table.DmaSegments.Select(sg => sg.DmaAddress + (ulong)last).ToArray();
            }
        }
        """);

    [Fact]
    public Task RdmaUmemOfPinnedUserPagesReadsPages_NoDiagnostic() => Verifier.Analyzer(Usings + """
        sealed class Umem
        {
            // ib_umem_get: the table holds pages the driver pinned itself; sg_page() is valid there.
            public ulong FirstPfn(PciDevice dev, Page[] pinned)
            {
                SgTable sgt = SgTable.FromPages(pinned);
                if (Dma.MapSgTable(dev, sgt, DmaDirection.Bidirectional) != DmaError.None)
                    return 0;
                ulong pfn = 0;
                foreach (Scatterlist sg in sgt)
                    pfn = sg.Page!.Pfn;
                return pfn + sgt[0].Phys.Raw;
            }
        }
        """);

    [Fact]
    public Task LookAlikeScatterlistInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            sealed class Scatterlist { public object Page => null; public ulong Phys => 0; }
            static class Wrap { public static Scatterlist Of(P2PDma.Mapping.Scatterlist sg) => new(); }
        }

        static class Importer
        {
            public static object M(DmaBufAttachment attach)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                Fake.Scatterlist wrapped = Fake.Wrap.Of(table[0]);
                ulong phys = wrapped.Phys;
                return wrapped.Page;
            }
        }
        """);

    [Fact]
    public Task LookAlikeAttachmentInAnotherNamespace_NoDiagnostic() => Verifier.Analyzer(Usings + """
        namespace Fake
        {
            sealed class DmaBufAttachment
            {
                public P2PDma.Mapping.DmaResult<P2PDma.Mapping.SgTable> Map(P2PDma.Mapping.DmaDirection dir) =>
                    P2PDma.Mapping.SgTable.FromPages(new P2PDma.Memory.Page[1]);
            }
        }

        static class Importer
        {
            public static Page M(Fake.DmaBufAttachment attach)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                foreach (Scatterlist sg in table)
                    _ = sg.Phys;
                return table[0].Page;
            }
        }
        """);
}
