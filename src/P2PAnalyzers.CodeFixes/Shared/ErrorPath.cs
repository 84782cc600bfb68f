using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The statement that leaves the enclosing function after a failed mapping, as the kernel's error paths do, in the
/// function's own terms: <c>return;</c>, <c>return false;</c>, the error itself for <c>DmaError</c> and
/// <c>DmaResult&lt;T&gt;</c>, <c>(int)error</c> for errno-style ints, <c>null</c> where null is allowed, and otherwise a
/// <c>DmaMappingException</c>.
/// </summary>
internal static class ErrorPath
{
    public static StatementSyntax For(SemanticModel model, SyntaxNode at, ExpressionSyntax error)
    {
        IMethodSymbol? function = EnclosingFunction(model, at);
        if (function is null || function.IsAsync || function.IsIterator())
        {
            return Throw(error);
        }

        ITypeSymbol type = function.ReturnType;
        string? qualified = type.OriginalDefinition.ToDisplayString();
        ExpressionSyntax? value = type.SpecialType switch
        {
            SpecialType.System_Void => null,
            SpecialType.System_Boolean => SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression),
            SpecialType.System_Int32 => SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), error),
            _ when qualified is "P2PDma.Mapping.DmaError" or "P2PDma.Mapping.DmaResult<T>" => error,
            _ when qualified is "P2PDma.Addresses.DmaAddr" => SyntaxFactory.ParseExpression(Names.DmaAddr + ".MappingError"),
            _ when AllowsNull(type) => SyntaxFactory.LiteralExpression(SyntaxKind.NullLiteralExpression),
            _ => null,
        };

        if (value is null && type.SpecialType != SpecialType.System_Void)
        {
            return Throw(error);
        }

        return FixDocument.Generated(SyntaxFactory.ReturnStatement(value));
    }

    private static bool AllowsNull(ITypeSymbol type) =>
        type.NullableAnnotation == NullableAnnotation.Annotated
        || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.None);

    private static StatementSyntax Throw(ExpressionSyntax error) => FixDocument.Generated(
        SyntaxFactory.ThrowStatement(SyntaxFactory.ObjectCreationExpression(SyntaxFactory.ParseTypeName(Names.DmaMappingException))
            .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(error))))));

    private static IMethodSymbol? EnclosingFunction(SemanticModel model, SyntaxNode at)
    {
        for (SyntaxNode? node = at; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case AnonymousFunctionExpressionSyntax lambda:
                    return model.GetSymbolInfo(lambda).Symbol as IMethodSymbol;
                case LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax:
                    return model.GetDeclaredSymbol(node) as IMethodSymbol;
                case ArrowExpressionClauseSyntax { Parent: PropertyDeclarationSyntax or IndexerDeclarationSyntax } arrow:
                    return (model.GetDeclaredSymbol(arrow.Parent!) as IPropertySymbol)?.GetMethod;
            }
        }

        return null;
    }

    private static bool IsIterator(this IMethodSymbol method) =>
        method.ReturnType.OriginalDefinition.SpecialType is SpecialType.System_Collections_Generic_IEnumerable_T or SpecialType.System_Collections_Generic_IEnumerator_T
            or SpecialType.System_Collections_IEnumerable or SpecialType.System_Collections_IEnumerator;
}
