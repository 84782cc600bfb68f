using System.Linq;
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
    public static bool Of(ExpressionSyntax condition, ExpressionSyntax mapping) =>
        Tested(condition, SyntaxKind.EqualsExpression)?.IsEquivalentTo(mapping.WithoutTrivia(), topLevel: false) == true;

    /// <summary>
    /// What <paramref name="condition"/> compares with zero by <paramref name="comparison"/> (<c>==</c> or <c>!=</c>),
    /// its <c>.Raw</c> taken off: <c>x</c> for <c>x.Raw != 0</c> or <c>default == x</c>; null for any other condition.
    /// </summary>
    public static ExpressionSyntax? Tested(ExpressionSyntax condition, SyntaxKind comparison)
    {
        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        if (condition is not BinaryExpressionSyntax test || !test.IsKind(comparison))
        {
            return null;
        }

        ExpressionSyntax? side = IsZero(test.Right) ? test.Left : IsZero(test.Left) ? test.Right : null;
        return side is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Raw" } raw ? raw.Expression.WithoutTrivia() : side?.WithoutTrivia();
    }

    /// <summary>
    /// The zero test's branch, now taken on the mapping's failure, with the address set back to zero first, as the old
    /// test left it: code after the branch may read zero as "never mapped" (mtip32xx's <c>abort: if (outbuf_dma)
    /// dma_unmap_single(..)</c>, which unmapped the failed address once the kernel's fix made the same change without
    /// it). Not where the address is a local and the branch leaves the function or the turn of the loop (ath10k's
    /// <c>continue</c>); a field keeps what the branch leaves in it.
    /// </summary>
    public static IfStatementSyntax Reset(IfStatementSyntax check, ExpressionSyntax mapping, bool local)
    {
        StatementSyntax? last = check.Statement is BlockSyntax b ? b.Statements.LastOrDefault() : check.Statement;
        if (local && last is ReturnStatementSyntax or ThrowStatementSyntax or ContinueStatementSyntax)
        {
            return check;
        }

        StatementSyntax reset = FixDocument.Generated(SyntaxFactory.ParseStatement($"{mapping.WithoutTrivia()} = default;"));
        BlockSyntax body = check.Statement is BlockSyntax { Statements: [var first, ..] } block
            ? block.WithStatements(block.Statements.Insert(0, reset.WithLeadingTrivia(first.GetLeadingTrivia()).WithTrailingTrivia(first.GetTrailingTrivia())))
            : SyntaxFactory.Block(reset, check.Statement.WithoutLeadingTrivia());
        return check.WithStatement(body).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
    }

    private static bool IsZero(ExpressionSyntax side) => side switch
    {
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal => literal.Token.Value is 0 or 0L or 0UL or 0U,
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } => true,
        DefaultExpressionSyntax => true,
        _ => false,
    };
}
