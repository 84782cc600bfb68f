using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The mapping of an address that goes into scatterlist entries, decided by map type as the kernel fills an entry
/// (<c>pci_p2pdma_map_segment</c>, <c>dma_direct_map_sg</c>): <c>PciP2PDma.BusAddrMap</c> for a bus-address peer, the
/// code's own call for a peer through the host bridge, <c>DmaAddr.MappingError</c> otherwise; each store into an entry
/// is followed by the mark. Not <c>Dma.MapP2P</c>: the entries are unmapped by address elsewhere
/// (<c>Dma.UnmapResource</c>), which must undo the code's own call, not a P2P mapping (DMA debugging reports the
/// other family as "wrong function"), and a bus address must not stay tracked as a live mapping nobody undoes.
/// </summary>
internal static class MapTypeEntries
{
    /// <summary>
    /// The replacement of <c>DmaAddr a = Dma.MapResource(dev, phys, size, dir[, attrs]);</c> after <paramref name="prologue"/>,
    /// and the marks after <paramref name="stores"/>; null when the call's device is not a plain path (it is named twice),
    /// or when <c>Dma.MapPhys</c> is not asked for MMIO (it would map the BAR as RAM).
    /// </summary>
    public static MapP2PRewrite.Plan? Plan(SemanticModel model, InvocationExpressionSyntax call, LocalDeclarationStatementSyntax statement, ILocalSymbol local,
        ExpressionSyntax provider, IReadOnlyList<StatementSyntax> prologue, IReadOnlyList<ExpressionStatementSyntax> stores)
    {
        SeparatedSyntaxList<ArgumentSyntax> args = call.ArgumentList.Arguments;
        if (!IterationInvariant.Pure(args[0].Expression)
            || call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapPhys" } && (args.Count < 5 || !args[4].Expression.ToString().Contains("Mmio")))
        {
            return null;
        }

        string type = Scope.FreeName(model, call.SpanStart, local.Name + "Type");
        ExpressionSyntax decided = SyntaxFactory.ParseExpression(
            $"{type} switch\n{{\n{Names.P2PMapType}.BusAddr => {Names.PciP2PDma}.BusAddrMap({provider}, {args[1].Expression.WithoutTrivia()}),\n" +
            $"{Names.P2PMapType}.ThruHostBridge => {call.WithoutTrivia()},\n_ => {Names.DmaAddr}.MappingError,\n}}");
        var replacement = new List<StatementSyntax>(prologue)
        {
            FixDocument.Statement($"{Names.P2PMapType} {type} = {Names.PciP2PDma}.MapType({provider}, {args[0].Expression.WithoutTrivia()});"),
            FixDocument.Generated(statement.ReplaceNode(call, decided.WithTriviaFrom(call))).WithLeadingTrivia(SyntaxFactory.ElasticMarker),
        };
        replacement[0] = replacement[0].WithLeadingTrivia(statement.GetLeadingTrivia());
        return new MapP2PRewrite.Plan(statement, replacement, System.Array.Empty<(StatementSyntax, StatementSyntax)>(),
            stores.Select(s => ((StatementSyntax)s, Mark(s, type))).ToList());
    }

    /// <summary>What follows a store: the entry marked for a bus address, unmarked otherwise (the entry may be refilled).</summary>
    private static StatementSyntax Mark(ExpressionStatementSyntax store, string type)
    {
        string entry = ((MemberAccessExpressionSyntax)((AssignmentExpressionSyntax)store.Expression).Left).Expression.WithoutTrivia().ToString();
        return FixDocument.Generated(SyntaxFactory.IfStatement(
                SyntaxFactory.ParseExpression($"{type} == {Names.P2PMapType}.BusAddr"),
                SyntaxFactory.Block(SyntaxFactory.ParseStatement($"{entry}.MarkBusAddress();")),
                SyntaxFactory.ElseClause(SyntaxFactory.Block(SyntaxFactory.ParseStatement($"{entry}.UnmarkBusAddress();")))))
            .WithLeadingTrivia(SyntaxFactory.ElasticMarker);
    }
}
