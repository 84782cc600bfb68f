using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// A call that hands its caller an object nobody else holds: a method of the compilation (not virtual, abstract or an
/// interface member) whose every return is a new object or null, as a driver writes its allocator
/// (<c>devm_kzalloc(&amp;pdev-&gt;dev, sizeof(*mv_chan), GFP_KERNEL)</c>, transliterated <c>=&gt; new MvXorChan { .. }</c>). A
/// mapping stored into such an object is kept only as long as the object is: the caller's error return drops both
/// (mv_xor_channel_add's dummy buffers).
/// </summary>
internal static class FreshObjectHelpers
{
    public static bool Returns(IOperation value) =>
        AddressKey.Value(value) is IInvocationOperation { TargetMethod: { IsVirtual: false, IsAbstract: false, IsOverride: false } method }
        && method.ContainingType?.TypeKind != TypeKind.Interface
        && method.DeclaringSyntaxReferences.Length == 1
        && method.DeclaringSyntaxReferences[0].GetSyntax() is MethodDeclarationSyntax declaration
        && Returned(declaration) is { Length: > 0 } returned
        && returned.All(r => r is BaseObjectCreationExpressionSyntax || r.IsKind(SyntaxKind.NullLiteralExpression))
        && returned.Any(r => r is BaseObjectCreationExpressionSyntax);

    private static ExpressionSyntax[]? Returned(MethodDeclarationSyntax declaration)
    {
        if (declaration.ExpressionBody is { } arrow)
        {
            return new[] { Unwrapped(arrow.Expression) };
        }

        if (declaration.Body is not { } body)
        {
            return null;
        }

        var returns = body.DescendantNodes(n => n is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            .OfType<ReturnStatementSyntax>().ToList();
        return returns.Any(r => r.Expression is null) ? null : returns.Select(r => Unwrapped(r.Expression!)).ToArray();
    }

    private static ExpressionSyntax Unwrapped(ExpressionSyntax e)
    {
        while (e is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            e = e is ParenthesizedExpressionSyntax p ? p.Expression : ((CastExpressionSyntax)e).Expression;
        }

        return e;
    }
}
