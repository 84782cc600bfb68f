using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Whether a function mapped something before a point that it unmaps only after it (mxs-dcp's <c>mxs_dcp_run_aes</c>
/// maps the key, then the buffers, and unmaps all three at the end): a return added there would leave that mapping
/// behind (P2P0022). The map and the unmap are paired by what holds the mapping: the list of a scatterlist mapping, else
/// the variable, member or array the address is stored in, through the arms of a conditional or a <c>switch</c>
/// expression. Arguments are read by parameter, so named arguments in any order count; the unmaps of a local function
/// called after the point count as the function's own (the C# spelling of an unwinding label).
/// </summary>
internal static class EarlierMappings
{
    /// <summary>
    /// The map calls before <paramref name="at"/> whose mapping the function unmaps only after it, each with what holds
    /// the mapping and the unmaps after the point that name it.
    /// </summary>
    public static IReadOnlyList<(InvocationExpressionSyntax Map, ISymbol Storage, IReadOnlyList<InvocationExpressionSyntax> Unmaps)> LeftMappedBy(SemanticModel model, StatementSyntax at)
    {
        var none = new List<(InvocationExpressionSyntax, ISymbol, IReadOnlyList<InvocationExpressionSyntax>)>();
        SyntaxNode? body = Scope.EnclosingFunction(at);
        if (body is null)
        {
            return none;
        }

        var unmappedAfter = UnmapsAfter(model, body, at).Select(c => (Call: c, Symbol: StorageOf(model, Held(model, c)))).Where(u => u.Symbol is not null).ToList();
        if (unmappedAfter.Count == 0)
        {
            return none;
        }

        // Stores between an earlier map and the fix point (the fix point's own included) end that mapping's claim.
        var stores = EarlyExits.Own(body).Select(n => n switch
            {
                AssignmentExpressionSyntax a => (At: a.SpanStart, Symbol: StorageOf(model, a.Left)),
                VariableDeclaratorSyntax d => (At: d.SpanStart, Symbol: model.GetDeclaredSymbol(d)),
                _ => (At: 0, Symbol: (ISymbol?)null),
            })
            .Where(s => s.Symbol is not null)
            .ToList();
        return EarlyExits.Own(body).OfType<InvocationExpressionSyntax>()
            .Where(c => c.SpanStart < at.SpanStart && IsMap(EarlyExits.NameOf(c.Expression)) && EarlyExits.IsLibraryDma(model, c))
            .Select(c => (Call: c, Symbol: MappedBy(model, c)))
            .Where(m => m.Symbol is not null
                && !stores.Any(s => s.At > m.Call.Span.End && s.At < at.Span.End && SymbolEqualityComparer.Default.Equals(s.Symbol, m.Symbol)))
            .Select(m => (m.Call, Storage: m.Symbol!, Unmaps: (IReadOnlyList<InvocationExpressionSyntax>)unmappedAfter
                .Where(u => SymbolEqualityComparer.Default.Equals(u.Symbol, m.Symbol)).Select(u => u.Call).ToList()))
            .Where(m => m.Unmaps.Count != 0)
            .ToList();
    }

    // The library's unmaps after the point that a return there would skip (a finally around it runs anyway), and those in
    // the local functions called after it.
    private static IEnumerable<InvocationExpressionSyntax> UnmapsAfter(SemanticModel model, SyntaxNode body, StatementSyntax at)
    {
        var after = EarlyExits.Own(body).OfType<InvocationExpressionSyntax>()
            .Where(c => c.SpanStart > at.Span.End && !c.Ancestors().OfType<FinallyClauseSyntax>().Any(f => f.Parent is TryStatementSyntax t && t.Block.Span.Contains(at.Span)))
            .ToList();
        var localFunctions = after.Select(c => model.GetSymbolInfo(c).Symbol).OfType<IMethodSymbol>()
            .Where(m => m.MethodKind == MethodKind.LocalFunction)
            .SelectMany(m => m.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
            .OfType<LocalFunctionStatementSyntax>()
            .Where(f => body.Span.Contains(f.Span))
            .SelectMany(f => f.DescendantNodes().OfType<InvocationExpressionSyntax>());
        return after.Concat(localFunctions).Where(c => IsUnmap(EarlyExits.NameOf(c.Expression)) && EarlyExits.IsLibraryDma(model, c));
    }

    private static bool IsMap(string name) =>
        (name.StartsWith("Map", System.StringComparison.Ordinal) || name.StartsWith("LegacyMap", System.StringComparison.Ordinal)) && name != "MappingError";

    private static bool IsUnmap(string name) =>
        name.StartsWith("Unmap", System.StringComparison.Ordinal) || name.StartsWith("LegacyUnmap", System.StringComparison.Ordinal);

    private static bool IsTableMap(string name) => name is "MapSg" or "LegacyMapSg" or "MapSgTable";

    /// <summary>The second parameter's argument (the address an unmap is given, the list of a scatterlist call), by parameter.</summary>
    private static ExpressionSyntax? Held(SemanticModel model, InvocationExpressionSyntax call) =>
        model.GetOperation(call) is IInvocationOperation operation
        && operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value.Syntax is ExpressionSyntax value
            ? value
            : null;

    /// <summary>
    /// What an unmap names for the mapping <paramref name="map"/> made: the list of a scatterlist mapping (the count or
    /// status it returns is not unmapped), else what its address is stored in.
    /// </summary>
    private static ISymbol? MappedBy(SemanticModel model, InvocationExpressionSyntax map)
    {
        if (IsTableMap(EarlyExits.NameOf(map.Expression)))
        {
            return StorageOf(model, Held(model, map));
        }

        SyntaxNode value = map;
        while (value.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax
            || (value.Parent is ConditionalExpressionSyntax conditional && conditional.Condition != value)
            || (value.Parent is SwitchExpressionArmSyntax arm && arm.Expression == value))
        {
            value = value.Parent is SwitchExpressionArmSyntax { Parent: SwitchExpressionSyntax switched } ? switched : value.Parent;
        }

        return value.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax d } => model.GetDeclaredSymbol(d),
            AssignmentExpressionSyntax a when a.Right == value => StorageOf(model, a.Left),
            _ => null,
        };
    }

    /// <summary>The variable, member or array (for an element of it) an expression names.</summary>
    private static ISymbol? StorageOf(SemanticModel model, ExpressionSyntax? expression)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax or ElementAccessExpressionSyntax)
        {
            expression = expression switch
            {
                ParenthesizedExpressionSyntax p => p.Expression,
                CastExpressionSyntax c => c.Expression,
                ElementAccessExpressionSyntax e => e.Expression,
                _ => expression,
            };
        }

        return expression is null ? null : model.GetSymbolInfo(expression).Symbol;
    }
}
