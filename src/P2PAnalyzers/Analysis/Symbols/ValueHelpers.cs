using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>
/// Methods of the compilation that hand back the number they are given in another width or byte order: the kernel's
/// <c>cpu_to_le32</c>, <c>cpu_to_be64</c> and <c>lower_32_bits</c>, through which nearly every descriptor address is
/// written (<c>desc-&gt;addr = cpu_to_le64(mapping)</c>). A call of one carries the address as a cast does, and keeps
/// nothing: it neither checks, nor unmaps, nor takes the mapping.
/// </summary>
/// <remarks>
/// Read from the declaration's syntax (it may be in another file): a body that is one expression, or one
/// <c>return</c>, made of a parameter through parentheses, casts to a built-in type, <c>checked</c>/<c>unchecked</c>,
/// a mask that keeps at least the low 20 bits (<c>&amp; 0xffffffff</c>, <c>&amp; uint.MaxValue</c>; a smaller one takes
/// an offset out, as <see cref="Evaluator"/> reads it), <c>BinaryPrimitives.ReverseEndianness</c>, and a conditional
/// whose arms are both such forms of the same parameter (<c>BitConverter.IsLittleEndian ? v : ReverseEndianness(v)</c>).
/// A shift (<c>upper_32_bits</c>) takes the address apart and is not one. Virtual, abstract and interface members are
/// not read: an override may keep the mapping.
/// </remarks>
internal static class ValueHelpers
{
    /// <summary>The ordinal of the parameter whose value <paramref name="method"/> returns as it is; null when it is not such a helper.</summary>
    public static int? Passes(IMethodSymbol method)
    {
        // A virtual, abstract or interface member may be overridden to keep what it is handed.
        if (method.Parameters.IsEmpty || method.ReturnsVoid || method.DeclaringSyntaxReferences.Length != 1
            || method.IsVirtual || method.IsAbstract || method.IsOverride || method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            return null;
        }

        ExpressionSyntax? body = method.DeclaringSyntaxReferences[0].GetSyntax() switch
        {
            MethodDeclarationSyntax m => Single(m.ExpressionBody, m.Body),
            LocalFunctionStatementSyntax f => Single(f.ExpressionBody, f.Body),
            _ => null,
        };
        if (body is null || Root(body) is not IdentifierNameSyntax name)
        {
            return null;
        }


        IParameterSymbol? parameter = method.Parameters.FirstOrDefault(p => p.Name == name.Identifier.ValueText);
        return parameter?.Ordinal;
    }

    private static ExpressionSyntax? Single(ArrowExpressionClauseSyntax? arrow, BlockSyntax? block) =>
        arrow?.Expression ?? (block is { Statements: [ReturnStatementSyntax { Expression: ExpressionSyntax returned }] } ? returned : null);

    /// <summary>The expression the value is taken from, through the forms that keep it; null for any other form.</summary>
    private static ExpressionSyntax? Root(ExpressionSyntax expression)
    {
        while (true)
        {
            switch (expression)
            {
                case IdentifierNameSyntax:
                    return expression;
                case ParenthesizedExpressionSyntax p:
                    expression = p.Expression;
                    break;
                case CastExpressionSyntax { Type: PredefinedTypeSyntax } cast:
                    expression = cast.Expression;
                    break;
                case CheckedExpressionSyntax c:
                    expression = c.Expression;
                    break;
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseAndExpression } mask when KeepsAddress(mask.Right):
                    expression = mask.Left;
                    break;
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseAndExpression } masked when KeepsAddress(masked.Left):
                    expression = masked.Right;
                    break;
                // The endian-correct form, `BitConverter.IsLittleEndian ? v : ReverseEndianness(v)`: both arms hand back
                // the same parameter, and the condition does not read it.
                case ConditionalExpressionSyntax conditional
                    when Root(conditional.WhenTrue) is IdentifierNameSyntax whenTrue && Root(conditional.WhenFalse) is IdentifierNameSyntax whenFalse
                    && whenTrue.Identifier.ValueText == whenFalse.Identifier.ValueText
                    && !conditional.Condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == whenTrue.Identifier.ValueText):
                    return whenTrue;
                case InvocationExpressionSyntax { ArgumentList.Arguments: [ArgumentSyntax only] } call
                    when call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ReverseEndianness" } or IdentifierNameSyntax { Identifier.ValueText: "ReverseEndianness" }:
                    expression = only.Expression;
                    break;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// A literal mask of at least the low 20 bits (a smaller one extracts an offset within a page or region), or the
    /// <c>MaxValue</c> of an unsigned built-in type of 32 bits or more (<c>n &amp; uint.MaxValue</c>).
    /// </summary>
    private static bool KeepsAddress(ExpressionSyntax mask) =>
        mask is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MaxValue", Expression: PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.UIntKeyword or (int)SyntaxKind.ULongKeyword } }
        || mask is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal
        && literal.Token.Value switch
        {
            int i => i < 0 || i >= 0x10_0000,
            uint u => u >= 0x10_0000,
            long l => l < 0 || l >= 0x10_0000,
            ulong u => u >= 0x10_0000,
            _ => false,
        };
}
