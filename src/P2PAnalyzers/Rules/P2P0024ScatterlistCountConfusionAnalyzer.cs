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
/// locals, fields and per-request objects to an unmap in a completion callback. And its other half: a loop in the
/// function that called <c>Dma.MapSg</c> reading the table's DMA addresses past the count (<see cref="SgSegmentReads"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0024ScatterlistCountConfusionAnalyzer : FlowRuleAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0024ScatterlistCountConfusion);

    /// <summary>Diagnostic property <see cref="PropertyNames.Kind"/>: <see cref="LoopKind"/> for a loop reading past the count.</summary>
    internal const string LoopKind = "Loop";

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Invocation, OperationKind.Loop);

    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) => operation switch
    {
        IInvocationOperation inv => SgEntryCounts.TakenBy(inv, symbols) is not null,
        // Whether the loop reads an entry's DMA side is asked in Check, once the body passed the fact pre-filter.
        ILoopOperation loop => loop is IForLoopOperation or IForEachLoopOperation,
        _ => false,
    };

    // The count is made only by the map calls that return it; a body that neither calls one nor reads a node that
    // brings its count (a field set at submission) costs no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.SgMappedCount;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (candidate is ILoopOperation loop)
        {
            CheckLoop(loop, flow, symbols, report);
            return;
        }

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
            $"Dma.{inv.TargetMethod.Name} is given '{Reporting.Text(nents.Value.Syntax)}' as nents, the DMA segment count returned by {count.Origin.Describe()}",
            "unmap and sync take the nents given to the map call"));
    }

    /// <summary>
    /// A loop that reads DMA addresses of a table past the count the table's last <c>Dma.MapSg</c> in this body returned:
    /// bounded by the nents given (or the table's entry count), or a foreach over its entries (<see cref="SgSegmentReads"/>).
    /// </summary>
    private static void CheckLoop(ILoopOperation loop, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (SgSegmentReads.Of(loop, symbols) is not SgSegmentReads.Iteration iteration)
        {
            return;
        }

        IOperation root = MethodFlow.RootOf(loop);
        IInvocationOperation? map = root.Descendants().OfType<IInvocationOperation>()
            .Where(i => i.Syntax.SpanStart < loop.Syntax.SpanStart && SgEntryCounts.GivenTo(i, symbols) is (_, var table) && SgSegmentReads.Text(table.Value) == iteration.Table)
            .OrderBy(i => i.Syntax.SpanStart)
            .LastOrDefault();
        if (map is null || SgEntryCounts.GivenTo(map, symbols) is not (IArgumentOperation nents, _))
        {
            return;
        }

        string what;
        if (iteration.Bound is IOperation bound)
        {
            string b = SgSegmentReads.Text(bound);
            // The bound is the entry count, and not the count itself stored back (`nents = dma_map_sg(.., nents, ..)`).
            if (!(b == SgSegmentReads.Text(nents.Value) || b == iteration.Table + ".Count" || b == iteration.Table + ".OrigNents")
                || flow.ValueOf(bound.Syntax).Facts.Any(f => f.Kind == FactKind.SgMappedCount))
            {
                return;
            }

            what = $"the loop reads DMA addresses of '{iteration.Table}' up to '{Reporting.Text(bound.Syntax)}', the entry count given to Dma.{map.TargetMethod.Name}";
        }
        else
        {
            // DmaSegments follows Nents, which Dma.MapSg leaves at the entry count unless the code sets it.
            if (iteration.OverDmaSegments && root.Descendants().OfType<ISimpleAssignmentOperation>().Any(a =>
                    a.Syntax.SpanStart > map.Syntax.SpanStart && a.Syntax.SpanStart < loop.Syntax.SpanStart
                    && SgSegmentReads.Text(a.Target) == iteration.Table + ".Nents"))
            {
                return;
            }

            what = $"the loop reads DMA addresses of every entry of '{iteration.Table}', not only the segments Dma.{map.TargetMethod.Name} returned";
        }

        report(Diagnostic.Create(Descriptors.P2P0024ScatterlistCountConfusion, iteration.At.Syntax.GetLocation(),
            new[] { map.Syntax.GetLocation() }, ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Kind, LoopKind),
            what, "only the first entries, as many as the DMA segment count it returned, hold DMA addresses (for_each_sg over that count)"));
    }
}
