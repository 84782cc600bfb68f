using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Builders that map nothing: each entry gets the raw CPU address as its DMA address (<c>sg_dma_address(sg) =
/// bar_address</c>, the 2021 habanalabs exporter and its <c>set_dma_sg</c>), and its length. Each such entry is a range
/// as a mapping would be; the builder then has no device or direction of its own (<see cref="Raw"/>), and the rewrite
/// takes both from the exporter's <c>MapDmaBuf</c>. A builder that both maps and stores raw addresses is not recognised.
/// </summary>
internal sealed partial class TableBuilderShape
{
    /// <summary>The ranges come from raw stores into the entries: nothing was mapped.</summary>
    public bool Raw { get; private set; }

    /// <summary>
    /// <c>e.DmaAddress = DmaAddr.FromRaw(a);</c> in a fill loop whose body also stores <c>e.DmaLength = l;</c> with a length
    /// the loop never assigns: the range <c>(PhysAddr.FromRaw(a), l)</c>.
    /// </summary>
    private (string Phys, string Size)? RawStore(StatementSyntax s, StatementSyntax loopBody)
    {
        if (s is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress", Expression: var entry }, Right: InvocationExpressionSyntax { ArgumentList.Arguments: [var raw] } fromRaw } }
            || !IsEntry(entry) || !Is(fromRaw, "DmaAddr", "FromRaw") || Mentions(raw.Expression))
        {
            return null;
        }

        var lengths = (loopBody is BlockSyntax block ? block.Statements : new SyntaxList<StatementSyntax>(loopBody))
            .Select(x => x is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaLength", Expression: var target }, Right: var length } }
                && target.IsEquivalentTo(entry) ? length : null)
            .OfType<ExpressionSyntax>()
            .ToList();
        if (lengths is not [var l] || !Assignments.Unassigned(l, loopBody, _model, _ct))
        {
            return null;
        }

        Raw = true;
        Sources.Add(raw.Expression);
        return ($"{Names.PhysAddr}.FromRaw({raw.Expression.WithoutTrivia()})", l.WithoutTrivia().ToString());
    }

    /// <summary>A helper's <c>sg.DmaAddress = DmaAddr.FromRaw(a)</c> and <c>sg.DmaLength = l</c>, collected.</summary>
    private void RawParts(StatementSyntax h, SemanticModel model, ref (ExpressionSyntax? Address, ExpressionSyntax? Length) raw)
    {
        switch (h)
        {
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaAddress" }, Right: InvocationExpressionSyntax { ArgumentList.Arguments: [var a] } fromRaw } }
                when Is(fromRaw, "DmaAddr", "FromRaw", model):
                raw.Address = a.Expression;
                break;
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaLength" }, Right: var l } }:
                raw.Length = l;
                break;
        }
    }
}
