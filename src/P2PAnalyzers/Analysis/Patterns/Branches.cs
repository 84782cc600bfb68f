using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.Analysis;

/// <summary>Which pieces of a function no path runs one after the other, read from its syntax.</summary>
internal static class Branches
{
    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> sit in different arms of one branch (the two arms of an
    /// <c>if</c>/<c>else</c> or <c>?:</c>, two sections of a <c>switch</c>) with no loop around that branch in the function
    /// and no label before it: then no path runs one after the other.
    /// </summary>
    public static bool Exclusive(SyntaxNode a, SyntaxNode b)
    {
        SyntaxNode? common = a.Ancestors().FirstOrDefault(n => n.Span.Contains(b.Span));
        bool apart = common switch
        {
            IfStatementSyntax s => s.Else is { } e && Splits(s.Statement, e.Statement, a, b),
            ConditionalExpressionSyntax c => Splits(c.WhenTrue, c.WhenFalse, a, b),
            SwitchStatementSyntax sw => sw.Sections.FirstOrDefault(x => x.Span.Contains(a.Span)) is { } sa
                && sw.Sections.FirstOrDefault(x => x.Span.Contains(b.Span)) is { } sb && sa != sb
                && !sw.DescendantNodes().OfType<GotoStatementSyntax>().Any(),
            SwitchExpressionSyntax se => se.Arms.FirstOrDefault(x => x.Span.Contains(a.Span)) is { } xa
                && se.Arms.FirstOrDefault(x => x.Span.Contains(b.Span)) is { } xb && xa != xb,
            _ => false,
        };
        if (!apart)
        {
            return false;
        }

        // A loop around the branch, or a label before it (a backward goto), runs the other arm after this one.
        SyntaxNode? function = common!.Ancestors().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax
            or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax);
        return !common.Ancestors().TakeWhile(n => n != function)
                .Any(n => n is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
            && (function is null || !function.DescendantNodes().OfType<LabeledStatementSyntax>().Any(l => l.SpanStart < common.Span.End));
    }

    private static bool Splits(SyntaxNode first, SyntaxNode second, SyntaxNode a, SyntaxNode b) =>
        (first.Span.Contains(a.Span) && second.Span.Contains(b.Span)) || (first.Span.Contains(b.Span) && second.Span.Contains(a.Span));
}
