using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// How a function leaves early while it holds a lock it took by an explicit call: through the release its own early
/// exits make right before they return (8139cp's <c>cp_start_xmit</c>: <c>spin_unlock_irqrestore(..); return
/// NETDEV_TX_BUSY;</c> when the ring is full; the kernel's mapping check leaves through the same unlock).
/// </summary>
internal static class LockedExit
{
    /// <summary>
    /// The release statements of the nearest early exit between the last acquire before <paramref name="at"/> and it,
    /// when each is also made after <paramref name="at"/> (the same lock); null when there is none, or when leaving at
    /// <paramref name="at"/> would leave mappings made before it behind: a map call earlier on the way, or a loop around
    /// it whose earlier rounds mapped (cp_start_xmit's fragments, which the kernel's fix unwinds first).
    /// </summary>
    public static StatementSyntax[]? Releases(SemanticModel model, StatementSyntax at)
    {
        SyntaxNode? body = Scope.EnclosingFunction(at);
        if (body is null || MapsBefore(model, at, body))
        {
            return null;
        }

        int acquired = EarlyExits.Own(body).OfType<InvocationExpressionSyntax>()
            .Where(c => c.SpanStart < at.SpanStart && EarlyExits.Acquires(EarlyExits.NameOf(c.Expression)))
            .Select(c => c.SpanStart).DefaultIfEmpty(-1).Max();
        // The lock must still be held where the function would leave: a release since the acquire, other than one an early
        // exit makes right before returning, means the code in between runs unlocked (a second unlock there would be wrong).
        if (EarlyExits.Own(body).OfType<ExpressionStatementSyntax>()
            .Any(r => r.SpanStart > acquired && r.Span.End <= at.SpanStart && IsRelease(r)
                && !(r.Parent is BlockSyntax b && b.Statements.SkipWhile(x => x != r).Skip(1).SkipWhile(IsRelease).FirstOrDefault() is ReturnStatementSyntax)))
        {
            return null;
        }

        var later = new HashSet<string>(EarlyExits.Own(body).OfType<ExpressionStatementSyntax>()
            .Where(s => s.SpanStart > at.Span.End && IsRelease(s)).Select(Text));
        foreach (ReturnStatementSyntax exit in EarlyExits.Own(body).OfType<ReturnStatementSyntax>()
            .Where(r => r.SpanStart > acquired && r.Span.End <= at.SpanStart).OrderByDescending(r => r.SpanStart))
        {
            if (exit.Parent is not BlockSyntax block)
            {
                continue;
            }

            StatementSyntax[] releases = block.Statements.Take(block.Statements.IndexOf(exit)).Reverse()
                .TakeWhile(IsRelease).Reverse().ToArray();
            if (releases.Length > 0)
            {
                return releases.All(r => later.Contains(Text(r)))
                    ? releases.Select(r => r.WithoutTrivia().WithAdditionalAnnotations(Formatter.Annotation)).ToArray()
                    : null;
            }
        }

        return null;
    }

    /// <summary>A library map call in a statement before <paramref name="at"/> of a block around it, or a loop around it.</summary>
    private static bool MapsBefore(SemanticModel model, SyntaxNode at, SyntaxNode body)
    {
        for (SyntaxNode node = at; node != body && node.Parent is SyntaxNode parent; node = parent)
        {
            if (parent is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
            {
                return true;
            }

            if (parent is BlockSyntax block && block.Statements.TakeWhile(s => s != node)
                .SelectMany(s => s.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
                .Any(c => EarlyExits.NameOf(c.Expression) is string name && name.StartsWith("Map", System.StringComparison.Ordinal)
                    && name != "MappingError" && EarlyExits.IsLibraryDma(model, c)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsRelease(StatementSyntax statement) =>
        statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call } && EarlyExits.Releases(EarlyExits.NameOf(call.Expression));

    private static string Text(StatementSyntax statement) => statement.WithoutTrivia().NormalizeWhitespace().ToString();
}
