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
        IInvocationOperation inv => SgEntryCounts.TakenBy(inv, symbols) is not null || SgCountForwarders.MayForward(inv.TargetMethod, symbols),
        // Whether the loop reads an entry's DMA side is asked in Check, once the body passed the fact pre-filter.
        ILoopOperation loop => loop is IForLoopOperation or IForEachLoopOperation or IWhileLoopOperation,
        _ => false,
    };

    // The count is made only by the map calls that return it; a body that neither calls one nor reads a node that
    // brings its count (a field set at submission) costs no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.SgMappedCount;

    // A loop over a table a member holds, which another method maps with a count, is judged without a fact here.
    private protected override bool JudgedWithoutFacts(IOperation candidate, KnownSymbols symbols) =>
        candidate is ILoopOperation loop && SgSegmentReads.Of(loop, symbols) is SgSegmentReads.Iteration iteration
        && AddressKey.MemberOf(iteration.TableOp) is ISymbol member && SgMapCalls.Of(member, symbols).Count > 0;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        if (candidate is ILoopOperation loop)
        {
            CheckLoop(loop, flow, symbols, report);
            return;
        }

        var inv = (IInvocationOperation)candidate;
        if (Nents(inv, flow, symbols) is not IArgumentOperation nents
            || SgCountForwarders.IsForwarded(nents, symbols)
            || Reporting.Earliest(flow.ValueOf(nents.Value.Syntax), FactKind.SgMappedCount) is not Fact count)
        {
            return;
        }

        // The map call comes first among the additional locations, whatever hops the count took: the fix reads the
        // nents it was given from there.
        report(Diagnostic.Create(Descriptors.P2P0024ScatterlistCountConfusion, nents.Syntax.GetLocation(),
            count.Origin.Locations().Where(l => l.IsInSource),
            $"{Origin.OfCall(inv.TargetMethod)} is given '{Reporting.Text(nents.Value.Syntax)}' as nents, the DMA segment count returned by {count.Origin.Describe()}",
            "unmap and sync take the nents given to the map call"));
    }

    /// <summary>
    /// The nents argument of the library's unmap or sync, or the argument a method of the compilation hands on as one
    /// (<see cref="SgCountForwarders"/>: read only when a mapped count is among the arguments).
    /// </summary>
    private static IArgumentOperation? Nents(IInvocationOperation call, MethodFlow flow, KnownSymbols symbols) =>
        SgEntryCounts.TakenBy(call, symbols)
        ?? (call.Arguments.Any(a => flow.ValueOf(a.Value.Syntax).Facts.Any(f => f.Kind == FactKind.SgMappedCount))
            && SgCountForwarders.Of(call.TargetMethod, symbols) is int ordinal
                ? call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal && a.ArgumentKind != ArgumentKind.DefaultValue)
                : null);

    /// <summary>The bound less the index's first value: <c>n + i</c> from <c>i</c> is <c>n</c> entries.</summary>
    private static IOperation Counted(IOperation bound, IOperation? start) =>
        start is not null && SgSegmentReads.Stripped(bound) is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum
            ? SgSegmentReads.Text(sum.RightOperand) == SgSegmentReads.Text(start) ? sum.LeftOperand
            : SgSegmentReads.Text(sum.LeftOperand) == SgSegmentReads.Text(start) ? sum.RightOperand : bound
            : bound;

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
        IInvocationOperation? local = root.Descendants().OfType<IInvocationOperation>()
            .Where(i => i.Syntax.SpanStart < loop.Syntax.SpanStart && SgEntryCounts.GivenTo(i, symbols) is (_, var table) && SgSegmentReads.Text(table.Value) == iteration.Table)
            .OrderBy(i => i.Syntax.SpanStart)
            .LastOrDefault();

        // The map call of this body, else those of the compilation that map the table the same member holds.
        ISymbol? tableMember = AddressKey.MemberOf(iteration.TableOp);
        var maps = local is not null && SgEntryCounts.GivenTo(local, symbols) is (IArgumentOperation localNents, _)
            ? new[] { new SgMapCalls.MapCall(local.Syntax.GetLocation(), local.TargetMethod.Name, AddressKey.MemberOf(localNents.Value), SgSegmentReads.Text(localNents.Value)) }
            : tableMember is not null ? SgMapCalls.Of(tableMember, symbols).ToArray() : Array.Empty<SgMapCalls.MapCall>();
        if (maps.Length == 0)
        {
            return;
        }

        SgMapCalls.MapCall map = maps[0];
        string what;
        if (iteration.Bound is IOperation written)
        {
            // for (j = i; j < n + i; j++) runs n times.
            IOperation bound = Counted(written, iteration.Start);
            string b = SgSegmentReads.Text(bound);
            ISymbol? boundMember = AddressKey.MemberOf(bound);
            bool entries = b == iteration.Table + ".Count" || b == iteration.Table + ".OrigNents";
            SgMapCalls.MapCall? given = maps.Cast<SgMapCalls.MapCall?>().FirstOrDefault(m =>
                entries || (local is not null ? b == m!.Value.NentsText : boundMember is not null && SymbolEqualityComparer.Default.Equals(boundMember, m!.Value.Nents)));

            // The bound is the entry count, and not the count itself stored back (`nents = dma_map_sg(.., nents, ..)`).
            if (given is null || flow.ValueOf(written.Syntax).Facts.Any(f => f.Kind == FactKind.SgMappedCount)
                || flow.ValueOf(bound.Syntax).Facts.Any(f => f.Kind == FactKind.SgMappedCount))
            {
                return;
            }

            map = given.Value;
            what = $"the loop reads DMA addresses of '{iteration.Table}' up to '{Reporting.Text(written.Syntax)}', the entry count given to Dma.{map.Method}";
        }
        else
        {
            // DmaSegments follows Nents, which Dma.MapSg leaves at the entry count unless the code sets it (anywhere,
            // when the map is in another method).
            if (iteration.OverDmaSegments && (local is null || root.Descendants().OfType<ISimpleAssignmentOperation>().Any(a =>
                    a.Syntax.SpanStart > local.Syntax.SpanStart && a.Syntax.SpanStart < loop.Syntax.SpanStart
                    && SgSegmentReads.Text(a.Target) == iteration.Table + ".Nents")))
            {
                return;
            }

            what = $"the loop reads DMA addresses of every entry of '{iteration.Table}', not only the segments Dma.{map.Method} returned";
        }

        report(Diagnostic.Create(Descriptors.P2P0024ScatterlistCountConfusion, iteration.At.Syntax.GetLocation(),
            new[] { map.Location }, ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.Kind, LoopKind),
            what, "only the first entries, as many as the DMA segment count it returned, hold DMA addresses (for_each_sg over that count)"));
    }
}
