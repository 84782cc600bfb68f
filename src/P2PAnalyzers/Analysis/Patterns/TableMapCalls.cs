using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The scatterlist map calls an unmap of a table answers to, for P2P0021's direction: the body's map calls of the same
/// list that reach the unmap (<see cref="ReachingTableMaps"/>), and, where the list may arrive mapped from elsewhere and
/// a field or property holds it, every <c>Dma.MapSg</c> of that member in the compilation (<see cref="SgMapCalls"/>:
/// mapped in the submit path, unmapped in the completion). Read as syntax, as <see cref="MapArguments"/> reads a single
/// mapping's call.
/// </summary>
internal static class TableMapCalls
{
    /// <summary>The scatterlist unmaps (<c>Dma.UnmapSg</c>, <c>LegacyUnmapSg</c>, <c>UnmapSgTable</c>).</summary>
    public static bool IsTableUnmap(Role role) => role is Role.UnmapSg or Role.UnmapSgTable;

    /// <summary>
    /// The map calls the table <paramref name="unmap"/> is given may have been mapped by, in file and source order; null
    /// when one may be unseen: the list arrives from a caller or a local's new value (not a member), the whole-program
    /// analysis is off, or no map is found.
    /// </summary>
    public static IReadOnlyList<(InvocationExpressionSyntax Call, IMethodSymbol Method)>? Of(IInvocationOperation unmap, ControlFlowGraph graph, KnownSymbols k)
    {
        if (SgEntryCounts.Table(unmap)?.Value is not IOperation table
            || ReachingTableMaps.Of(graph, unmap, AddressKey.Of(table), k) is not { } reach)
        {
            return null;
        }

        var maps = reach.Maps.Where(m => m.Syntax is InvocationExpressionSyntax)
            .Select(m => ((InvocationExpressionSyntax)m.Syntax, m.TargetMethod)).ToList();
        if (reach.Arrives)
        {
            if (!k.User.WholeProgramEnabled || AddressKey.MemberOf(table) is not ISymbol member)
            {
                return null;
            }

            maps.AddRange(SgMapCalls.Of(member, k)
                .Select(call => call.Location.SourceTree?.GetRoot().FindNode(call.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>())
                .Where(call => call is not null && !maps.Any(m => m.Item1 == call))
                .Select(call => (Call: call!, Method: MapArguments.LibraryMethod(call!, k.Dma)))
                .Where(m => m.Method is not null)
                .Select(m => (m.Call, m.Method!)));
        }

        return maps.Count == 0 ? null : maps;
    }
}
