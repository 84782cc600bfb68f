using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0004: an importer reads <c>Page</c> or <c>Phys</c> of an entry of a table it got from
/// <c>DmaBufAttachment.Map</c>. Exporters of peer memory give no valid pages; only DMA addresses are promised.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0004ImporterReadsPagesAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0004ImporterReadsPages);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.PropertyReference);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IPropertyReferenceOperation p && symbols.RoleOf(p.Property) is Role.SgPage or Role.SgPhys;

    // Imported-entry facts are made only by DmaBufAttachment.Map calls in the body itself: without one, reading the page
    // of an entry (an exporter's own table, a driver's pinned pages) costs no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind is FactKind.ImportedTable or FactKind.ImportedEntry;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var property = (IPropertyReferenceOperation)candidate;
        if (property.Instance is null || IsWrite(property)
            || Reporting.Earliest(flow.ValueOf(property.Instance.Syntax), FactKind.ImportedEntry) is not Fact imported)
        {
            return;
        }

        string what = symbols.RoleOf(property.Property) == Role.SgPage ? "the page" : "the CPU physical address";
        report(Diagnostic.Create(Descriptors.P2P0004ImporterReadsPages, property.Syntax.GetLocation(), Reporting.Origins(imported),
            Reporting.Text(property.Instance.Syntax), what, imported.Origin.Describe()));
    }

    private static bool IsWrite(IPropertyReferenceOperation property) =>
        property.Parent is IAssignmentOperation assignment && assignment.Target == property;
}
