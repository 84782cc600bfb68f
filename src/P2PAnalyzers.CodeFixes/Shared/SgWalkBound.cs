using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0024's cursor walk, <c>while (sg != null) { ..; sg = sg.Next(); }</c> over a mapped table: the walk counts its
/// segments and stops at the count the map call returned, <c>for (int segment = 0; sg != null &amp;&amp; segment &lt;
/// count; segment++)</c>, the kernel's <c>for_each_sg(sgl, sg, count, i)</c>.
/// </summary>
/// <remarks>
/// That form when every iteration takes exactly one entry (one advance <c>sg = sg.Next()</c>, a statement of the body
/// itself, no <c>continue</c> of this loop); a walk that advances more than once an iteration (isci's SGL pairs) keeps
/// its shape with each advance bounded, <c>sg = ++segment &lt; count ? sg.Next() : null</c>. The advances must be the
/// cursor's only stores in the body. Where the count is read: <see cref="SgWalkCount"/>.
/// </remarks>
internal static class SgWalkBound
{
    public static (SyntaxNode Root, string Title)? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.NotEqualsExpression } condition
            || condition.Parent is not WhileStatementSyntax { Statement: BlockSyntax body } loop || loop.Condition != condition
            || condition is not { Left: IdentifierNameSyntax cursorName, Right: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } }
            || model.GetSymbolInfo(cursorName, cancellationToken).Symbol is not ILocalSymbol cursor
            || Advances(body, cursor, model, cancellationToken) is not { Count: > 0 } advances
            || Scope.EnclosingFunction(loop) is not SyntaxNode function
            || TableWalked(function, loop, cursor, model, cancellationToken) is not ExpressionSyntax table
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || SgWalkCount.At(map, table, loop, model, cancellationToken) is not ExpressionSyntax count)
        {
            return null;
        }

        string segment = Scope.FreeName(model, loop.SpanStart, "segment");
        if (function.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(d => d.Identifier.ValueText == segment))
        {
            return null;
        }

        if (advances is [var only] && only.Parent is ExpressionStatementSyntax { Parent: BlockSyntax parent } && parent == body && !Continues(body))
        {
            ForStatementSyntax walk = SyntaxFactory.ForStatement(body)
                .WithDeclaration(SyntaxFactory.VariableDeclaration(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)),
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(segment).WithInitializer(
                        SyntaxFactory.EqualsValueClause(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0)))))))
                .WithCondition(SyntaxFactory.ParseExpression($"{condition.WithoutTrivia()} && {segment} < {count.WithoutTrivia()}"))
                .WithIncrementors(SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(SyntaxFactory.ParseExpression($"{segment}++")))
                .WithTriviaFrom(loop)
                .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
            return (root.ReplaceNode(loop, walk), $"Walk only the '{count}' DMA segments Dma.MapSg returned");
        }

        // Several advances an iteration (isci's SGL pairs): each stops at the count, so every test of the cursor ends there.
        if (loop.Parent is not BlockSyntax outer)
        {
            return null;
        }

        WhileStatementSyntax bounded = loop.ReplaceNodes(advances, (old, _) => old.WithRight(
            SyntaxFactory.ParseExpression($"++{segment} < {count.WithoutTrivia()} ? {Unsuppressed(old.Right).WithoutTrivia()} : null")));
        BlockSyntax newOuter = outer.ReplaceNode(loop, new SyntaxNode[]
        {
            FixDocument.Statement($"int {segment} = 0;").WithLeadingTrivia(loop.GetLeadingTrivia()),
            bounded.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation),
        });
        return (root.ReplaceNode(outer, newOuter), $"Walk only the '{count}' DMA segments Dma.MapSg returned");
    }

    /// <summary>
    /// The advances of the cursor, <c>sg = sg.Next()</c>, when they are its only stores in the body (outside nested loops
    /// and functions, none of which may store into it); null otherwise.
    /// </summary>
    private static List<AssignmentExpressionSyntax>? Advances(BlockSyntax body, ILocalSymbol cursor, SemanticModel model, CancellationToken cancellationToken)
    {
        var stores = body.DescendantNodes().Where(n => Assignments.Writes(n, cursor, model, cancellationToken)).ToList();
        var advances = new List<AssignmentExpressionSyntax>();
        foreach (SyntaxNode store in stores)
        {
            if (store is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax } advance
                || Unsuppressed(advance.Right) is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Next", Expression: IdentifierNameSyntax from }, ArgumentList.Arguments.Count: 0 }
                || !Assignments.Is(from, cursor, model, cancellationToken)
                || advance.Ancestors().TakeWhile(a => a != body).Any(Nested))
            {
                return null;
            }

            advances.Add(advance);
        }

        return advances;
    }

    /// <summary>A <c>continue</c> of this loop (not of a loop or function nested in it).</summary>
    private static bool Continues(BlockSyntax body) => body.DescendantNodes(n => !Nested(n)).OfType<ContinueStatementSyntax>().Any();

    /// <summary>A loop or a function inside the walk's body: what happens in it is not an iteration of the walk.</summary>
    private static bool Nested(SyntaxNode node) =>
        node is WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax;

    /// <summary>The table the cursor starts from: its one store before the loop, <c>sg = T[0]</c>.</summary>
    private static ExpressionSyntax? TableWalked(SyntaxNode function, WhileStatementSyntax loop, ILocalSymbol cursor, SemanticModel model, CancellationToken cancellationToken)
    {
        var starts = function.DescendantNodes()
            .Where(n => n.SpanStart < loop.SpanStart && (Assignments.Writes(n, cursor, model, cancellationToken)
                || n is VariableDeclaratorSyntax { Initializer: not null } d && SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(d, cancellationToken), cursor)))
            .Select(n => n switch
            {
                AssignmentExpressionSyntax a => a.Right,
                VariableDeclaratorSyntax d => d.Initializer!.Value,
                _ => null,
            })
            .Where(v => v is not LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression })
            .ToList();
        return starts is [ExpressionSyntax start]
            && Unsuppressed(start) is ElementAccessExpressionSyntax { ArgumentList.Arguments: [ArgumentSyntax { Expression: LiteralExpressionSyntax { Token.ValueText: "0" } }] } first
            && Assignments.PathOnly(first.Expression)
                ? first.Expression
                : null;
    }

    internal static ExpressionSyntax Unsuppressed(ExpressionSyntax e) =>
        e is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang ? bang.Operand : e;
}
