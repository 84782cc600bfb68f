using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// What a fix may use at a position: locals declared before it, parameters, and fields and properties of the enclosing
/// type (instance ones only in instance code). "Unique" means exactly one candidate; anything else declines the fix.
/// </summary>
internal static class Scope
{
    public static ImmutableArray<ISymbol> OfType(SemanticModel model, int position, ITypeSymbol? type)
    {
        if (type is null)
        {
            return ImmutableArray<ISymbol>.Empty;
        }

        bool isStatic = model.GetEnclosingSymbol(position) is ISymbol { IsStatic: true };
        return model.LookupSymbols(position)
            .Where(s => SymbolEqualityComparer.Default.Equals(TypeOf(s)?.WithNullableAnnotation(NullableAnnotation.None), type.WithNullableAnnotation(NullableAnnotation.None)))
            .Where(s => s switch
            {
                ILocalSymbol local => local.DeclaringSyntaxReferences.All(r => r.Span.End <= position),
                IParameterSymbol => true,
                IFieldSymbol or IPropertySymbol => !isStatic || s.IsStatic,
                _ => false,
            })
            .ToImmutableArray();
    }

    /// <summary>The one symbol of <paramref name="type"/> in scope, as an expression; null when none or several.</summary>
    public static ExpressionSyntax? Unique(SemanticModel model, int position, ITypeSymbol? type)
    {
        ImmutableArray<ISymbol> candidates = OfType(model, position, type);
        return candidates.Length == 1 ? SyntaxFactory.IdentifierName(candidates[0].Name) : null;
    }

    /// <summary>The function (method, accessor, local function or lambda) whose body holds <paramref name="node"/>.</summary>
    public static SyntaxNode? EnclosingFunction(SyntaxNode node) =>
        node.AncestorsAndSelf().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);

    /// <summary>True when <paramref name="expression"/> binds at <paramref name="position"/> to a value of <paramref name="type"/>.</summary>
    public static bool BindsTo(SemanticModel model, int position, ExpressionSyntax expression, ITypeSymbol? type) =>
        type is not null
        && model.GetSpeculativeTypeInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Type is ITypeSymbol bound
        && SymbolEqualityComparer.Default.Equals(bound.WithNullableAnnotation(NullableAnnotation.None), type.WithNullableAnnotation(NullableAnnotation.None));

    /// <summary>Whether every name in <paramref name="expression"/> means at <paramref name="position"/> what it means where it is.</summary>
    public static bool BindsAlike(ExpressionSyntax expression, SemanticModel model, int position, System.Threading.CancellationToken cancellationToken) =>
        expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().All(name =>
            name.Parent is MemberAccessExpressionSyntax access && access.Name == name
            || SymbolEqualityComparer.Default.Equals(
                model.GetSpeculativeSymbolInfo(position, name, SpeculativeBindingOption.BindAsExpression).Symbol,
                model.GetSymbolInfo(name, cancellationToken).Symbol));

    /// <summary>A local name not used at <paramref name="position"/>: <paramref name="preferred"/>, or it with a number.</summary>
    public static string FreeName(SemanticModel model, int position, string preferred)
    {
        var taken = model.LookupSymbols(position).Select(s => s.Name).ToImmutableHashSet();
        string name = preferred;
        for (int i = 2; taken.Contains(name); i++)
        {
            name = preferred + i;
        }

        return name;
    }

    private static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        ILocalSymbol l => l.Type,
        IParameterSymbol p => p.Type,
        IFieldSymbol f => f.Type,
        IPropertySymbol p => p.Type,
        _ => null,
    };
}
