using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Whether an expression means the same thing wherever a fix moves it: a chain of names, and the stores a function
/// makes into a name (assignments, compound ones included, <c>++</c>/<c>--</c>, <c>ref</c>/<c>out</c> arguments).
/// </summary>
internal static class Assignments
{
    /// <summary>A chain of names (<c>hdev.Pdev</c>, <c>Vdev.Pdev</c>, <c>this.Vdev.Pdev</c>): nothing evaluated twice differs.</summary>
    public static bool PathOnly(ExpressionSyntax e) => e switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax m => PathOnly(m.Expression),
        _ => false,
    };

    /// <summary>Whether <paramref name="n"/> stores into <paramref name="symbol"/>.</summary>
    public static bool Writes(SyntaxNode n, ISymbol symbol, SemanticModel model, CancellationToken cancellationToken) => n switch
    {
        AssignmentExpressionSyntax a => Is(a.Left, symbol, model, cancellationToken),
        PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PreIncrementExpression) || u.IsKind(SyntaxKind.PreDecrementExpression) => Is(u.Operand, symbol, model, cancellationToken),
        PostfixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PostIncrementExpression) || u.IsKind(SyntaxKind.PostDecrementExpression) => Is(u.Operand, symbol, model, cancellationToken),
        ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg => Is(arg.Expression, symbol, model, cancellationToken),
        _ => false,
    };

    /// <summary>Whether anything in <paramref name="scope"/> stores into <paramref name="symbol"/>.</summary>
    public static bool WrittenIn(SyntaxNode scope, ISymbol symbol, SemanticModel model, CancellationToken cancellationToken) =>
        scope.DescendantNodes().Any(n => Writes(n, symbol, model, cancellationToken));

    /// <summary>
    /// A constant, or names and members of names (<c>pages.Length</c>, <c>pageSize</c>) none of which
    /// <paramref name="scope"/> stores into.
    /// </summary>
    public static bool Unassigned(ExpressionSyntax e, SyntaxNode scope, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetConstantValue(e, cancellationToken).HasValue)
        {
            return true;
        }

        if (e.DescendantNodesAndSelf().Any(n => n is not (IdentifierNameSyntax or MemberAccessExpressionSyntax)))
        {
            return false;
        }

        return e.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
            .Select(n => model.GetSymbolInfo(n, cancellationToken).Symbol)
            .All(s => s is null || !WrittenIn(scope, s, model, cancellationToken));
    }

    public static bool Is(ExpressionSyntax e, ISymbol symbol, SemanticModel model, CancellationToken cancellationToken) =>
        SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(e, cancellationToken).Symbol, symbol);
}
