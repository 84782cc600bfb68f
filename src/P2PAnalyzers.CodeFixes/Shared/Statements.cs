using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>Statement-level edits that keep the comments around them.</summary>
internal static class Statements
{
    /// <summary>
    /// Removes a statement; comments and directives before it move to the next token, its own line goes away entirely.
    /// </summary>
    public static SyntaxNode Remove(SyntaxNode root, SyntaxNode statement)
    {
        SyntaxTriviaList leading = statement.GetLeadingTrivia();
        int lastLineEnd = -1;
        for (int i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia))
            {
                lastLineEnd = i;
            }
        }

        SyntaxTriviaList kept = lastLineEnd < 0 ? default : SyntaxFactory.TriviaList(leading.Take(lastLineEnd + 1));
        bool meaningful = kept.Any(t => !t.IsKind(SyntaxKind.WhitespaceTrivia) && !t.IsKind(SyntaxKind.EndOfLineTrivia));
        SyntaxToken next = statement.GetLastToken().GetNextToken();
        if (!meaningful || next.IsKind(SyntaxKind.None))
        {
            return root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!;
        }

        SyntaxNode tracked = root.TrackNodes(statement);
        SyntaxToken trackedNext = tracked.FindToken(next.SpanStart);
        tracked = tracked.ReplaceToken(trackedNext, trackedNext.WithLeadingTrivia(kept.AddRange(trackedNext.LeadingTrivia)));
        return tracked.RemoveNode(tracked.GetCurrentNode(statement)!, SyntaxRemoveOptions.KeepNoTrivia)!;
    }
}
