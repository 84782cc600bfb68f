using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Where P2P0022's fix can unwind when the leaking exit is shared: the kernel's error label reached by gotos from
/// before the mapping and after it (<c>if (ret &lt; 0) goto error;</c> in cx25821's hw_params). The unmap then goes before
/// each goto taken with the mapping live, as the cx25821 fix put it, and only when every goto to the label is of the
/// simplest shape (<c>if (cond) goto L;</c>, the goto alone in its branch), each taken either always with the mapping
/// live and tested or never, nothing falls through into the label, and the label runs straight to the exit.
/// </summary>
internal static class UnwindGotos
{
    /// <summary>The gotos before which the unmap goes, or null when the shape is not that one.</summary>
    public static IReadOnlyList<GotoStatementSyntax>? Find(ControlFlowGraph graph, SyntaxNode exit, SyntaxNode body,
        IReadOnlyDictionary<(int Block, bool When), (bool Live, bool Other)> edges)
    {
        if (exit is not StatementSyntax statement || LabelBefore(statement) is not LabeledStatementSyntax label)
        {
            return null;
        }

        string name = label.Identifier.ValueText;
        var needed = new List<GotoStatementSyntax>();
        foreach (GotoStatementSyntax jump in body.DescendantNodes().OfType<GotoStatementSyntax>()
            .Where(g => g.IsKind(SyntaxKind.GotoStatement) && g.Expression is IdentifierNameSyntax id && id.Identifier.ValueText == name))
        {
            // `if (c) goto L;`, or the goto last in the if's block after plain stores to locals (`ret = -ENOMEM;`), which
            // change nothing about the mapping: the edge into the branch then says how the goto is reached.
            IfStatementSyntax? branch = jump.Parent as IfStatementSyntax
                ?? (jump.Parent is BlockSyntax only && only.Statements.Last() == jump && only.Statements.Take(only.Statements.Count - 1).All(PlainLocalStore)
                    ? only.Parent as IfStatementSyntax : null);
            if (branch is null || branch.Else is not null || Edge(graph, branch) is not (int block, bool when))
            {
                return null;
            }

            if (!edges.TryGetValue((block, when), out (bool Live, bool Other) use) || !use.Live)
            {
                continue;
            }

            if (use.Other)
            {
                return null;
            }

            needed.Add(jump);
        }

        return needed.Count > 0 ? needed : null;
    }

    private static bool PlainLocalStore(StatementSyntax statement) =>
        statement is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax } store }
        && !store.Right.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or ObjectCreationExpressionSyntax or AssignmentExpressionSyntax);

    /// <summary>The label the exit is reached from in a straight line, with nothing falling through into it.</summary>
    private static LabeledStatementSyntax? LabelBefore(StatementSyntax exit)
    {
        StatementSyntax top = exit.Parent is LabeledStatementSyntax own ? own : exit;
        if (top.Parent is not BlockSyntax block)
        {
            return null;
        }

        for (int i = block.Statements.IndexOf(top); i >= 0; i--)
        {
            StatementSyntax s = block.Statements[i];
            if (s != top && s.DescendantNodesAndSelf().Any(n => n is ReturnStatementSyntax or GotoStatementSyntax or ThrowStatementSyntax
                or BreakStatementSyntax or ContinueStatementSyntax or LabeledStatementSyntax && n != s))
            {
                return null;
            }

            if (s is LabeledStatementSyntax label)
            {
                return i > 0 && block.Statements[i - 1] is ReturnStatementSyntax or GotoStatementSyntax or ThrowStatementSyntax ? label : null;
            }
        }

        return null;
    }

    /// <summary>The graph's block that tests the if's condition, and the value the condition has on the branch into it.</summary>
    private static (int Block, bool When)? Edge(ControlFlowGraph graph, IfStatementSyntax branch)
    {
        ExpressionSyntax condition = branch.Condition;
        bool negated = false;
        while (condition is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not)
        {
            negated = !negated;
            condition = not.Operand;
        }

        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        var tests = graph.Blocks.Where(b => b.ConditionalSuccessor is not null && b.BranchValue is not null
            && (b.BranchValue.Syntax == branch.Condition || b.BranchValue.Syntax == condition)).ToList();
        if (tests.Count != 1)
        {
            return null;
        }

        // The branch is taken where the if's condition is true: where the tested value is, unless the graph tests it bare.
        bool bare = tests[0].BranchValue!.Syntax == condition && condition != branch.Condition;
        return (tests[0].Ordinal, !(bare && negated));
    }
}
