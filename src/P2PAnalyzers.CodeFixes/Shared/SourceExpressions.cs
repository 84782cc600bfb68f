using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// Turns the analysis' canonical keys back into code: <c>B:dev#0</c> is <c>dev.Bar(0)</c>, <c>P:provider</c> the
/// provider (its BAR is <c>provider.Bar</c>), <c>X:path</c> a BAR held at <c>path</c>. The result is used only if it
/// binds to the expected type where the fix puts it.
/// </summary>
internal static class SourceExpressions
{
    /// <summary>The BAR a CPU physical address came from, as an expression; null when unknown.</summary>
    public static ExpressionSyntax? Bar(string? key)
    {
        if (key is null || key.Length < 3)
        {
            return null;
        }

        string path = key.Substring(2);
        switch (key.Substring(0, 2))
        {
            case "B:":
                int hash = path.LastIndexOf('#');
                string index = path.Substring(hash + 1);
                return hash > 0 && int.TryParse(index, out _) ? Parse($"{path.Substring(0, hash)}.Bar({index})") : null;
            case "P:":
                return Parse(path + ".Bar");
            case "X:":
                return Parse(path);
            default:
                return null;
        }
    }

    /// <summary>The provider a key names directly (<c>P:provider</c>); null otherwise.</summary>
    public static ExpressionSyntax? Provider(string? key) =>
        key is not null && key.StartsWith("P:", System.StringComparison.Ordinal) ? Parse(key.Substring(2)) : null;

    private static ExpressionSyntax? Parse(string text)
    {
        ExpressionSyntax expression = SyntaxFactory.ParseExpression(text);
        return expression.ContainsDiagnostics ? null : expression;
    }
}
