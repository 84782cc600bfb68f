using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>What a helper hands back: a hand-filled table as its return value and/or through out parameters.</summary>
internal sealed record HelperTable(bool Returns, ImmutableArray<int> OutParameters);

/// <summary>
/// Tables the code allocated with <c>SgTable.Alloc</c> and filled with DMA addresses by hand, in one method or handed
/// back by a helper of the same class in the same file (its result or an out parameter). Shared by the flow analysis
/// (helper summaries) and P2P0003.
/// </summary>
internal static class HandBuiltTables
{
    /// <summary>Key prefix of a hand-built-table fact that a helper produced; the rest is the helper's name.</summary>
    public const string HelperKey = "helper:";

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
            .Where(f => f.Key?.StartsWith(HelperKey, System.StringComparison.Ordinal) == true || flow.FilledElsewhere(f.Origin) || Filled(flow, body, f, symbols))
            .OrderBy(f => f.Origin.Location.SourceSpan.Start)
            .Cast<Fact?>().FirstOrDefault();

    /// <summary>
    /// What <paramref name="method"/> hands back filled by hand, when it is a helper of the calling class declared in the
    /// same file whose result or out parameters are tables; null otherwise.
    /// </summary>
    public static HelperTable? BuiltBy(IMethodSymbol method, FlowContext context, KnownSymbols symbols)
    {
        SemanticModel? model = context.Model;
        if (model is null || !IsHelperShaped(method, symbols)
            || !SymbolEqualityComparer.Default.Equals(method.ContainingType, context.Owner?.ContainingType))
        {
            return null;
        }

        SyntaxNode? declaration = method.DeclaringSyntaxReferences.Where(r => r.SyntaxTree == model.SyntaxTree).Select(r => r.GetSyntax()).FirstOrDefault();
        if (declaration is null || model.GetOperation(declaration) is not IMethodBodyOperation body)
        {
            return null;
        }

        MethodFlow flow = MethodFlow.OfHelper(body, context, b => ControlFlowGraph.Create((IMethodBodyOperation)b));
        bool returns = body.DescendantsAndSelf().OfType<IReturnOperation>()
            .Any(r => r.ReturnedValue is IOperation v && Of(flow, body, flow.ValueOf(v.Syntax), symbols) is not null);
        ImmutableArray<int> outs = method.Parameters
            .Where(p => p.RefKind == RefKind.Out && IsTable(p.Type, symbols))
            .Where(p => body.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(a =>
                a.Target is IParameterReferenceOperation target && SymbolEqualityComparer.Default.Equals(target.Parameter, p)
                && Of(flow, body, flow.ValueOf(a.Value.Syntax), symbols) is not null))
            .Select(p => p.Ordinal)
            .ToImmutableArray();
        return returns || !outs.IsEmpty ? new HelperTable(returns, outs) : null;
    }

    /// <summary>Whether <paramref name="call"/> of <paramref name="method"/> may be summarised by <see cref="BuiltBy"/>.</summary>
    public static bool MayBeHelper(IMethodSymbol method, IOperation call, KnownSymbols symbols) =>
        IsHelperShaped(method, symbols)
        && SymbolEqualityComparer.Default.Equals(method.ContainingType, call.SemanticModel?.GetEnclosingSymbol(call.Syntax.SpanStart)?.ContainingType);

    /// <summary>An ordinary method whose result or an out parameter is a table; <see cref="BuiltBy"/> also needs the caller's class.</summary>
    private static bool IsHelperShaped(IMethodSymbol method, KnownSymbols symbols) =>
        method.MethodKind == MethodKind.Ordinary && MayHandBackTable(method, symbols);

    private static bool MayHandBackTable(IMethodSymbol method, KnownSymbols symbols) =>
        IsTable(method.ReturnType, symbols) || method.Parameters.Any(p => p.RefKind == RefKind.Out && IsTable(p.Type, symbols));

    private static bool IsTable(ITypeSymbol type, KnownSymbols symbols) =>
        symbols.Is(type, symbols.SgTable)
        || (symbols.Is(type, symbols.DmaResult) && type is INamedTypeSymbol { TypeArguments: [var t] } && symbols.Is(t, symbols.SgTable));
}
