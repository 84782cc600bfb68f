using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0024: a scatterlist is unmapped or synced with the DMA segment count <c>Dma.MapSg</c> returned instead of the
/// nents it was given (<c>dma_unmap_sg(dev, sg, count, dir)</c>: mvsdio, bcm2835, mvsas). The count is followed through
/// locals, fields and per-request objects to an unmap in a completion callback.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0024ScatterlistCountConfusionAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0024ScatterlistCountConfusion);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IInvocationOperation inv && SgEntryCounts.TakenBy(inv, symbols) is not null;

    // The count is made only by the map calls that return it; a body that neither calls one nor reads a node that
    // brings its count (a field set at submission) costs no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.SgMappedCount;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        var inv = (IInvocationOperation)candidate;
        if (SgEntryCounts.TakenBy(inv, symbols) is not IArgumentOperation nents
            || Reporting.Earliest(flow.ValueOf(nents.Value.Syntax), FactKind.SgMappedCount) is not Fact count)
        {
            return;
        }

        // The map call comes first among the additional locations, whatever hops the count took: the fix reads the
        // nents it was given from there.
        report(Diagnostic.Create(Descriptors.P2P0024ScatterlistCountConfusion, nents.Syntax.GetLocation(),
            count.Origin.Locations().Where(l => l.IsInSource),
            $"Dma.{inv.TargetMethod.Name}", Reporting.Text(nents.Value.Syntax), count.Origin.Describe()));
    }
}
