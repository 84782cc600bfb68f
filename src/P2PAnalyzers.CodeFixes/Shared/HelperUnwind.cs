using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0022 for what a helper of the compilation mapped (sahara_hw_descriptor_create): the error return that leaves it
/// mapped is an <c>if</c> (without <c>else</c>) whose branch returns, and the function unmaps it right after that
/// <c>if</c>, on its way to success. The same unmaps go before the error return too; sahara's fix (2dba8e1d1a79) moved
/// them above the timeout test, which does the same.
/// </summary>
/// <remarks>
/// Offered when every path to the exit leaks (the analyzer says so), the statements right after the <c>if</c> are one or
/// more of the library's unmaps, each given what the helper was handed or a member chain of it (<c>dev.InSg</c> for
/// <c>create(dev)</c>), or an <c>if</c> on a member of what it was handed (the ownership mark) that only unmaps so, and
/// every argument and mark means the same at the exit as right after the <c>if</c> (nothing in the <c>if</c> stores
/// into it; its names bind alike there).
/// </remarks>
internal static class HelperUnwind
{
    public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, InvocationExpressionSyntax helperCall, StatementSyntax exit, CancellationToken cancellationToken)
    {
        IfStatementSyntax? test = exit.Parent switch
        {
            IfStatementSyntax direct => direct,
            BlockSyntax { Parent: IfStatementSyntax braced } block when block.Statements.LastOrDefault() == exit => braced,
            _ => null,
        };
        if (test is not { Else: null, Parent: BlockSyntax outer })
        {
            return null;
        }

        string[] handed = helperCall.ArgumentList.Arguments.Select(a => a.Expression.WithoutTrivia().ToString()).ToArray();
        var unmaps = new List<StatementSyntax>();
        foreach (StatementSyntax next in outer.Statements.Skip(outer.Statements.IndexOf(test) + 1))
        {
            if (UnmapsIn(next, model) is not List<InvocationExpressionSyntax> calls)
            {
                break;
            }

            // The unmapped storage (the argument after the device) lies in what the helper was handed; every argument,
            // and the mark a guarded unmap tests, means the same at the exit as right after the if: nothing in the if
            // stores into it, and it binds alike.
            if (calls.Any(call => call.ArgumentList.Arguments.Count < 2
                    || !handed.Any(h => Within(call.ArgumentList.Arguments[1].Expression.WithoutTrivia().ToString(), h))
                    || call.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)
                        || !Same(a.Expression, test, exit, model, cancellationToken)))
                || (next is IfStatementSyntax guard && (!Operands(guard.Condition).All(o => Same(o, test, exit, model, cancellationToken))
                    || !guard.Condition.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
                        .Any(m => handed.Any(h => Within(m.Expression.WithoutTrivia().ToString(), h))))))
            {
                return null;
            }

            unmaps.Add(next);
        }

        if (unmaps.Count == 0)
        {
            return null;
        }

        IEnumerable<StatementSyntax> copies = unmaps.Select(u => FixDocument.Statement(u.WithoutTrivia().ToString()));
        return exit.Parent is BlockSyntax
            ? root.ReplaceNode(exit, copies.Select((c, i) => i == 0 ? c.WithLeadingTrivia(exit.GetLeadingTrivia()) : c)
                .Append(exit.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation)))
            : root.ReplaceNode(exit, FixDocument.Generated(SyntaxFactory.Block(copies.Append(exit.WithoutTrivia()))).WithTriviaFrom(exit));
    }

    /// <summary>
    /// The library unmaps a statement consists of: one unmap, or an <c>if</c> (no <c>else</c>) on the ownership mark
    /// whose branch only unmaps (<c>if (rctx.SgInIdx != 0) Dma.UnmapSg(..)</c>, sahara_sha_process); null otherwise.
    /// </summary>
    private static List<InvocationExpressionSyntax>? UnmapsIn(StatementSyntax statement, SemanticModel model)
    {
        IEnumerable<StatementSyntax> statements = statement switch
        {
            IfStatementSyntax { Else: null, Statement: BlockSyntax block } => block.Statements,
            IfStatementSyntax { Else: null, Statement: var single } => new[] { single },
            _ => new[] { statement },
        };
        var calls = new List<InvocationExpressionSyntax>();
        foreach (StatementSyntax s in statements)
        {
            if (s is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
                || !EarlyExits.IsLibraryDma(model, call)
                || !EarlyExits.NameOf(call.Expression).StartsWith("Unmap", System.StringComparison.Ordinal))
            {
                return null;
            }

            calls.Add(call);
        }

        return calls.Count > 0 ? calls : null;
    }

    /// <summary>The operands a test combines with comparisons, logic and parentheses (each must mean the same at the exit).</summary>
    private static IEnumerable<ExpressionSyntax> Operands(ExpressionSyntax test) => test switch
    {
        ParenthesizedExpressionSyntax p => Operands(p.Expression),
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not => Operands(not.Operand),
        BinaryExpressionSyntax b => Operands(b.Left).Concat(Operands(b.Right)),
        _ => new[] { test },
    };

    private static bool Same(ExpressionSyntax e, IfStatementSyntax test, StatementSyntax exit, SemanticModel model, CancellationToken cancellationToken) =>
        Assignments.Unassigned(e, test, model, cancellationToken) && Scope.BindsAlike(e, model, exit.SpanStart, cancellationToken);

    private static bool Within(string storage, string handed) =>
        storage == handed || storage.StartsWith(handed + ".", System.StringComparison.Ordinal);
}
