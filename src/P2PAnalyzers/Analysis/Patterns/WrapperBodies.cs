using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// The shapes of a wrapper's body, read from syntax: the one call it hands on to, after guards that leave without
/// touching the DMA API. include/rdma/ib_verbs.h writes every <c>ib_dma_*</c> helper so since v5.10:
/// <c>if (ib_uses_virt_dma(dev)) return (uintptr_t)cpu_addr; return dma_map_single(dev-&gt;dma_device, ..);</c> and
/// <c>if (!ib_uses_virt_dma(dev)) dma_unmap_single(..);</c>; before, <c>if (dev-&gt;dma_ops) return
/// dev-&gt;dma_ops-&gt;map_single(..); return dma_map_single(..);</c> with an <c>else</c> on the unmaps.
/// </summary>
internal static class WrapperBodies
{
    /// <summary>
    /// The call <paramref name="declaration"/> ends in, when its body is, in order: guards (<c>if (c) return ..;</c>,
    /// no <c>else</c>), then <c>return call;</c>, <c>call;</c>, <c>if (c) call;</c> or <c>if (c) other; else call;</c>
    /// (either arm); or <c>=&gt; call</c>. Nothing but that call may name the DMA API's <c>Dma</c> or <c>PciP2PDma</c>: a
    /// guard that maps or asks a map type is more than a guard.
    /// </summary>
    public static InvocationExpressionSyntax? TailCall(MethodDeclarationSyntax declaration, KnownSymbols k)
    {
        if (declaration.ExpressionBody is { Expression: InvocationExpressionSyntax expression })
        {
            return expression;
        }

        if (declaration.Body is not { Statements: { Count: > 0 } statements })
        {
            return null;
        }

        for (int i = 0; i < statements.Count - 1; i++)
        {
            if (statements[i] is not IfStatementSyntax { Else: null } guard || Single(guard.Statement) is not ReturnStatementSyntax
                || NamesTheApi(guard, k))
            {
                return null;
            }
        }

        InvocationExpressionSyntax? call = statements[statements.Count - 1] switch
        {
            IfStatementSyntax { Else: null } last when !NamesTheApi(last.Condition, k) => CallOf(Single(last.Statement)),
            IfStatementSyntax { Else: { } otherwise } last when !NamesTheApi(last.Condition, k) =>
                CallOf(Single(last.Statement)) is { } then && !NamesTheApi(otherwise.Statement, k) ? then
                : CallOf(Single(otherwise.Statement)) is { } other && !NamesTheApi(last.Statement, k) ? other
                : null,
            var last => CallOf(last),
        };
        return call;
    }

    // The one statement of a block of one, or the statement itself.
    private static StatementSyntax? Single(StatementSyntax statement) =>
        statement is BlockSyntax block ? (block.Statements.Count == 1 ? block.Statements[0] : null) : statement;

    private static InvocationExpressionSyntax? CallOf(StatementSyntax? statement) => statement switch
    {
        ReturnStatementSyntax { Expression: InvocationExpressionSyntax call } => call,
        ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call } => call,
        _ => null,
    };

    private static bool NamesTheApi(SyntaxNode node, KnownSymbols k) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == k.Dma?.Name || n.Identifier.ValueText == k.PciP2PDma?.Name);
}
