using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scatterlist map calls an unmap of a table answers to, for P2P0021's direction: the calls of the same body given
/// the same table (by what names it) before the unmap; else, for a table a field or property holds, the compilation's
/// <c>Dma.MapSg</c> calls of that member (<see cref="SgMapCalls"/>: mapped in the submit path, unmapped in the
/// completion). Read as syntax, as <see cref="MapArguments"/> reads a single mapping's call.
/// </summary>
internal static class TableMapCalls
{
    /// <summary>The scatterlist unmaps (<c>Dma.UnmapSg</c>, <c>LegacyUnmapSg</c>, <c>UnmapSgTable</c>).</summary>
    public static bool IsTableUnmap(Role role) => role is Role.UnmapSg or Role.UnmapSgTable;

    /// <summary>The map calls of the table <paramref name="unmap"/> is given, in source order; empty when none is found.</summary>
    public static IReadOnlyList<(InvocationExpressionSyntax Call, IMethodSymbol Method)> Of(IInvocationOperation unmap, KnownSymbols k)
    {
        if (SgEntryCounts.Table(unmap)?.Value is not IOperation table)
        {
            return System.Array.Empty<(InvocationExpressionSyntax, IMethodSymbol)>();
        }

        string text = AddressKey.Of(table).Text;
        var inBody = MethodFlow.RootOf(unmap).Descendants().OfType<IInvocationOperation>()
            .Where(map => map.Syntax.SpanStart < unmap.Syntax.SpanStart && IsTableMap(k.RoleOf(map.TargetMethod))
                && SgEntryCounts.Table(map)?.Value is IOperation mapped && AddressKey.Of(mapped).Text == text
                && map.Syntax is InvocationExpressionSyntax)
            .Select(map => ((InvocationExpressionSyntax)map.Syntax, map.TargetMethod))
            .ToList();
        if (inBody.Count > 0 || AddressKey.MemberOf(table) is not ISymbol member)
        {
            return inBody;
        }

        return SgMapCalls.Of(member, k)
            .Select(call => call.Location.SourceTree?.GetRoot().FindNode(call.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>())
            .Where(call => call is not null)
            .Select(call => (Call: call!, Method: MapArguments.LibraryMethod(call!, k.Dma)))
            .Where(m => m.Method is not null)
            .Select(m => (m.Call, m.Method!))
            .ToList();
    }

    private static bool IsTableMap(Role role) => role is Role.MapSg or Role.MapSgAware or Role.MapSgTable;
}
