using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The range check of a scatterlist mapping's count that the kernel writes as one failure test:
/// <c>if (nr_sgs &lt;= 0 || nr_sgs &gt; MAX_SG) { dev_err(.., "Invalid sg number"); goto theend; }</c> (sun8i-ce,
/// sun8i-ss, sun4i-ss, rockchip). The upper bound cannot hold while the driver hands the engine no more entries than it
/// has descriptors (dma_map_sg returns at most the nents it was given, and those drivers fall back to software above
/// the bound), and its authors treat the whole branch as the mapping's failure: so does P2P0022's walk. A bound on
/// anything else beside the zero test (<c>nr_sgs &lt;= 0 || len &gt; max</c>) is not this check.
/// </summary>
internal static class CountRangeChecks
{
    /// <summary>
    /// Whether <paramref name="upper"/> (a test that the count <paramref name="count"/> is above a bound) is a disjunct of
    /// an <c>||</c> whose other side tests that same count for zero (<c>&lt;= 0</c>, <c>== 0</c>, <c>&lt; 1</c>).
    /// </summary>
    public static bool BesideZeroTest(SyntaxNode upper, ILocalSymbol count)
    {
        SyntaxNode node = upper;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        if (node.Parent is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } or)
        {
            return false;
        }

        ExpressionSyntax other = or.Left == node ? or.Right : or.Left;
        while (other is ParenthesizedExpressionSyntax p)
        {
            other = p.Expression;
        }

        return other is BinaryExpressionSyntax test
            && (Names(test.Left, count) ? ZeroTest(test.Kind(), test.Right) : Names(test.Right, count) && ZeroTest(Mirror(test.Kind()), test.Left));
    }

    private static bool Names(ExpressionSyntax e, ILocalSymbol count) => e is IdentifierNameSyntax name && name.Identifier.ValueText == count.Name;

    private static bool ZeroTest(SyntaxKind kind, ExpressionSyntax bound) => bound is LiteralExpressionSyntax { Token.Value: int value } && (kind, value) switch
    {
        (SyntaxKind.LessThanOrEqualExpression, 0) or (SyntaxKind.EqualsExpression, 0) or (SyntaxKind.LessThanExpression, 1) => true,
        _ => false,
    };

    private static SyntaxKind Mirror(SyntaxKind kind) => kind switch
    {
        SyntaxKind.LessThanOrEqualExpression => SyntaxKind.GreaterThanOrEqualExpression,
        SyntaxKind.GreaterThanOrEqualExpression => SyntaxKind.LessThanOrEqualExpression,
        SyntaxKind.LessThanExpression => SyntaxKind.GreaterThanExpression,
        SyntaxKind.GreaterThanExpression => SyntaxKind.LessThanExpression,
        _ => kind,
    };
}
