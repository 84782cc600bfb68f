using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0023 on a map call's failure edge where the label it jumps to unmaps under a zero guard (mtip32xx's
/// exec_drive_taskfile after 5173cb814b36: <c>if (dma_mapping_error(..)) goto abort;</c>, then <c>abort: if
/// (outbuf_dma) dma_unmap_single(..)</c>, which DMA_MAPPING_ERROR passes): the failure sets the address back to zero
/// before it jumps, so the guard holds it off, as it holds off the address never mapped.
/// </summary>
/// <remarks>
/// Offered when the failure test is an <c>if</c> without <c>else</c> ending in the <c>goto</c> (as
/// <see cref="FailurePastUnmap"/> reads it), the reported use is the only statement of an <c>if</c> testing the same
/// name against zero (<c>x.Raw != 0</c>, <c>x != default</c>), after the label, and every other read of that name
/// after the label is under such a guard too, or is its condition: a read left unguarded would take the zero.
/// </remarks>
internal static class FailureClearsAddress
{
    public static SyntaxNode? Rewrite(SyntaxNode root, Diagnostic diagnostic)
    {
        if (FailurePastUnmap.FailureJump(root, diagnostic) is not (GotoStatementSyntax jump, IfStatementSyntax failure)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax use
            || GuardOf(use) is not IfStatementSyntax guard || NonZeroTested(guard.Condition) is not ExpressionSyntax address
            || !Assignments.PathOnly(address)
            || !use.ArgumentList.Arguments.Any(a => a.Expression.IsEquivalentTo(address, topLevel: false))
            || Scope.EnclosingFunction(use) is not SyntaxNode function
            || function.DescendantNodes().OfType<LabeledStatementSyntax>()
                .FirstOrDefault(l => l.Identifier.ValueText == ((IdentifierNameSyntax)jump.Expression!).Identifier.ValueText) is not LabeledStatementSyntax label
            || label.SpanStart > guard.SpanStart
            || !EveryReadGuarded(function, address, label.SpanStart))
        {
            return null;
        }

        StatementSyntax clear = FixDocument.Generated(SyntaxFactory.ParseStatement($"{address.WithoutTrivia()} = default;"));
        if (failure.Statement is BlockSyntax block)
        {
            return root.InsertNodesBefore(jump, new[] { clear.WithLeadingTrivia(jump.GetLeadingTrivia()).WithTrailingTrivia(jump.GetTrailingTrivia()) });
        }

        return root.ReplaceNode(failure, failure.WithStatement(SyntaxFactory.Block(clear, jump.WithoutLeadingTrivia()))
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation));
    }

    /// <summary>The <c>if</c> whose only statement is the use's (braced or not).</summary>
    private static IfStatementSyntax? GuardOf(InvocationExpressionSyntax use) => use.Parent switch
    {
        ExpressionStatementSyntax { Parent: IfStatementSyntax { Else: null } guard } => guard,
        ExpressionStatementSyntax { Parent: BlockSyntax { Statements.Count: 1, Parent: IfStatementSyntax { Else: null } guard } } => guard,
        _ => null,
    };

    /// <summary>The name a condition finds non-zero: <c>x.Raw != 0</c>, <c>x != default</c>, either side.</summary>
    private static ExpressionSyntax? NonZeroTested(ExpressionSyntax condition) => ZeroTest.Tested(condition, SyntaxKind.NotEqualsExpression);

    private static bool EveryReadGuarded(SyntaxNode function, ExpressionSyntax address, int from) =>
        function.DescendantNodes().OfType<ExpressionSyntax>()
            .Where(e => e.SpanStart >= from && e.IsEquivalentTo(address, topLevel: false) && !(e.Parent is MemberAccessExpressionSyntax m && m.Name == e))
            .All(e => (e.Parent is AssignmentExpressionSyntax a && a.Left == e)
                || e.Ancestors().OfType<IfStatementSyntax>().Any(i => (i.Else is null || !i.Else.Span.Contains(e.Span))
                    && NonZeroTested(i.Condition)?.IsEquivalentTo(address, topLevel: false) == true));
}
