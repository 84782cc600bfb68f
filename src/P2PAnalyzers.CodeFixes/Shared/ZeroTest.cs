using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A mapping tested against zero as if zero were the failure (<c>if (!paddr)</c>, <c>if (mapping == 0)</c>): the kernel's
/// commonest wrong check, which <c>dma_mapping_error()</c> replaces (ath10k's "Correct error handling of
/// dma_map_single()"). Recognised: <c>x.Raw == 0</c>, <c>x == default</c>, <c>x == default(DmaAddr)</c>, either side.
/// </summary>
internal static class ZeroTest
{
    public static bool Of(ExpressionSyntax condition, ExpressionSyntax mapping)
    {
        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        return condition is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } equals
            && ((Reads(equals.Left, mapping) && IsZero(equals.Right)) || (Reads(equals.Right, mapping) && IsZero(equals.Left)));
    }

    private static bool Reads(ExpressionSyntax side, ExpressionSyntax mapping) =>
        side.IsEquivalentTo(mapping, topLevel: false)
        || (side is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Raw" } raw && raw.Expression.WithoutTrivia().IsEquivalentTo(mapping.WithoutTrivia(), topLevel: false));

    private static bool IsZero(ExpressionSyntax side) => side switch
    {
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal => literal.Token.Value is 0 or 0L or 0UL or 0U,
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } => true,
        DefaultExpressionSyntax => true,
        _ => false,
    };
}
