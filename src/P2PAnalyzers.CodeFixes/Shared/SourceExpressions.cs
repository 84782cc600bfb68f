using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Turns the analysis' typed source keys (<see cref="FactKey"/>, read from a diagnostic's properties) back into code:
/// BAR 0 of <c>dev</c> is <c>dev.Bar(0)</c>, a provider's BAR is <c>provider.Bar</c>, a BAR held at a path is that path.
/// A path from <c>this</c> is used only in a member of the type it was seen in; the result is used only if it binds to
/// the expected type where the fix puts it.
/// </summary>
internal static class SourceExpressions
{
    /// <summary>The BAR a CPU physical address came from, as an expression; null when unknown.</summary>
    public static ExpressionSyntax? Bar(FactKey key, SemanticModel model, int position)
    {
        if (key.Path is not string path || !Visible(key, model, position))
        {
            return null;
        }

        return key.Kind switch
        {
            KeyKind.DeviceBar when key.Bar is int index => Parse($"{path}.Bar({index.ToString(System.Globalization.CultureInfo.InvariantCulture)})"),
            KeyKind.DeviceBar when key.BarPath is ObjectPath index && SameIndexHere(index, model, position) => Parse($"{path}.Bar({index.Text})"),
            KeyKind.Provider => Parse(path + ".Bar"),
            KeyKind.Bar => Parse(path),
            _ => null,
        };
    }

    /// <summary>The provider a key names directly; null otherwise.</summary>
    public static ExpressionSyntax? Provider(FactKey key, SemanticModel model, int position) =>
        key.Kind == KeyKind.Provider && key.Path is string path && Visible(key, model, position) ? Parse(path) : null;

    /// <summary>The device whose BAR a key names; null otherwise.</summary>
    public static string? BarOwner(FactKey key) => key.Kind == KeyKind.DeviceBar ? key.Path : null;

    /// <summary>
    /// True when the BAR index variable names, at <paramref name="position"/>, the value it had where the BAR was read:
    /// a local or parameter of the method that is never assigned after its declaration, or a read-only field.
    /// </summary>
    private static bool SameIndexHere(ObjectPath index, SemanticModel model, int position)
    {
        if (index.Scope is not (null or ObjectPath.Everywhere) && model.GetEnclosingSymbol(position)?.ContainingType?.Name != index.Scope)
        {
            return false;
        }

        ExpressionSyntax expression = SyntaxFactory.ParseExpression(index.Text);
        ISymbol? symbol = model.GetSpeculativeSymbolInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Symbol;
        switch (symbol)
        {
            case IFieldSymbol field:
                return field.IsReadOnly || field.IsConst;
            case ILocalSymbol or IParameterSymbol:
                SyntaxNode? body = model.SyntaxTree.GetRoot().FindToken(position).Parent?.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax);
                return body is not null && !body.DescendantNodes().Any(n => n switch
                {
                    AssignmentExpressionSyntax a => Names(a.Left, symbol.Name),
                    PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.PreIncrementExpression) || u.IsKind(SyntaxKind.PreDecrementExpression) => Names(u.Operand, symbol.Name),
                    PostfixUnaryExpressionSyntax u => Names(u.Operand, symbol.Name),
                    ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg => Names(arg.Expression, symbol.Name),
                    _ => false,
                });
            default:
                return false;
        }
    }

    private static bool Names(ExpressionSyntax expression, string name) => expression is IdentifierNameSyntax id && id.Identifier.ValueText == name;

    private static bool Visible(FactKey key, SemanticModel model, int position) =>
        key.Scope is null or ObjectPath.Everywhere || model.GetEnclosingSymbol(position)?.ContainingType?.Name == key.Scope;

    private static ExpressionSyntax? Parse(string text)
    {
        ExpressionSyntax expression = SyntaxFactory.ParseExpression(text);
        return expression.ContainsDiagnostics ? null : expression;
    }
}
