using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The function's own check of the buffer it is about to map, right before the map: <c>if (!skb) { ..; break; }</c> in
/// 3c59x's refill loop, <c>if (!new_skb) { dev-&gt;stats.rx_dropped++; goto rx_next; }</c> in 8139cp's <c>cp_rx_poll</c>.
/// A failed mapping leaves the buffer as unusable as a failed allocation, in the same state (nothing runs between the
/// two), so its check does what that branch does; the kernel's fixes did (<c>goto rx_next</c>, 3c59x's
/// <c>goto clear_complete</c>), where a return would skip the rest of the loop and the function's tail (the ring
/// index it saves).
/// </summary>
internal static class BufferCheck
{
    /// <summary>
    /// The statements of that branch when it ends by jumping within the function (<c>break</c>, <c>continue</c>,
    /// <c>goto</c>) and declares no label; null otherwise.
    /// </summary>
    public static StatementSyntax[]? Failure(StatementSyntax at, InvocationExpressionSyntax map)
    {
        if (at.Parent is not BlockSyntax block || block.Statements.IndexOf(at) is not (> 0 and int index)
            || block.Statements[index - 1] is not IfStatementSyntax { Else: null } branch
            || NullTested(branch.Condition) is not string tested || !Reads(map, skip: 1).Contains(tested))
        {
            return null;
        }

        StatementSyntax[] body = branch.Statement is BlockSyntax inner ? inner.Statements.ToArray() : new[] { branch.Statement };
        bool jumps = body.LastOrDefault() is BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax { RawKind: (int)SyntaxKind.GotoStatement };
        return jumps && !body.Any(s => s.DescendantNodesAndSelf().Any(n => n is LabeledStatementSyntax or LocalFunctionStatementSyntax))
            ? body.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray()
            : null;
    }

    /// <summary>The local or parameter a condition tests against null (<c>x == null</c>, <c>null == x</c>, <c>x is null</c>).</summary>
    private static string? NullTested(ExpressionSyntax condition)
    {
        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        return condition switch
        {
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression, Left: IdentifierNameSyntax x, Right: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } } => x.Identifier.ValueText,
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression, Left: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression }, Right: IdentifierNameSyntax x } => x.Identifier.ValueText,
            IsPatternExpressionSyntax { Expression: IdentifierNameSyntax x, Pattern: ConstantPatternSyntax { Expression: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } } } => x.Identifier.ValueText,
            _ => null,
        };
    }

    /// <summary>
    /// The names the map's arguments after the first <paramref name="skip"/> start from (<c>skb</c> of <c>skb.Head</c>):
    /// member names after a dot are not names of their own. The device, first, is not the buffer mapped.
    /// </summary>
    internal static HashSet<string> Reads(InvocationExpressionSyntax map, int skip = 0) => new(map.ArgumentList.Arguments.Skip(skip)
        .SelectMany(a => a.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        .Where(n => n.Parent is not MemberAccessExpressionSyntax access || access.Expression == n)
        .Select(n => n.Identifier.ValueText));
}
