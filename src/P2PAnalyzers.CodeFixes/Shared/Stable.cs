using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Whether what a fix repeats at another point of a function still means the same there: no store into it in the
/// function (<see cref="Assignments"/>), and its names in scope at that point.
/// </summary>
internal static class Stable
{
    /// <summary>A constant, or a chain of names the function never stores into, whose locals and parameters are in scope at <paramref name="at"/>.</summary>
    public static bool Expression(ExpressionSyntax expression, SyntaxNode function, SemanticModel model, int at, CancellationToken cancellationToken) =>
        Assignments.Unassigned(expression, function, model, cancellationToken)
        && expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
            .Where(name => !(name.Parent is MemberAccessExpressionSyntax member && member.Name == name))
            .Select(name => model.GetSymbolInfo(name, cancellationToken).Symbol)
            .All(symbol => symbol is not (ILocalSymbol or IParameterSymbol) || InScope(symbol, model, at));

    /// <summary>Whether <paramref name="symbol"/> (a local, a member) is stored into nowhere in the function but at <paramref name="only"/>.</summary>
    public static bool AssignedOnlyAt(ISymbol symbol, SyntaxNode function, SemanticModel model, AssignmentExpressionSyntax only, CancellationToken cancellationToken) =>
        !function.DescendantNodes().Any(n => n != only && Assignments.Writes(n, symbol, model, cancellationToken));

    /// <summary>Whether <paramref name="symbol"/> is the one its name finds at <paramref name="at"/> (not a local of another block).</summary>
    public static bool InScope(ISymbol symbol, SemanticModel model, int at) =>
        model.LookupSymbols(at, name: symbol.Name).Any(s => SymbolEqualityComparer.Default.Equals(s, symbol));
}
