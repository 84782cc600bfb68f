using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0024's cursor walk, <c>while (sg != null) { ..; sg = sg.Next(); }</c> over a mapped table: the walk counts its
/// segments and stops at the count the map call returned, <c>for (int segment = 0; sg != null &amp;&amp; segment &lt;
/// count; segment++)</c>, the kernel's <c>for_each_sg(sgl, sg, count, i)</c>.
/// </summary>
/// <remarks>
/// Offered when every iteration takes exactly one entry: one advance <c>sg = sg.Next()</c>, a statement of the body
/// itself, no other store into the cursor, and no <c>continue</c> of this loop (isci's pair walk advances twice an
/// iteration: no fix). The count is the local the map call's result is kept in, when the map call is in the same
/// function (<see cref="SgLoopBound.CountLocal"/>), or, when the map call is in another method, the member that method
/// stores the count into, read through the same object the walked table is read from (rockchip's <c>rk_hash_prepare</c>
/// keeps <c>rctx-&gt;nrsg</c> beside <c>areq-&gt;src</c>; <c>rk_hash_run</c> walks <c>areq-&gt;src</c>).
/// </remarks>
internal static class SgWalkBound
{
    public static (SyntaxNode Root, string Title)? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.NotEqualsExpression } condition
            || condition.Parent is not WhileStatementSyntax { Statement: BlockSyntax body } loop || loop.Condition != condition
            || condition is not { Left: IdentifierNameSyntax cursorName, Right: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } }
            || model.GetSymbolInfo(cursorName, cancellationToken).Symbol is not ILocalSymbol cursor
            || !OneEntryAnIteration(body, cursor, model, cancellationToken)
            || Scope.EnclosingFunction(loop) is not SyntaxNode function
            || TableWalked(function, loop, cursor, model, cancellationToken) is not ExpressionSyntax table
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || Count(map, table, loop, model, cancellationToken) is not ExpressionSyntax count)
        {
            return null;
        }

        string segment = Scope.FreeName(model, loop.SpanStart, "segment");
        if (function.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(d => d.Identifier.ValueText == segment))
        {
            return null;
        }

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

    /// <summary>One advance of the cursor, a statement of the body itself; no other store into it; no continue of this loop.</summary>
    private static bool OneEntryAnIteration(BlockSyntax body, ILocalSymbol cursor, SemanticModel model, CancellationToken cancellationToken)
    {
        var stores = body.DescendantNodes().Where(n => Assignments.Writes(n, cursor, model, cancellationToken)).ToList();
        return stores is [AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax { Parent: BlockSyntax parent } } advance]
            && parent == body
            && Unsuppressed(advance.Right) is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Next", Expression: IdentifierNameSyntax from }, ArgumentList.Arguments.Count: 0 }
            && Assignments.Is(from, cursor, model, cancellationToken)
            && !body.DescendantNodes(n => n is not (WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
                .OfType<ContinueStatementSyntax>().Any();
    }

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
            .ToList();
        return starts is [ExpressionSyntax start]
            && Unsuppressed(start) is ElementAccessExpressionSyntax { ArgumentList.Arguments: [ArgumentSyntax { Expression: LiteralExpressionSyntax { Token.ValueText: "0" } }] } first
            && Assignments.PathOnly(first.Expression)
                ? first.Expression
                : null;
    }

    /// <summary>The count where the walk is: the map call's count local in this function, or the member it is kept in beside the table.</summary>
    private static ExpressionSyntax? Count(InvocationExpressionSyntax map, ExpressionSyntax table, WhileStatementSyntax loop, SemanticModel model, CancellationToken cancellationToken)
    {
        if (SgLoopBound.CountLocal(map, model, cancellationToken) is not ILocalSymbol count
            || Scope.EnclosingFunction(map) is not SyntaxNode mapFunction
            || model.GetOperation(map, cancellationToken) is not IInvocationOperation mapCall
            || SgEntryCounts.Table(mapCall)?.Value.Syntax is not ExpressionSyntax mapped)
        {
            return null;
        }

        bool onlyTheMap = mapFunction.DescendantNodes().Where(n => Assignments.Writes(n, count, model, cancellationToken)).All(n => n.Span.Contains(map.Span) || n == map.Parent);
        if (mapFunction == Scope.EnclosingFunction(loop))
        {
            IdentifierNameSyntax local = SyntaxFactory.IdentifierName(count.Name);
            return onlyTheMap && SymbolEqualityComparer.Default.Equals(
                model.GetSpeculativeSymbolInfo(loop.SpanStart, local, SpeculativeBindingOption.BindAsExpression).Symbol, count) ? local : null;
        }

        // The one store of the count into a member, R.M = count, in the map's function; R a path from the owner of the
        // mapped table, directly or through a local that holds one (rctx = areq.Rctx).
        var kept = mapFunction.DescendantNodes().OfType<AssignmentExpressionSyntax>()
            .Where(a => a.Right is IdentifierNameSyntax r && Assignments.Is(r, count, model, cancellationToken) && a.Left is MemberAccessExpressionSyntax)
            .ToList();
        if (!onlyTheMap || kept is not [{ Left: MemberAccessExpressionSyntax store }]
            || Unsuppressed(mapped) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax mapOwner } mappedTable
            || Unsuppressed(table) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax walkOwner } walkedTable
            || mappedTable.Name.Identifier.ValueText != walkedTable.Name.Identifier.ValueText
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(mappedTable, cancellationToken).Symbol, model.GetSymbolInfo(walkedTable, cancellationToken).Symbol)
            || Relative(Expand(store.Expression, mapFunction, model, cancellationToken), Unsuppressed(mapOwner)) is not string path)
        {
            return null;
        }

        ExpressionSyntax candidate = SyntaxFactory.ParseExpression($"{walkOwner.WithoutTrivia()}{path}.{store.Name.Identifier.ValueText}");
        return SymbolEqualityComparer.Default.Equals(
            model.GetSpeculativeSymbolInfo(loop.SpanStart, candidate, SpeculativeBindingOption.BindAsExpression).Symbol,
            model.GetSymbolInfo(store, cancellationToken).Symbol)
            ? candidate
            : null;
    }

    /// <summary>A local assigned once, from a chain of names, replaced by that chain (<c>rctx</c> → <c>areq.Rctx</c>).</summary>
    private static ExpressionSyntax Expand(ExpressionSyntax receiver, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        if (receiver is IdentifierNameSyntax name && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local
            && local.DeclaringSyntaxReferences is [SyntaxReference reference]
            && reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: ExpressionSyntax value }
            && Assignments.PathOnly(value) && !Assignments.WrittenIn(function, local, model, cancellationToken))
        {
            return value;
        }

        return receiver;
    }

    /// <summary><paramref name="path"/> as member names after <paramref name="owner"/> (".Rctx"), or null when it does not start there.</summary>
    private static string? Relative(ExpressionSyntax path, ExpressionSyntax owner)
    {
        var names = new List<string>();
        ExpressionSyntax at = path;
        while (!at.WithoutTrivia().IsEquivalentTo(owner.WithoutTrivia(), topLevel: false))
        {
            if (at is not MemberAccessExpressionSyntax access)
            {
                return null;
            }

            names.Insert(0, "." + access.Name.Identifier.ValueText);
            at = access.Expression;
        }

        return string.Concat(names);
    }

    private static ExpressionSyntax Unsuppressed(ExpressionSyntax e) =>
        e is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang ? bang.Operand : e;
}
