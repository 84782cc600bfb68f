using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The bus offset applied with the wrong sign (<c>__pci_p2pdma_map_sg</c> before v5.15: <c>sg_phys(s) -
/// p2p_pgmap-&gt;bus_offset</c>, fixed by "PCI/P2PDMA: Apply bus offset correctly in DMA address calculation"). The
/// analyzer marks such a sink (<see cref="AddressSinks.BusOffsetSubtracted"/>, having seen that the subtrahend is a bus
/// offset); the rewrite adds it instead, which is <c>pci_p2pdma_bus_addr_map</c>. Shared by P2P0001 and P2P0002.
/// </summary>
internal static class BusOffsetSign
{
    public const string Title = "Add the bus offset instead of subtracting it";

    public static bool Applies(Diagnostic diagnostic) =>
        diagnostic.Properties.GetValueOrDefault(PropertyNames.Kind) == AddressSinks.BusOffsetSubtracted;

    /// <summary>The root with the sink's subtraction turned into an addition; null when the sink is not one.</summary>
    public static SyntaxNode? Rewrite(SyntaxNode root, Diagnostic diagnostic)
    {
        SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        ExpressionSyntax? value = node switch
        {
            InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } fromRaw => fromRaw.ArgumentList.Arguments[0].Expression,
            ArgumentSyntax argument => argument.Expression,
            ExpressionSyntax expression => expression,
            _ => null,
        };
        while (value is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            value = value is ParenthesizedExpressionSyntax p ? p.Expression : ((CastExpressionSyntax)value).Expression;
        }

        if (value is not BinaryExpressionSyntax subtraction || !subtraction.IsKind(SyntaxKind.SubtractExpression))
        {
            return null;
        }

        SyntaxToken plus = SyntaxFactory.Token(SyntaxKind.PlusToken).WithTriviaFrom(subtraction.OperatorToken);
        return root.ReplaceNode(subtraction, SyntaxFactory.BinaryExpression(SyntaxKind.AddExpression, subtraction.Left, plus, subtraction.Right));
    }
}
