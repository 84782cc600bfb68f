using Verifier = P2PAnalyzers.Tests.Infrastructure.Verify<P2PAnalyzers.Rules.P2P0004ImporterReadsPagesAnalyzer>;

namespace P2PAnalyzers.Tests.Rules;

/// <summary>P2P0004 follows an imported table and its entries through locals, indexers, enumeration, LINQ, branches, lambdas and local functions.</summary>
public sealed class P2P0004FlowTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using P2PDma.Addresses;
        using P2PDma.DmaBuf;
        using P2PDma.Mapping;
        using P2PDma.Memory;
        using P2PDma.Pci;

        """;

    [Fact]
    public Task ThroughResultLocalsAndEntryLocals_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                var result = attach.Map(DmaDirection.ToDevice);
                if (result.Failed) return;
                var table = result.Value;
                var alias = table;
                Scatterlist entry = alias[0];
                var e2 = entry;
                var page = {|P2P0004:e2.Page|};
            }
        }
        """);

    [Fact]
    public Task EnumeratingTheTableItself_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            ulong M(DmaBufAttachment attach)
            {
                ulong sum = 0;
                foreach (var sg in attach.Map(DmaDirection.ToDevice).Value)
                    sum += {|P2P0004:sg.Phys|}.Raw;
                return sum;
            }
        }
        """);

    [Fact]
    public Task LinqOperatorsOverSegments_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                var a = {|P2P0004:table.DmaSegments.Where(s => s.DmaLength > 0).First().Page|};
                var b = {|P2P0004:table.ElementAt(1).Phys|};
                List<Scatterlist> copy = table.ToList();
                var c = {|P2P0004:copy[0].Page|};
                var e = {|P2P0004:table.Last().Page|};
            }
        }
        """);

    [Fact]
    public Task EntriesMaterializedToAnArray_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                Scatterlist[] entries = attach.Map(DmaDirection.ToDevice).Value.DmaSegments.ToArray();
                var a = {|P2P0004:entries[0].Phys|};
            }
        }
        """);

    [Fact]
    public Task SelectLambdaOverEntries_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            // The one-liner port of drm_prime_sg_to_page_array.
            Page[] M(DmaBufAttachment attach) =>
                attach.Map(DmaDirection.Bidirectional).Value.Select(sg => {|P2P0004:sg.Page|}).ToArray();
        }
        """);

    [Fact]
    public Task TableChosenOnABranch_ReportsWhenOneChoiceIsImported() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach, Page[] ownPages, bool imported)
            {
                SgTable table = imported ? attach.Map(DmaDirection.ToDevice).Value : SgTable.FromPages(ownPages);
                var a = {|P2P0004:table[0].Page|};

                SgTable other;
                if (imported)
                    other = attach.Map(DmaDirection.ToDevice).Value;
                else
                    other = SgTable.FromPages(ownPages);
                var b = {|P2P0004:other[0].Phys|};
            }
        }
        """);

    [Fact]
    public Task TableReplacedBeforeTheRead_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach, Page[] ownPages)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                attach.Unmap(table, DmaDirection.ToDevice);
                table = SgTable.FromPages(ownPages);
                var a = table[0].Page;
                foreach (Scatterlist sg in table)
                    _ = sg.Phys;
            }
        }
        """);

    [Fact]
    public Task LambdaAndLocalFunction_Report() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                Func<Page> first = () => {|P2P0004:table[0].Page|};
                Inspect(table);

                void Inspect(SgTable t)
                {
                    foreach (Scatterlist sg in t.DmaSegments)
                        _ = {|P2P0004:sg.Phys|};
                }
            }
        }
        """);

    [Fact]
    public Task LocalFunctionGivenOnlyOwnTables_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach, Page[] ownPages)
            {
                SgTable imported = attach.Map(DmaDirection.ToDevice).Value;
                Inspect(SgTable.FromPages(ownPages));
                foreach (Scatterlist sg in imported.DmaSegments)
                    _ = sg.DmaAddress;

                static void Inspect(SgTable t)
                {
                    foreach (Scatterlist sg in t)
                        _ = sg.Page;
                }
            }
        }
        """);

    [Fact]
    public Task StructHoldingTheImportedTable_Reports() => Verifier.Analyzer(Usings + """
        struct Import { public SgTable Table; public DmaDirection Dir; }

        class C
        {
            void M(DmaBufAttachment attach)
            {
                Import import;
                import.Dir = DmaDirection.ToDevice;
                import.Table = attach.Map(import.Dir).Value;
                var copy = import;
                var p = {|P2P0004:copy.Table[0].Page|};
            }
        }
        """);

    [Fact]
    public Task DeconstructedFromATupleLiteral_Reports() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                SgTable imported = attach.Map(DmaDirection.ToDevice).Value;
                var (table, dir) = (imported, DmaDirection.ToDevice);
                var q = {|P2P0004:table[1].Phys|};
            }
        }
        """);

    [Fact]
    public Task OtherFieldsOfStructsAndTuples_NoDiagnostic() => Verifier.Analyzer(Usings + """
        struct Tables { public SgTable Imported; public SgTable Own; }

        class C
        {
            void M(DmaBufAttachment attach, Page[] ownPages)
            {
                Tables t;
                t.Imported = attach.Map(DmaDirection.ToDevice).Value;
                t.Own = SgTable.FromPages(ownPages);
                var a = t.Own[0].Page;

                var pair = (imported: t.Imported, own: t.Own);
                var b = pair.own[0].Phys;
                var c = pair.imported[0].DmaAddress;
            }
        }
        """);

    [Fact]
    public Task LambdaReadsOnlyTheDmaSide_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach)
            {
                SgTable table = attach.Map(DmaDirection.ToDevice).Value;
                Func<ulong> total = () => table.DmaSegments.Aggregate(0UL, (sum, sg) => sum + sg.DmaLength);
                Func<DmaAddr> first = () => table[0].DmaAddress;
                _ = total() + first().Raw;
            }
        }
        """);

    [Fact]
    public Task EntryVariableReassignedToAnOwnEntry_NoDiagnostic() => Verifier.Analyzer(Usings + """
        class C
        {
            void M(DmaBufAttachment attach, Page[] ownPages)
            {
                SgTable imported = attach.Map(DmaDirection.ToDevice).Value;
                Scatterlist entry = imported[0];
                _ = entry.DmaAddress;
                entry = SgTable.FromPages(ownPages)[0];
                var page = entry.Page;
            }
        }
        """);
}
