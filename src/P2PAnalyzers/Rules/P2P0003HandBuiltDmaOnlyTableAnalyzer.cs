using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.Rules;

/// <summary>
/// P2P0003: an exporter's <c>MapDmaBuf</c> returns a table that it, or a builder anywhere in the compilation
/// (<c>amdgpu_vram_mgr_alloc_sgt</c>), allocated with <c>SgTable.Alloc</c> and filled with DMA addresses by hand.
/// Reported at the returned value; the fix rewrites the builder to <c>DmaBufMapping.PhysVecToSgt</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class P2P0003HandBuiltDmaOnlyTableAnalyzer : FlowRuleAnalyzer
{
    /// <summary>Diagnostic property: the name of the method that fills the table.</summary>
    internal const string BuilderProperty = "Builder";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.P2P0003HandBuiltDmaOnlyTable);

    private protected override ImmutableArray<OperationKind> CandidateKinds { get; } = ImmutableArray.Create(OperationKind.Return);

    // Only a MapDmaBuf callback's own returns are candidates: other bodies register nothing.
    private protected override bool MayMatter(ISymbol owner, KnownSymbols symbols) => owner is IMethodSymbol method && IsMapCallback(method, symbols);

    // MayMatter has already seen that the containing member is a MapDmaBuf callback: its own returns are the candidates,
    // not those of lambdas or local functions in it.
    private protected override bool IsCandidate(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols) =>
        operation is IReturnOperation { ReturnedValue: not null } ret && EnclosingMethod(ret, containingSymbol) is not null;

    // Hand-built tables are made only by SgTable.Alloc in the callback itself, or arrive from a builder elsewhere (Needs):
    // without either, a callback's returns cost no flow analysis.
    private protected override bool Needs(Fact fact) => fact.Kind == FactKind.HandBuiltTable;

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        IOperation value = ((IReturnOperation)candidate).ReturnedValue!;
        IOperation body = MethodFlow.RootOf(candidate);

        // The table is either filled here, or handed back by a helper of this class (its name is in the fact's key).
        if (HandBuiltTables.Of(flow, body, flow.ValueOf(value.Syntax), symbols) is not Fact table)
        {
            return;
        }

        string builder = table.Key.Kind == KeyKind.Builder && table.Key.Path is string helper
            ? helper
            : EnclosingMethod(candidate)?.Name ?? "MapDmaBuf";
        report(Diagnostic.Create(Descriptors.P2P0003HandBuiltDmaOnlyTable, value.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(BuilderProperty, builder), builder));
    }

    private static bool IsMapCallback(IMethodSymbol method, KnownSymbols symbols)
    {
        for (IMethodSymbol? m = method; m is not null; m = m.OverriddenMethod)
        {
            if (m.Name == "MapDmaBuf" && symbols.Is(m.ContainingType, symbols.DmaBufOps))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The method whose return <paramref name="op"/> is: none inside a lambda or local function.</summary>
    private static IMethodSymbol? EnclosingMethod(IOperation op, ISymbol? containing = null)
    {
        for (IOperation? p = op.Parent; p is not null; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }
        }

        return (containing ?? op.SemanticModel?.GetEnclosingSymbol(op.Syntax.SpanStart)) as IMethodSymbol;
    }
}
