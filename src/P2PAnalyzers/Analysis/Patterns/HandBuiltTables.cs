using System.Linq;
using Microsoft.CodeAnalysis;
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
            .OrderBy(f => f.Origin.Location.SourceSpan.Start)
            .Cast<Fact?>().FirstOrDefault();

}
