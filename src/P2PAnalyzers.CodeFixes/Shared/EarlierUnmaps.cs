using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The unwinding a new exit needs where the function mapped something before that it unmaps only after
/// (<see cref="EarlierMappings"/>): the function's own unmap of each such mapping, copied in front of the exit, the last
/// mapped first, as the kernel's fixes unwind through their labels (mxs-dcp's df6313d707e5: <c>err_dst:</c> unmaps the
/// source, <c>err_src:</c> the key).
/// </summary>
/// <remarks>
/// A copy does what the function already does on its way out, at an earlier point, so it is taken only where that point
/// sees the same mapping and the same arguments:
/// <list type="bullet">
/// <item>the map is a statement of a block that holds the exit, with no label between them (no jump past the map);</item>
/// <item>the unmap is a statement of its own in the function (not a local function's), reached from the block the map
/// is in through blocks and labels only: the function unmaps it on every way that gets there, not under a condition;</item>
/// <item>its arguments are names, members, elements, constants and operators on them (no call), every name is in scope
/// at the exit, and nothing the arguments name is assigned between the exit and the unmap.</item>
/// </list>
/// Any mapping left behind that is not so unmapped makes the whole unwinding null: the fix then declines, as before.
/// </remarks>
internal static class EarlierUnmaps
{
    /// <summary>The unmaps to make before leaving at <paramref name="at"/>: none when nothing is left mapped; null when one cannot be copied.</summary>
    public static StatementSyntax[]? For(SemanticModel model, StatementSyntax at)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        if (body is null)
        {
            return System.Array.Empty<StatementSyntax>();
        }

        var unmaps = new List<StatementSyntax>();
        var unwound = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var (map, storage, after) in EarlierMappings.LeftMappedBy(model, at).OrderByDescending(m => m.Map.SpanStart))
        {
            // Either arm of a conditional maps into the same storage: it is unmapped once.
            if (!unwound.Add(storage))
            {
                continue;
            }

            if (map.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax block } statement
                || !block.Span.Contains(at.Span)
                || EarlyExits.Own(body).OfType<LabeledStatementSyntax>().Any(l => l.SpanStart > statement.Span.End && l.SpanStart < at.SpanStart)
                || after.Select(u => Copyable(model, body, block, at, u)).FirstOrDefault(c => c is not null) is not StatementSyntax copy)
            {
                return null;
            }

            unmaps.Add(copy);
        }

        return unmaps.ToArray();
    }

    private static StatementSyntax? Copyable(SemanticModel model, SyntaxNode body, BlockSyntax mapBlock, StatementSyntax at, InvocationExpressionSyntax unmap)
    {
        if (unmap.Parent is not ExpressionStatementSyntax statement || Scope.EnclosingFunction(statement) != body
            || !Unconditional(statement, mapBlock)
            || !unmap.ArgumentList.Arguments.All(a => a.RefKindKeyword.IsKind(SyntaxKind.None) && Pure(a.Expression)))
        {
            return null;
        }

        var names = unmap.ArgumentList.Arguments.SelectMany(a => a.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()).ToList();
        foreach (IdentifierNameSyntax name in names)
        {
            bool qualified = name.Parent is MemberAccessExpressionSyntax member && member.Name == name;
            ISymbol? symbol = model.GetSymbolInfo(name).Symbol;
            if (symbol is null || (!qualified && !model.LookupSymbols(at.SpanStart, name: name.Identifier.ValueText).Contains(symbol, SymbolEqualityComparer.Default)))
            {
                return null;
            }
        }

        // Nothing the arguments read is written on the way from the exit to the unmap.
        var read = new HashSet<string>(names.Select(n => n.Identifier.ValueText), System.StringComparer.Ordinal);
        bool written = EarlyExits.Own(body).Any(n => n.SpanStart > at.Span.End && n.SpanStart < statement.SpanStart && n switch
        {
            AssignmentExpressionSyntax a => read.Contains(LastName(a.Left)),
            PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PreIncrementExpression) || u.IsKind(SyntaxKind.PreDecrementExpression) => read.Contains(LastName(u.Operand)),
            PostfixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PostIncrementExpression) || u.IsKind(SyntaxKind.PostDecrementExpression) => read.Contains(LastName(u.Operand)),
            ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg => read.Contains(LastName(arg.Expression)),
            VariableDeclaratorSyntax d => read.Contains(d.Identifier.ValueText),
            _ => false,
        });
        return written ? null : statement.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithTrailingTrivia(SyntaxFactory.ElasticMarker)
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
    }

    // Reached from the map's block through blocks and labels only (the unmap may be in the map's block or around it).
    private static bool Unconditional(StatementSyntax statement, BlockSyntax mapBlock)
    {
        for (SyntaxNode? n = statement.Parent; n is not null; n = n.Parent)
        {
            if (n == mapBlock || n.Span.Contains(mapBlock.Span))
            {
                return mapBlock.AncestorsAndSelf().TakeWhile(a => a != n).All(a => a is BlockSyntax);
            }

            if (n is not (BlockSyntax or LabeledStatementSyntax))
            {
                return false;
            }
        }

        return false;
    }

    private static bool Pure(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax or LiteralExpressionSyntax or DefaultExpressionSyntax => true,
        MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m => Pure(m.Expression),
        ElementAccessExpressionSyntax el => Pure(el.Expression) && el.ArgumentList.Arguments.All(a => Pure(a.Expression)),
        ParenthesizedExpressionSyntax p => Pure(p.Expression),
        CastExpressionSyntax c => Pure(c.Expression),
        BinaryExpressionSyntax b => Pure(b.Left) && Pure(b.Right),
        PrefixUnaryExpressionSyntax u => u.Kind() is SyntaxKind.UnaryMinusExpression or SyntaxKind.UnaryPlusExpression or SyntaxKind.BitwiseNotExpression or SyntaxKind.LogicalNotExpression && Pure(u.Operand),
        _ => false,
    };

    private static string LastName(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax i => i.Identifier.ValueText,
        MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
        ElementAccessExpressionSyntax el => LastName(el.Expression),
        ParenthesizedExpressionSyntax p => LastName(p.Expression),
        _ => "",
    };
}
