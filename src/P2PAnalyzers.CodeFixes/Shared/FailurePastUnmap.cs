using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0023 on a map call's failure edge: <c>if (ret == 0) goto unmap_in;</c> jumps to the unwinding label that unmaps
/// the very table whose mapping just failed. The failure leaves as the label's code does after the unmap, when that is
/// a <c>return</c> of a constant: sahara's "fix error handling in sahara_hw_descriptor_create()" replaced
/// <c>goto unmap_in</c> with <c>return -EINVAL</c>.
/// </summary>
/// <remarks>
/// The failure test is the branch condition the analyzer names (its first additional location), an <c>if</c> without
/// <c>else</c> whose condition holds on failure (<c>n == 0</c>, <c>n &lt;= 0</c>, <c>Dma.MappingError(..)</c>,
/// <c>.Failed</c>) and whose branch ends in the <c>goto</c>; the reported unmap is the labelled statement itself, and
/// the only statement after it in its block is that <c>return</c>; the unmap is the library's own (a driver's helper
/// does more than unmap). Other jumps to the label, from paths where the
/// mapping was made, keep the unmap.
/// </remarks>
internal static class FailurePastUnmap
{
    public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (FailureJump(root, diagnostic) is not (GotoStatementSyntax jump, _)
            || jump.Expression is not IdentifierNameSyntax target
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax unmap
            || !EarlyExits.IsLibraryDma(model, unmap)
            || unmap.Parent is not ExpressionStatementSyntax { Parent: LabeledStatementSyntax label }
            || label.Identifier.ValueText != target.Identifier.ValueText
            || label.Parent is not BlockSyntax block
            || block.Statements.Skip(block.Statements.IndexOf(label) + 1).ToList() is not [ReturnStatementSyntax leave]
            || leave.Expression is ExpressionSyntax value && !model.GetConstantValue(value, cancellationToken).HasValue
                && !(value is IdentifierNameSyntax && model.GetSymbolInfo(value, cancellationToken).Symbol is ILocalSymbol { RefKind: RefKind.None } or IParameterSymbol { RefKind: RefKind.None }))
        {
            return null;
        }

        return root.ReplaceNode(jump, leave.WithoutTrivia().WithTriviaFrom(jump));
    }

    /// <summary>
    /// The <c>goto</c> the failure test the diagnostic names (its first additional location) ends its branch with, and
    /// that <c>if</c>: one without <c>else</c> whose condition holds on failure.
    /// </summary>
    public static (GotoStatementSyntax Jump, IfStatementSyntax Failure)? FailureJump(SyntaxNode root, Diagnostic diagnostic) =>
        diagnostic.AdditionalLocations.FirstOrDefault() is Location at && at.SourceTree == root.SyntaxTree
        && root.FindNode(at.SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax test
        && test.Parent is IfStatementSyntax { Else: null } failure && failure.Condition == test && HoldsOnFailure(test)
        && Last(failure.Statement) is GotoStatementSyntax { RawKind: (int)SyntaxKind.GotoStatement, Expression: IdentifierNameSyntax } jump
            ? (jump, failure)
            : null;

    private static StatementSyntax? Last(StatementSyntax branch) => branch is BlockSyntax block ? block.Statements.LastOrDefault() : branch;

    /// <summary>A condition that is true when the map call failed.</summary>
    private static bool HoldsOnFailure(ExpressionSyntax test) => test switch
    {
        ParenthesizedExpressionSyntax p => HoldsOnFailure(p.Expression),
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.LessThanOrEqualExpression, Right: LiteralExpressionSyntax { Token.ValueText: "0" } } => true,
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MappingError" } } => true,
        MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Failed" } => true,
        _ => false,
    };
}
