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
/// The DMA segment count named where a cursor walk is (<see cref="SgWalkBound"/>): the local the map call's result is kept
/// in, when the map call is in the same function and nothing else assigns it; or, when the map call is in another method,
/// the member that method stores the count into, read through the object the walked table is read from. rockchip's
/// <c>rk_hash_prepare</c> keeps <c>rctx-&gt;nrsg</c> (<c>rctx = areq-&gt;rctx</c>) beside <c>areq-&gt;src</c>, so the walk
/// of <c>areq-&gt;src</c> reads <c>areq.Rctx.Nrsg</c>; isci's <c>isci_io_request_build</c> stores
/// <c>request-&gt;num_sg_entries</c> and maps the list of <c>isci_request_access_task(request)</c>, so the walk of
/// <c>isci_request_access_task(ireq)</c>'s list reads <c>ireq.NumSgEntries</c> (the same pure accessor on both sides).
/// </summary>
internal static class SgWalkCount
{
    /// <summary>The count where the walk is: the map call's count local in this function, or the member it is kept in beside the table.</summary>
    public static ExpressionSyntax? At(InvocationExpressionSyntax map, ExpressionSyntax table, WhileStatementSyntax loop, SemanticModel model, CancellationToken cancellationToken)
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

        // The count is read where the walk is only if the map call stores it whenever its method runs: a map call under
        // a condition (isci maps only for SSP; libata maps for SATA and leaves num_sg_entries 0) proves nothing there.
        if (store is not null && Conditional(map, mapFunction))
        {
            return null;
        }

        // R, the count's receiver, as a path from the object the mapped table is read from, directly or through a local
        // holding a chain (rctx = areq.Rctx) or a pure accessor's result (task = isci_request_access_task(request)).
        if (store is null
            || SgWalkBound.Unsuppressed(mapped) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax mapOwner } mappedTable
            || SgWalkBound.Unsuppressed(table) is not MemberAccessExpressionSyntax { Expression: ExpressionSyntax walkOwner } walkedTable
            || mappedTable.Name.Identifier.ValueText != walkedTable.Name.Identifier.ValueText
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(mappedTable, cancellationToken).Symbol, model.GetSymbolInfo(walkedTable, cancellationToken).Symbol)
            || Bases(Expand(SgWalkBound.Unsuppressed(mapOwner), mapFunction, model, cancellationToken), Expand(SgWalkBound.Unsuppressed(walkOwner), Scope.EnclosingFunction(loop)!, model, cancellationToken),
                SgWalkBound.Unsuppressed(walkOwner), model, cancellationToken) is not (ExpressionSyntax mapBase, ExpressionSyntax walkBase)
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

    /// <summary>Whether <paramref name="map"/> sits under a branch, loop, switch or try of its function.</summary>
    private static bool Conditional(SyntaxNode map, SyntaxNode function) =>
        map.Ancestors().TakeWhile(a => a != function).Any(a => a is IfStatementSyntax or SwitchStatementSyntax or WhileStatementSyntax
            or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or TryStatementSyntax or ConditionalExpressionSyntax or BinaryExpressionSyntax);

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
}
