using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// The nents a map call was given, kept before the function overwrites it with the count the map returned (rw.c's
/// <c>sg_cnt = ret;</c>, pch_uart's <c>priv-&gt;nent = nent</c>): a local declared just before the map's statement,
/// <c>int origSgCnt = sgCnt;</c>, which the unmap is then given, as pch_uart's fix kept <c>orig_nent</c>. Offered when
/// the nents is a local or parameter, the unmap is in the same function and the same block (or one inside it) as the
/// map's statement or a statement around it (rw.c's <c>if</c> that maps in either arm: nothing before the map in it may
/// store into the nents), after it, and no <c>goto</c> precedes that statement in the function (a jump from before it
/// into a label after it would reach the unmap without the copy).
/// </summary>
internal static class SavedNents
{
    public static (SyntaxNode Root, string Name)? Rewrite(SyntaxNode root, SemanticModel model, IOperation given, IInvocationOperation map, ArgumentSyntax argument, CancellationToken cancellationToken)
    {
        if (given.Syntax is not IdentifierNameSyntax nents
            || model.GetSymbolInfo(nents, cancellationToken).Symbol is not ISymbol symbol || symbol is not (ILocalSymbol or IParameterSymbol)
            || Outermost(map.Syntax, argument) is not StatementSyntax statement
            || statement.Parent is not BlockSyntax block
            // rw.c maps in either arm of an `if`: the copy goes before the `if`, where nothing has changed the nents yet.
            || statement.DescendantNodes().Any(n => n.Span.End <= map.Syntax.SpanStart && Assignments.Writes(n, symbol, model, cancellationToken))
            || Scope.EnclosingFunction(statement) is not SyntaxNode function
            || Scope.EnclosingFunction(argument) != function
            || !block.Span.Contains(argument.Span) || argument.SpanStart < statement.Span.End
            || function.DescendantNodes().OfType<GotoStatementSyntax>().Any(g => g.SpanStart < statement.SpanStart))
        {
            return null;
        }

        // A copy the fix already made for another unmap of the same map: reused.
        int index = block.Statements.IndexOf(statement);
        if (index > 0 && block.Statements[index - 1] is LocalDeclarationStatementSyntax { Declaration.Variables: [{ Initializer.Value: IdentifierNameSyntax copied } kept] }
            && copied.Identifier.ValueText == nents.Identifier.ValueText && kept.Identifier.ValueText.StartsWith("orig", System.StringComparison.Ordinal))
        {
            return (root.ReplaceNode(argument.Expression, SyntaxFactory.IdentifierName(kept.Identifier.ValueText).WithTriviaFrom(argument.Expression)), kept.Identifier.ValueText);
        }

        string text = nents.Identifier.ValueText;
        string name = Scope.FreeName(model, statement.SpanStart, "orig" + char.ToUpperInvariant(text[0]) + text.Substring(1));
        SyntaxNode tracked = root.TrackNodes(statement, argument.Expression);
        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(argument.Expression)!, SyntaxFactory.IdentifierName(name).WithTriviaFrom(argument.Expression));
        StatementSyntax copy = FixDocument.Statement($"int {name} = {text};").WithLeadingTrivia(statement.GetLeadingTrivia());
        return (tracked.InsertNodesBefore(tracked.GetCurrentNode(statement)!, new[] { copy }), name);
    }

    // The statement around the map call whose block also holds the unmap: the map's own, or an `if` around it.
    private static StatementSyntax? Outermost(SyntaxNode map, ArgumentSyntax unmapArgument)
    {
        for (StatementSyntax? statement = map.FirstAncestorOrSelf<StatementSyntax>(); statement is not null; statement = statement.Parent?.FirstAncestorOrSelf<StatementSyntax>())
        {
            if (statement.Parent is BlockSyntax block && block.Span.Contains(unmapArgument.Span))
            {
                return statement;
            }
        }

        return null;
    }
}
