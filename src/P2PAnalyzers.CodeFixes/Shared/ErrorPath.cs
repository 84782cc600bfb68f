using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The statement that leaves the enclosing function after a failed mapping, as the kernel's error paths do, in the
/// function's own terms: <c>return;</c>, <c>return false;</c>, the error itself for <c>DmaError</c> and
/// <c>DmaResult&lt;T&gt;</c>, <c>(int)error</c> for errno-style ints, <c>null</c> where null is allowed, and otherwise a
/// <c>DmaMappingException</c>. Where the function's own failures set a status before they return (blk_dma_map_iter_start's
/// <c>iter-&gt;status = BLK_STS_INVAL; return false;</c>), the new path sets that status to the error too.
/// </summary>
internal static class ErrorPath
{
    /// <summary>The error path as statements: the status the function's failures set, if any, then the return.</summary>
    public static StatementSyntax[] Statements(SemanticModel model, SyntaxNode at, ExpressionSyntax error)
    {
        StatementSyntax leave = Leave(model, at, error);
        return leave is ReturnStatementSyntax ret && StatusSetBefore(model, at, ret, error) is StatementSyntax status
            ? new[] { status, leave }
            : new[] { leave };
    }

    /// <summary>The error path as one statement (a block when it sets a status).</summary>
    public static StatementSyntax For(SemanticModel model, SyntaxNode at, ExpressionSyntax error) =>
        Statements(model, at, error) is { Length: 1 } one ? one[0] : SyntaxFactory.Block(Statements(model, at, error));

    private static StatementSyntax Leave(SemanticModel model, SyntaxNode at, ExpressionSyntax error)
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

    /// <summary>
    /// <c>status = (int)error;</c> when the function's other returns of the same failure value all set one status just
    /// before (<c>iter.Status = -5; return false;</c>), on an <c>int</c> or <c>DmaError</c> member; otherwise null.
    /// </summary>
    private static StatementSyntax? StatusSetBefore(SemanticModel model, SyntaxNode at, ReturnStatementSyntax leave, ExpressionSyntax error)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        if (body is null || leave.Expression is null)
        {
            return null;
        }

        ExpressionSyntax? target = null;
        foreach (ReturnStatementSyntax other in body.DescendantNodes().OfType<ReturnStatementSyntax>())
        {
            // Compared as text: a generated literal is not syntactically equivalent to a parsed one.
            if (other.Expression is null || other.Expression.NormalizeWhitespace().ToString() != leave.Expression.NormalizeWhitespace().ToString())
            {
                continue;
            }

            int index = other.Parent is BlockSyntax b ? b.Statements.IndexOf(other) : -1;
            if (index < 1 || ((BlockSyntax)other.Parent!).Statements[index - 1] is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax member } })
            {
                return null;
            }

            if (target is not null && !target.IsEquivalentTo(member))
            {
                return null;
            }

            target = member;
        }

        ITypeSymbol? type = target is null ? null : model.GetTypeInfo(target).Type;
        ExpressionSyntax? value = type?.SpecialType == SpecialType.System_Int32
            ? SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), error)
            : type?.ToDisplayString() == "P2PDma.Mapping.DmaError" ? error : null;
        return value is null ? null : FixDocument.Generated(SyntaxFactory.ExpressionStatement(
            SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, target!.WithoutTrivia(), value)));
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
