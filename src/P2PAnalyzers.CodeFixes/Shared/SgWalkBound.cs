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
            || Advances(body, cursor, model, cancellationToken) is not { Count: > 0 } advances
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
                || advance.Ancestors().TakeWhile(a => a != body).Any(a => a is WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            {
                return null;
            }

            advances.Add(advance);
        }

        return advances;
    }

    /// <summary>A <c>continue</c> of this loop (not of a loop or function nested in it).</summary>
    private static bool Continues(BlockSyntax body) =>
        body.DescendantNodes(n => n is not (WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            .OfType<ContinueStatementSyntax>().Any();

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

    /// <summary>The count where the walk is: the map call's count local in this function, or the member it is kept in beside the table.</summary>
    private static ExpressionSyntax? Count(InvocationExpressionSyntax map, ExpressionSyntax table, WhileStatementSyntax loop, SemanticModel model, CancellationToken cancellationToken)
    {
        if (Scope.EnclosingFunction(map) is not SyntaxNode mapFunction
            || model.GetOperation(map, cancellationToken) is not IInvocationOperation mapCall
            || SgEntryCounts.Table(mapCall)?.Value.Syntax is not ExpressionSyntax mapped)
        {
            return null;
        }

        MemberAccessExpressionSyntax? store;
        if (SgLoopBound.CountLocal(map, model, cancellationToken) is ILocalSymbol count)
        {
            bool onlyTheMap = mapFunction.DescendantNodes().Where(n => Assignments.Writes(n, count, model, cancellationToken)).All(n => n.Span.Contains(map.Span) || n == map.Parent);
            if (mapFunction == Scope.EnclosingFunction(loop))
            {
                IdentifierNameSyntax local = SyntaxFactory.IdentifierName(count.Name);
                return onlyTheMap && SymbolEqualityComparer.Default.Equals(
                    model.GetSpeculativeSymbolInfo(loop.SpanStart, local, SpeculativeBindingOption.BindAsExpression).Symbol, count) ? local : null;
            }

            // The one store of the count into a member, R.M = count, in the map's function.
            var kept = mapFunction.DescendantNodes().OfType<AssignmentExpressionSyntax>()
                .Where(a => a.Right is IdentifierNameSyntax r && Assignments.Is(r, count, model, cancellationToken) && a.Left is MemberAccessExpressionSyntax)
                .ToList();
            store = onlyTheMap && kept is [{ Left: MemberAccessExpressionSyntax member }] ? member : null;
        }
        else
        {
            // The count stored straight into a member (isci: request->num_sg_entries = dma_map_sg(..)), in another method.
            store = map.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax member } assignment
                && assignment.Right == map && mapFunction != Scope.EnclosingFunction(loop) ? member : null;
        }

        // R, the count's receiver, as a path from the object the mapped table is read from, directly or through a local
        // holding a chain (rctx = areq.Rctx) or a pure accessor's result (task = isci_request_access_task(request)).
        if (store is null
            || Unsuppressed(mapped) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax mapOwner } mappedTable
            || Unsuppressed(table) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax walkOwner } walkedTable
            || mappedTable.Name.Identifier.ValueText != walkedTable.Name.Identifier.ValueText
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(mappedTable, cancellationToken).Symbol, model.GetSymbolInfo(walkedTable, cancellationToken).Symbol)
            || Bases(Expand(Unsuppressed(mapOwner), mapFunction, model, cancellationToken), Expand(Unsuppressed(walkOwner), Scope.EnclosingFunction(loop)!, model, cancellationToken),
                Unsuppressed(walkOwner), model, cancellationToken) is not (ExpressionSyntax mapBase, ExpressionSyntax walkBase)
            || Relative(Expand(store.Expression, mapFunction, model, cancellationToken), mapBase) is not string path)
        {
            return null;
        }

        ExpressionSyntax candidate = SyntaxFactory.ParseExpression($"{walkBase.WithoutTrivia()}{path}.{store.Name.Identifier.ValueText}");
        return SymbolEqualityComparer.Default.Equals(
            model.GetSpeculativeSymbolInfo(loop.SpanStart, candidate, SpeculativeBindingOption.BindAsExpression).Symbol,
            model.GetSymbolInfo(store, cancellationToken).Symbol)
            ? candidate
            : null;
    }

    /// <summary>
    /// The objects the two tables' owners come from: the same pure accessor's arguments when both owners are its results
    /// (<c>F(request)</c> and <c>F(ireq)</c>), else the map side's owner and the walk's owner as written.
    /// </summary>
    private static (ExpressionSyntax, ExpressionSyntax)? Bases(ExpressionSyntax mapOwner, ExpressionSyntax walkOwner, ExpressionSyntax walkWritten, SemanticModel model, CancellationToken cancellationToken)
    {
        if (mapOwner is not InvocationExpressionSyntax mapAccess)
        {
            return (mapOwner, walkWritten);
        }

        return walkOwner is InvocationExpressionSyntax walkAccess
            && model.GetSymbolInfo(mapAccess, cancellationToken).Symbol is IMethodSymbol accessor && PureAccessor(accessor, cancellationToken)
            && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(walkAccess, cancellationToken).Symbol, accessor)
            && mapAccess.ArgumentList.Arguments is [ArgumentSyntax mapArgument] && walkAccess.ArgumentList.Arguments is [ArgumentSyntax walkArgument]
            && Assignments.PathOnly(mapArgument.Expression) && Assignments.PathOnly(walkArgument.Expression)
                ? (mapArgument.Expression, walkArgument.Expression)
                : null;
    }

    /// <summary>A static method of one parameter that returns a chain of members of it (<c>=&gt; ireq.IoTaskPtr</c>).</summary>
    private static bool PureAccessor(IMethodSymbol method, CancellationToken cancellationToken) =>
        method is { IsStatic: true, Parameters.Length: 1, DeclaringSyntaxReferences: [SyntaxReference reference] }
        && reference.GetSyntax(cancellationToken) is MethodDeclarationSyntax { ExpressionBody.Expression: MemberAccessExpressionSyntax chain }
        && Assignments.PathOnly(chain) && Root(chain) is IdentifierNameSyntax { Identifier.ValueText: var root } && root == method.Parameters[0].Name;

    private static ExpressionSyntax Root(ExpressionSyntax e) => e is MemberAccessExpressionSyntax m ? Root(m.Expression) : e;

    /// <summary>
    /// A local assigned once, from a chain of names or a pure accessor's result, replaced by that (<c>rctx</c> →
    /// <c>areq.Rctx</c>, <c>task</c> → <c>IsciRequestAccessTask(request)</c>).
    /// </summary>
    private static ExpressionSyntax Expand(ExpressionSyntax receiver, SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        if (receiver is IdentifierNameSyntax name && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local
            && local.DeclaringSyntaxReferences is [SyntaxReference reference]
            && reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: ExpressionSyntax value }
            && (Assignments.PathOnly(value) || value is InvocationExpressionSyntax { ArgumentList.Arguments: [ArgumentSyntax only] } && Assignments.PathOnly(only.Expression))
            && !Assignments.WrittenIn(function, local, model, cancellationToken))
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
