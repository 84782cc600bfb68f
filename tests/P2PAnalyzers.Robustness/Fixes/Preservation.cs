using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace P2PAnalyzers.Robustness.Fixes;

/// <summary>
/// What a fix must leave alone. The rewritten region is given by the text changes between the document before and
/// after; outside it every comment and directive and every statement must still be there (compared as multisets of
/// their normalized text, so code that only moved is not a loss).
/// <list type="bullet">
/// <item>A statement counts as rewritten when a change overlaps it (so the statements around a changed one, and the
/// ones nested in an unchanged part of a changed loop, are still checked).</item>
/// <item>A comment may go only with the code it was inside: inside the span of a rewritten statement, or inside a member
/// whose whole body the fix replaced: changed from its first statement to its last, and no statement of it left as it
/// was (P2P0003 rewrites UnmapDmaBuf; the builder it edits keeps the statements that compute each range, so comments
/// there are still checked). A comment on its own line before a removed statement is not inside it: it must stay
/// (P2P0013's fix moves it to the next statement).</item>
/// </list>
/// </summary>
internal static partial class Preservation
{
    public static IReadOnlyList<string> Lost(SyntaxNode before, SyntaxNode after, IReadOnlyList<TextChange> changes)
    {
        var lost = new List<string>();
        List<StatementSyntax> rewritten = Statements(before).Where(s => Touched(s.Span, changes)).ToList();
        var replacedMembers = before.DescendantNodes().OfType<BaseMethodDeclarationSyntax>()
            .Where(m => Body(m) is TextSpan body && Replaced(body, changes) && Statements(m.Body!).All(s => Touched(s.Span, changes)))
            .Select(m => m.FullSpan)
            .ToList();

        // A helper the fix removed whole, every call of which was in code it rewrote, takes its comments with it.
        var kept = new HashSet<string>(after.DescendantNodes().OfType<MethodDeclarationSyntax>().Select(MemberName), StringComparer.Ordinal);
        replacedMembers.AddRange(before.DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Where(m => !kept.Contains(MemberName(m)) && before.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Where(call => call.Expression is IdentifierNameSyntax { Identifier.ValueText: var n } && n == m.Identifier.ValueText
                    || call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var mn } && mn == m.Identifier.ValueText)
                .All(call => rewritten.Any(r => r.Span.Contains(call.Span))))
            .Select(m => m.FullSpan));

        Dictionary<string, int> afterStatements = Multiset(Statements(after).Select(s => Normalize(s.ToString())));
        foreach (StatementSyntax s in Statements(before).Where(s => !Touched(s.Span, changes)))
        {
            if (!Take(afterStatements, Normalize(s.ToString())))
            {
                lost.Add($"statement lost: {Normalize(s.ToString())}");
            }
        }

        Dictionary<string, int> afterComments = Multiset(Comments(after).Select(c => Normalize(c.ToString())));
        foreach (SyntaxTrivia c in Comments(before))
        {
            bool mayGo = rewritten.Any(s => s.Span.Contains(c.Span)) || replacedMembers.Any(m => m.Contains(c.Span));
            if (!Take(afterComments, Normalize(c.ToString())) && !mayGo)
            {
                lost.Add($"comment lost: {Normalize(c.ToString())}");
            }
        }

        return lost;
    }

    private static string MemberName(MethodDeclarationSyntax m) =>
        (m.Parent is TypeDeclarationSyntax t ? t.Identifier.ValueText + "." : "") + m.Identifier.ValueText + "/" + m.ParameterList.Parameters.Count;

    /// <summary>Statements (blocks excluded: they are containers, their statements are compared one by one).</summary>
    private static IEnumerable<StatementSyntax> Statements(SyntaxNode root) =>
        root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax);

    /// <summary>Comments and preprocessor directives (documentation comments as a whole).</summary>
    private static IEnumerable<SyntaxTrivia> Comments(SyntaxNode root) => root.DescendantTrivia(descendIntoTrivia: false).Where(t =>
        t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia)
        || t.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || t.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia)
        || t.IsDirective);

    /// <summary>True when a change overlaps the span (an insertion counts when it falls strictly inside).</summary>
    private static bool Touched(TextSpan span, IReadOnlyList<TextChange> changes) => changes.Any(c =>
        c.Span.Length > 0 ? c.Span.OverlapsWith(span) : span.Start < c.Span.Start && c.Span.Start < span.End);

    /// <summary>The inside of a member's body: from its first statement to its last (null without a block body).</summary>
    private static TextSpan? Body(BaseMethodDeclarationSyntax member) =>
        member is { Body: { Statements.Count: > 0 } b }
            ? TextSpan.FromBounds(b.Statements[0].Span.Start, b.Statements[b.Statements.Count - 1].Span.End)
            : null;

    /// <summary>The changes inside a body reach from its first statement to its last: the body was replaced, not edited.</summary>
    private static bool Replaced(TextSpan body, IReadOnlyList<TextChange> changes)
    {
        TextChange[] inside = changes.Where(c => c.Span.IntersectsWith(body)).ToArray();
        return inside.Length > 0 && inside.Min(c => c.Span.Start) <= body.Start && inside.Max(c => c.Span.End) >= body.End;
    }

    private static Dictionary<string, int> Multiset(IEnumerable<string> items)
    {
        var set = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string item in items)
        {
            set[item] = set.GetValueOrDefault(item) + 1;
        }

        return set;
    }

    private static bool Take(Dictionary<string, int> set, string item)
    {
        if (set.GetValueOrDefault(item) == 0)
        {
            return false;
        }

        set[item]--;
        return true;
    }

    internal static string Normalize(string text) => Whitespace().Replace(text, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
