using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0003HandBuiltDmaOnlyTableAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>P2P0003 follows the table and its entries through locals, conversions, LINQ, branches, lambdas and local functions.</summary>
public sealed class P2P0003FlowTests
{
    private const string Usings = """
        using System;
        using System.Linq;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.P2P;
        using P2PDma.Pci;

        """;

    // The exporter shell: the test supplies MapDmaBuf's body.
    private static string Exporter(string mapBody, string members = "") => Usings + """
        sealed class Exporter : DmaBufOps
        {
            readonly PhysRange[] _ranges = Array.Empty<PhysRange>();
            readonly Page[] _pages = Array.Empty<Page>();
            readonly P2PProvider _provider = null!;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
        """ + "\n" + mapBody + "\n" + """
            }

            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        """ + "\n" + members + "\n}\n";

    [Fact]
    public Task TableThroughLocalsAndConversion_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(_ranges.Length);
                for (int i = 0; i < _ranges.Length; i++)
                    table[i].DmaAddress = Dma.MapResource(attach.Device, _ranges[i].Start, _ranges[i].Size, dir);
                SgTable t = table;
                DmaResult<SgTable> result = t;
                return {|P2P0003:result|};
        """));

    [Fact]
    public Task EntriesThroughLinqAndLocals_Report() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(2);
                table.First().DmaAddress = PciP2PDma.BusAddrMap(_provider, _ranges[0].Start);
                Scatterlist second = table.ElementAt(1);
                second.DmaAddress = PciP2PDma.BusAddrMap(_provider, _ranges[1].Start);
                return {|P2P0003:table|};
        """));

    [Fact]
    public Task EntriesFilledInLocalFunction_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(_ranges.Length);
                for (int i = 0; i < _ranges.Length; i++)
                    Fill(table[i], _ranges[i]);
                return {|P2P0003:table|};

                void Fill(Scatterlist sg, PhysRange r)
                {
                    sg.SetPage(null, r.Size, 0);
                    sg.DmaAddress = Dma.MapResource(attach.Device, r.Start, r.Size, dir);
                    sg.DmaLength = r.Size;
                }
        """));

    [Fact]
    public Task EntryCapturedByLambda_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(1);
                Scatterlist first = table[0];
                Action fill = () => first.DmaAddress = PciP2PDma.BusAddrMap(_provider, _ranges[0].Start);
                fill();
                return {|P2P0003:table|};
        """));

    [Fact]
    public Task ErrorReturns_OnlyTheTableIsReported() => Verifier.Analyzer(Exporter("""
                if (!attach.Peer2Peer)
                    return DmaError.NotSupported;
                SgTable table = SgTable.Alloc(_ranges.Length);
                foreach (Scatterlist sg in table)
                {
                    DmaAddr addr = Dma.MapResource(attach.Device, _ranges[sg.Index].Start, _ranges[sg.Index].Size, dir);
                    if (Dma.MappingError(attach.Device, addr))
                        return DmaResult<SgTable>.Fail(DmaError.NoMemory);
                    sg.DmaAddress = addr;
                }

                return {|P2P0003:table|};
        """));

    [Fact]
    public Task ConditionalReturn_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(1);
                table[0].DmaAddress = Dma.MapResource(attach.Device, _ranges[0].Start, _ranges[0].Size, dir);
                bool ok = !Dma.MappingError(attach.Device, table[0].DmaAddress);
                return {|P2P0003:ok ? table : DmaResult<SgTable>.Fail(DmaError.NoMemory)|};
        """));

    [Fact]
    public Task NamedOkOfTable_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(1);
                table[0].DmaAddress = PciP2PDma.BusAddrMap(_provider, _ranges[0].Start);
                return {|P2P0003:DmaResult<SgTable>.Ok(table)|};
        """));

    [Fact]
    public Task OneBranchHandBuilds_Reports() => Verifier.Analyzer(Exporter("""
                SgTable table;
                if (attach.Peer2Peer)
                {
                    table = SgTable.Alloc(_ranges.Length);
                    for (int i = 0; i < _ranges.Length; i++)
                        table[i].DmaAddress = Dma.MapResource(attach.Device, _ranges[i].Start, _ranges[i].Size, dir);
                }
                else
                {
                    table = SgTable.FromPages(_pages);
                    if (Dma.MapSgTable(attach.Device, table, dir) != DmaError.None)
                        return DmaError.Io;
                }

                return {|P2P0003:table|};
        """));

    [Fact]
    public Task OverrideInSubclassOfAnIntermediateExporter_Reports() => Verifier.Analyzer(Usings + """
        abstract class VramExporterBase : DmaBufOps
        {
            public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable table, DmaDirection direction) { }
        }

        sealed class GpuExporter : VramExporterBase
        {
            readonly PhysRange _range;

            public GpuExporter(PhysRange range) => _range = range;

            public override DmaResult<SgTable> MapDmaBuf(DmaBufAttachment attach, DmaDirection dir)
            {
                SgTable sgt = SgTable.Alloc(1);
                sgt[0].DmaAddress = Dma.MapResource(attach.Device, _range.Start, _range.Size, dir);
                return {|P2P0003:sgt|};
            }
        }
        """);

    [Fact]
    public Task HandBuiltTableReplacedByProperTableBeforeReturn_NoDiagnostic() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(1);
                table[0].DmaAddress = DmaAddr.FromRaw(0);
                DmaResult<SgTable> proper = DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _ranges[0].Size, dir);
                if (proper.Failed)
                    return proper.Error;
                table = proper.Value;
                return table;
        """));

    [Fact]
    public Task AnotherTableIsHandFilled_NoDiagnostic() => Verifier.Analyzer(Exporter("""
                SgTable scratch = SgTable.Alloc(1);
                scratch[0].DmaAddress = DmaAddr.FromRaw(0);

                SgTable table = SgTable.Alloc(_pages.Length);
                for (int i = 0; i < _pages.Length; i++)
                    table[i].SetPage(_pages[i], Paging.PageSize, 0);
                if (Dma.MapSgTable(attach.Device, table, dir) != DmaError.None)
                    return DmaError.Io;
                return table;
        """));

    [Fact]
    public Task HandBuiltTableReturnedByALambdaInsideMapDmaBuf_NoDiagnostic() => Verifier.Analyzer(Exporter("""
                Func<SgTable> debugCopy = () =>
                {
                    SgTable t = SgTable.Alloc(1);
                    t[0].DmaAddress = DmaAddr.FromRaw(0);
                    return t;
                };
                _ = debugCopy();
                return DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _ranges[0].Size, dir);
        """));

    [Fact]
    public Task HandBuiltTableReturnedFromAnotherMethodOfTheExporter_NoDiagnostic() => Verifier.Analyzer(Exporter(
        """
                return DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _ranges[0].Size, dir);
        """,
        """
            // A table for the exporter's own copy engine: built by hand, never handed to an importer.
            public SgTable BuildCopyChain(PciDevice engine, DmaDirection dir)
            {
                SgTable chain = SgTable.Alloc(_ranges.Length);
                for (int i = 0; i < _ranges.Length; i++)
                    chain[i].DmaAddress = Dma.MapResource(engine, _ranges[i].Start, _ranges[i].Size, dir);
                return chain;
            }
        """));

    [Fact]
    public Task HandBuiltTableDiscardedOnEveryPath_NoDiagnostic() => Verifier.Analyzer(Exporter("""
                SgTable probe = SgTable.Alloc(1);
                probe[0].DmaAddress = Dma.MapResource(attach.Device, _ranges[0].Start, _ranges[0].Size, dir);
                if (Dma.MappingError(attach.Device, probe[0].DmaAddress))
                    return DmaError.Io;
                Dma.UnmapResource(attach.Device, probe[0].DmaAddress, _ranges[0].Size, dir);
                return DmaBufMapping.PhysVecToSgt(attach, _provider, _ranges, _ranges[0].Size, dir);
        """));

    [Fact]
    public Task DmaAddressesOnlyReadBack_NoDiagnostic() => Verifier.Analyzer(Exporter("""
                SgTable table = SgTable.Alloc(_pages.Length);
                for (int i = 0; i < _pages.Length; i++)
                    table[i].SetPage(_pages[i], Paging.PageSize, 0);
                if (Dma.MapSgTable(attach.Device, table, dir) != DmaError.None)
                    return DmaError.Io;
                foreach (Scatterlist sg in table.DmaSegments)
                    Console.WriteLine($"{sg.DmaAddress} len {sg.DmaLength}");
                return table;
        """));
}
