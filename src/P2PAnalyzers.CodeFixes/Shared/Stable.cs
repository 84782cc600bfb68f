using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Whether an expression written at one point of a function still means the same at another: a constant, or a chain
/// of locals, parameters, fields and properties that the function never assigns (nor passes by <c>ref</c>/<c>out</c>), with
/// no call, creation or increment in it, and whose root is in scope there.
/// </summary>
internal static class Stable
{
    public static bool Expression(ExpressionSyntax expression, SyntaxNode function, SemanticModel model, int at, CancellationToken cancellationToken)
    {
        if (model.GetConstantValue(expression, cancellationToken).HasValue)
        {
            return true;
        }

        if (expression.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax
            or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
            or AssignmentExpressionSyntax or ElementAccessExpressionSyntax or AwaitExpressionSyntax))
        {
            return false;
        }

        string text = expression.WithoutTrivia().ToString();
        foreach (SyntaxNode node in function.DescendantNodes())
        {
            ExpressionSyntax? written = node switch
            {
                AssignmentExpressionSyntax a => a.Left,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } r => r.Expression,
                PostfixUnaryExpressionSyntax p => p.Operand,
                PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PreIncrementExpression) || p.IsKind(SyntaxKind.PreDecrementExpression) => p.Operand,
                _ => null,
            };
            if (written is null)
            {
                continue;
            }

            // A write of the expression itself, or of any object along its chain (sgt = other; then sgt.Table).
            string target = written.WithoutTrivia().ToString();
            if (text == target || text.StartsWith(target + ".", System.StringComparison.Ordinal))
            {
                return false;
            }
        }

        // Every name it is built from names the same symbol at the exit (not a local of another block).
        foreach (IdentifierNameSyntax name in expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (name.Parent is MemberAccessExpressionSyntax member && member.Name == name)
            {
                continue;
            }

            ISymbol? symbol = model.GetSymbolInfo(name, cancellationToken).Symbol;
            if (symbol is ILocalSymbol or IParameterSymbol
                && !model.LookupSymbols(at, name: name.Identifier.ValueText).Any(s => SymbolEqualityComparer.Default.Equals(s, symbol)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="local"/> is assigned nowhere in the function but at <paramref name="map"/>.</summary>
    public static bool Unassigned(ILocalSymbol local, SyntaxNode function, SemanticModel model, SyntaxNode map, CancellationToken cancellationToken)
    {
        foreach (SyntaxNode node in function.DescendantNodes())
        {
            ExpressionSyntax? written = node switch
            {
                AssignmentExpressionSyntax a when !a.Right.Span.Contains(map.Span) => a.Left,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } r => r.Expression,
                _ => null,
            };
            if (written is IdentifierNameSyntax id && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, cancellationToken).Symbol, local))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether <paramref name="member"/> (<c>desc.Addr</c>) is assigned only at <paramref name="store"/>, and its local
    /// <paramref name="holder"/> only where it is declared or given a new object before it.
    /// </summary>
    public static bool MemberAssignedOnlyAt(MemberAccessExpressionSyntax member, ILocalSymbol holder, SyntaxNode function, SemanticModel model,
        AssignmentExpressionSyntax store, CancellationToken cancellationToken)
    {
        string text = member.WithoutTrivia().ToString();
        foreach (SyntaxNode node in function.DescendantNodes())
        {
            ExpressionSyntax? written = node switch
            {
                AssignmentExpressionSyntax a when a != store => a.Left,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } r => r.Expression,
                _ => null,
            };
            if (written is null)
            {
                continue;
            }

            if (written.WithoutTrivia().ToString() == text)
            {
                return false;
            }

            if (written is IdentifierNameSyntax id && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, cancellationToken).Symbol, holder))
            {
                return false;
            }
        }

        return true;
    }
}
