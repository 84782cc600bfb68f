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
/// P2P0003: an exporter's <c>MapDmaBuf</c> returns a table that it, or a helper of its class in the same file
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

    private protected override bool IsCandidate(IOperation operation, KnownSymbols symbols) =>
        operation is IReturnOperation { ReturnedValue: not null } ret && IsMapCallback(ret, symbols);

    private protected override void Check(IOperation candidate, MethodFlow flow, KnownSymbols symbols, Action<Diagnostic> report)
    {
        IOperation value = Unwrap(((IReturnOperation)candidate).ReturnedValue!);
        string? builder = null;
        if (HandBuilt(flow, value, symbols, candidate) is not null)
        {
            builder = EnclosingMethod(candidate)?.Name;
        }
        else if (value is IInvocationOperation helper && HelperFlow(helper, symbols) is (MethodFlow helperFlow, IOperation body)
            && body.DescendantsAndSelf().OfType<IReturnOperation>().Any(r => r.ReturnedValue is IOperation v && HandBuilt(helperFlow, Unwrap(v), symbols, body) is not null))
        {
            builder = helper.TargetMethod.Name;
        }

        if (builder is not null)
        {
            report(Diagnostic.Create(Descriptors.P2P0003HandBuiltDmaOnlyTable, value.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(BuilderProperty, builder), builder));
        }
    }

    /// <summary>The table's allocation when <paramref name="value"/> is a table allocated here whose entries get DMA addresses by hand.</summary>
    private static Fact? HandBuilt(MethodFlow flow, IOperation value, KnownSymbols symbols, IOperation anywhereInMethod)
    {
        if (Reporting.Earliest(flow.ValueOf(value.Syntax), FactKind.HandBuiltTable) is not Fact table)
        {
            return null;
        }

        IOperation root = anywhereInMethod;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        bool filled = root.DescendantsAndSelf().OfType<IAssignmentOperation>().Any(a =>
            a.Target is IPropertyReferenceOperation { Instance: IOperation entry } p
            && symbols.RoleOf(p.Property) == Role.SgDmaAddress
            && flow.ValueOf(entry.Syntax).Facts.Any(f => f.Kind == FactKind.HandBuiltEntry && f.Origin.Equals(table.Origin)));
        return filled ? table : null;
    }

    /// <summary>The flow of a helper of the same class declared in the same file, if the call targets one.</summary>
    private static (MethodFlow, IOperation)? HelperFlow(IInvocationOperation call, KnownSymbols symbols)
    {
        IMethodSymbol target = call.TargetMethod;
        SemanticModel? model = call.SemanticModel;
        if (model is null || !SymbolEqualityComparer.Default.Equals(target.ContainingType, EnclosingMethod(call)?.ContainingType))
        {
            return null;
        }

        SyntaxNode? declaration = target.DeclaringSyntaxReferences
            .Where(r => r.SyntaxTree == model.SyntaxTree).Select(r => r.GetSyntax()).FirstOrDefault();
        if (declaration is null || model.GetOperation(declaration) is not IMethodBodyOperation body)
        {
            return null;
        }

        return (MethodFlow.Of(body, symbols, b => ControlFlowGraph.Create((IMethodBodyOperation)b)), body);
    }

    private static bool IsMapCallback(IReturnOperation ret, KnownSymbols symbols)
    {
        for (IMethodSymbol? m = EnclosingMethod(ret); m is not null; m = m.OverriddenMethod)
        {
            if (m.Name == "MapDmaBuf" && symbols.Is(m.ContainingType, symbols.DmaBufOps))
            {
                return true;
            }
        }

        return false;
    }

    private static IMethodSymbol? EnclosingMethod(IOperation op)
    {
        for (IOperation? p = op.Parent; p is not null; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }
        }

        return op.SemanticModel?.GetEnclosingSymbol(op.Syntax.SpanStart) as IMethodSymbol;
    }

    private static IOperation Unwrap(IOperation value) => value is IConversionOperation c ? c.Operand : value;
}
