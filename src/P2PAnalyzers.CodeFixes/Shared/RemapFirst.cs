using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// A replacement mapped into the name whose old mapping the function has just unmapped (8139cp's <c>cp_rx_poll</c>:
/// unmap the old RX buffer, then map the new one into <c>mapping</c>, which goes back into the ring slot). A failure
/// leaving there would leave the slot with an unmapped address; the kernel's fix maps the replacement first into a name
/// of its own, checks it, and unmaps the old buffer only then, so that a failure keeps the old buffer in the slot.
/// </summary>
internal static class RemapFirst
{
    /// <summary>
    /// The unmap of <paramref name="kept"/>'s old mapping that <paramref name="map"/> can be moved ahead of: the only
    /// library unmap before the mapping in its function, a statement of the same block; what stands between them reads
    /// and writes plainly (no call) and writes nothing the map reads; and the buffer mapped is one the function
    /// allocated (a replacement, not the unmapped buffer mapped again, which must stay unmapped first). Null otherwise.
    /// </summary>
    public static ExpressionStatementSyntax? Unmap(SemanticModel model, StatementSyntax statement, ExpressionSyntax kept, InvocationExpressionSyntax map)
    {
        if (kept is not IdentifierNameSyntax name || model.GetSymbolInfo(kept).Symbol is not ILocalSymbol || statement.Parent is not BlockSyntax block
            || EarlyExits.LibraryCallsBefore(model, statement, "Unmap").ToList() is not [InvocationExpressionSyntax call]
            || call.Parent is not ExpressionStatementSyntax unmap || unmap.Parent != block
            || !call.ArgumentList.Arguments.Any(a => a.Expression is IdentifierNameSyntax n && n.Identifier.ValueText == name.Identifier.ValueText))
        {
            return null;
        }

        HashSet<string> reads = BufferCheck.Reads(map);
        int from = block.Statements.IndexOf(unmap), to = block.Statements.IndexOf(statement);
        bool plain = block.Statements.Skip(from + 1).Take(to - from - 1).All(s => s is ExpressionStatementSyntax { Expression: ExpressionSyntax e }
            && !e.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or AwaitExpressionSyntax)
            && Written(e) is string written && !reads.Contains(written) && written != name.Identifier.ValueText);
        return plain && !reads.Contains(name.Identifier.ValueText) && Allocated(model, map, unmap) ? unmap : null;
    }

    /// <summary>Whether the buffer argument's local was last given, before the unmap, the result of a call or a new object.</summary>
    private static bool Allocated(SemanticModel model, InvocationExpressionSyntax map, StatementSyntax unmap)
    {
        if (map.ArgumentList.Arguments.ElementAtOrDefault(1)?.Expression is not ExpressionSyntax buffer || Root(buffer) is not IdentifierNameSyntax root
            || model.GetSymbolInfo(root).Symbol is not ILocalSymbol local || Scope.EnclosingFunction(map) is not SyntaxNode body)
        {
            return false;
        }

        ExpressionSyntax? last = EarlyExits.Own(body)
            .Select(n => n switch
            {
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax l } a when l.Identifier.ValueText == local.Name => a.Right,
                VariableDeclaratorSyntax { Initializer: EqualsValueClauseSyntax init } d when d.Identifier.ValueText == local.Name => init.Value,
                _ => null,
            })
            .Where(v => v is not null && v.SpanStart < unmap.SpanStart).LastOrDefault();
        while (last is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } or ParenthesizedExpressionSyntax)
        {
            last = last is PostfixUnaryExpressionSyntax p ? p.Operand : ((ParenthesizedExpressionSyntax)last).Expression;
        }

        return last is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax;
    }

    /// <summary>The name a plain statement stores into (<c>skb</c> of <c>skb.Len = len</c>, <c>cp</c> of <c>cp.Stats.RxDropped++</c>).</summary>
    private static string? Written(ExpressionSyntax e) => e switch
    {
        AssignmentExpressionSyntax a => (Root(a.Left) as IdentifierNameSyntax)?.Identifier.ValueText,
        PrefixUnaryExpressionSyntax u => (Root(u.Operand) as IdentifierNameSyntax)?.Identifier.ValueText,
        PostfixUnaryExpressionSyntax u => (Root(u.Operand) as IdentifierNameSyntax)?.Identifier.ValueText,
        _ => null,
    };

    private static ExpressionSyntax Root(ExpressionSyntax e) => e switch
    {
        MemberAccessExpressionSyntax m => Root(m.Expression),
        ElementAccessExpressionSyntax x => Root(x.Expression),
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } p => Root(p.Operand),
        ParenthesizedExpressionSyntax p => Root(p.Expression),
        _ => e,
    };
}
