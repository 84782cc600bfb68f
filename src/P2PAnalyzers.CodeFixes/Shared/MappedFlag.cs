using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0023 for a helper's unmap reached on a mapping helper's failure (rk_hash_run: a failed rk_hash_prepare goes to
/// <c>theend:</c>, which calls rk_hash_unprepare): the function records that the helper mapped, as the kernel's ownership
/// marks do, and unmaps under it. <c>bool mapped = false;</c> opens the body, <c>mapped = true;</c> follows the failure
/// test, and the unmapping call becomes <c>if (mapped) { .. }</c>; the label's other work (the request's completion)
/// still runs.
/// </summary>
/// <remarks>
/// Offered when the map call is a statement of the method's own body (not in a loop or a try), the failure test is the
/// next statement, an <c>if</c> without <c>else</c> that leaves (<c>goto</c>, <c>return</c>, <c>throw</c>), and every
/// path to the unmapping call passes the map: no <c>goto</c> before the map call leads to a label after it, and none after
/// it leads back before it. Otherwise a path that reached the unmap with the table mapped elsewhere would now leak it.
/// </remarks>
internal static class MappedFlag
{
    public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count < 2 || diagnostic.AdditionalLocations.Any(l => l.SourceTree != root.SyntaxTree)
            || Call(root, diagnostic.Location) is not InvocationExpressionSyntax use || use.Parent is not ExpressionStatementSyntax unmap
            || Call(root, diagnostic.AdditionalLocations[1]) is not InvocationExpressionSyntax map
            || map.FirstAncestorOrSelf<StatementSyntax>() is not StatementSyntax mapStatement
            || mapStatement is not (ExpressionStatementSyntax or LocalDeclarationStatementSyntax)
            || mapStatement.Parent is not BlockSyntax { Parent: BaseMethodDeclarationSyntax method } body
            || unmap.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>() != method)
        {
            return null;
        }

        int at = body.Statements.IndexOf(mapStatement);
        if (at + 1 >= body.Statements.Count || body.Statements[at + 1] is not IfStatementSyntax { Else: null } test
            || !test.Condition.Span.Contains(diagnostic.AdditionalLocations[0].SourceSpan)
            || !Leaves(test.Statement) || unmap.SpanStart < test.Span.End
            || unmap.Ancestors().Any(a => a is TryStatementSyntax or ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForEachStatementSyntax)
            || !PassesTheMap(body, mapStatement))
        {
            return null;
        }

        string name = Scope.FreeName(model, body.SpanStart + 1, "mapped");
        if (body.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(d => d.Identifier.ValueText == name))
        {
            return null;
        }

        IfStatementSyntax guarded = FixDocument.Generated(SyntaxFactory.IfStatement(SyntaxFactory.IdentifierName(name),
            SyntaxFactory.Block(unmap.WithoutTrivia()))).WithTriviaFrom(unmap);
        // (The unmap follows the test: replacing it moves no statement of the body.)
        BlockSyntax edited = body.ReplaceNode(unmap, guarded);
        edited = edited.WithStatements(edited.Statements
            .Insert(at + 2, FixDocument.Statement($"{name} = true;"))
            .Insert(0, FixDocument.Statement($"bool {name} = false;")));
        return root.ReplaceNode(body, edited);
    }

    private static InvocationExpressionSyntax? Call(SyntaxNode root, Location location) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();

    /// <summary>The branch ends by leaving: its last statement (or itself) is a goto, return or throw.</summary>
    private static bool Leaves(StatementSyntax branch) =>
        (branch is BlockSyntax block ? block.Statements.LastOrDefault() : branch) is GotoStatementSyntax or ReturnStatementSyntax or ThrowStatementSyntax;

    /// <summary>No goto before the map statement leads past it, and none after it leads back before it.</summary>
    private static bool PassesTheMap(BlockSyntax body, StatementSyntax mapStatement)
    {
        var before = new HashSet<string>(System.StringComparer.Ordinal);
        var after = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (LabeledStatementSyntax label in body.DescendantNodes().OfType<LabeledStatementSyntax>())
        {
            (label.SpanStart < mapStatement.SpanStart ? before : after).Add(label.Identifier.ValueText);
        }

        return body.DescendantNodes().OfType<GotoStatementSyntax>().Where(g => g.IsKind(SyntaxKind.GotoStatement))
            .All(g => g.Expression is IdentifierNameSyntax target && (g.SpanStart < mapStatement.SpanStart
                ? !after.Contains(target.Identifier.ValueText)
                : !before.Contains(target.Identifier.ValueText)));
    }
}
