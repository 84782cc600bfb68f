using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Tables the code allocated with <c>SgTable.Alloc</c> and filled with DMA addresses by hand: in the method itself, by a
/// helper handed the table or its entries (<see cref="MethodFlow.FilledElsewhere"/>), or handed back filled by another
/// method of the compilation (the whole-program summary marks those with a <see cref="KeyKind.Builder"/> key that names the builder).
/// </summary>
internal static class HandBuiltTables
{
    /// <summary>True when <paramref name="table"/> (allocated in the method of <paramref name="flow"/>) got a DMA address stored by hand there.</summary>
    public static bool Filled(MethodFlow flow, IOperation body, Fact table, KnownSymbols symbols) =>
        body.DescendantsAndSelf().OfType<IAssignmentOperation>().Any(a =>
            a.Target is IPropertyReferenceOperation { Instance: IOperation entry } p
            && symbols.RoleOf(p.Property) == Role.SgDmaAddress
            && a.Value is not IInvalidOperation && !a.Value.Syntax.ContainsDiagnostics
            && flow.ValueOf(entry.Syntax).Facts.Any(f => f.Kind == FactKind.HandBuiltEntry && f.Origin.Equals(table.Origin)));

    /// <summary>The hand-filled table facts a value carries that this method's stores (or a helper's) account for.</summary>
    public static Fact? Of(MethodFlow flow, IOperation body, FlowValue value, KnownSymbols symbols) =>
        value.Facts.Where(f => f.Kind == FactKind.HandBuiltTable)
            .Where(f => f.Key.Kind == KeyKind.Builder || flow.FilledElsewhere(f.Origin) || Filled(flow, body, f, symbols))
            .Where(f => !BuiltAsPhysVecToSgt(f, symbols))
            .OrderBy(f => f.Origin.Location.SourceSpan.Start)
            .Cast<Fact?>().FirstOrDefault();

    /// <summary>
    /// Whether the method that allocated the table asks the map type and makes bus addresses itself: the kernel's own
    /// <c>dma_buf_phys_vec_to_sgt</c> (pci_p2pdma_map_type, then pci_p2pdma_bus_addr_map for BUS_ADDR, and MMIO
    /// mappings through the host bridge) builds the page-less table a dma-buf exporter may hand out; written out in the
    /// project, it is not the habit. An entry it fills with a raw CPU address is still P2P0001's.
    /// </summary>
    private static bool BuiltAsPhysVecToSgt(Fact table, KnownSymbols symbols)
    {
        if (table.Origin.Location is not { IsInSource: true, SourceTree: SyntaxTree tree } at
            || tree.GetRoot().FindNode(at.SourceSpan).FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() is not BaseMethodDeclarationSyntax builder)
        {
            return false;
        }

        SemanticModel? model = null;
        bool asks = false, busAddresses = false;
        // (Only calls named as the library's members bind.)
        foreach (InvocationExpressionSyntax call in builder.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapType" or "State" or "BusAddrMap" }))
        {
            model ??= SemanticModels.Of(symbols.Compilation, tree);
            switch (model.GetSymbolInfo(call).Symbol is IMethodSymbol m ? symbols.RoleOf(m) : (Role?)null)
            {
                case Role.MapTypeQuery or Role.StateQuery:
                    asks = true;
                    break;
                case Role.BusAddrMap:
                    busAddresses = true;
                    break;
            }
        }

        return asks && busAddresses;
    }

}
