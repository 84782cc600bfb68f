using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0023: removes the redundant one of two unmaps, as the Amlogic A4 fix did: the reported unmap where every path to
/// it has unmapped already, or the earlier unmap where every path from it reaches the reported one first and both are
/// given the same arguments (the analyzer decides which on its walk: <see cref="P2P0023UseAfterUnmapAnalyzer.FixProperty"/>);
/// or, for an unmap a map call's failure jumps to, routes the failure past it (<see cref="FailurePastUnmap"/>) or, where
/// the unmap is under a zero guard, clears the address before the jump (<see cref="FailureClearsAddress"/>); or, for a
/// helper's unmap on a mapping helper's failure, unmaps only where the helper mapped (<see cref="MappedFlag"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0023UseAfterUnmapCodeFix)), Shared]
public sealed class P2P0023UseAfterUnmapCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.UseAfterUnmap;

    private protected override string Title(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(P2P0023UseAfterUnmapAnalyzer.FixProperty, out string? which) && which == P2P0023UseAfterUnmapAnalyzer.RemoveEarlier
            ? "Remove the earlier unmap (this one runs on every path from it)"
            : which == P2P0023UseAfterUnmapAnalyzer.RemoveUse ? "Remove this unmap (the address is already unmapped here)"
            : diagnostic.Properties.ContainsKey(P2P0023UseAfterUnmapAnalyzer.HelperFailureProperty) ? "Unmap only where the helper mapped"
            : "Leave on the map's failure without this unmap";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(P2P0023UseAfterUnmapAnalyzer.FixProperty, out string? which))
        {
            return diagnostic.Properties.ContainsKey(P2P0023UseAfterUnmapAnalyzer.HelperFailureProperty)
                ? MappedFlag.Rewrite(root, model, diagnostic, cancellationToken)
                : FailurePastUnmap.Rewrite(root, model, diagnostic, cancellationToken) ?? FailureClearsAddress.Rewrite(root, diagnostic);
        }

        if (Call(root, diagnostic.Location) is not InvocationExpressionSyntax reported)
        {
            return null;
        }

        InvocationExpressionSyntax? removed = which switch
        {
            P2P0023UseAfterUnmapAnalyzer.RemoveUse => reported,
            P2P0023UseAfterUnmapAnalyzer.RemoveEarlier when diagnostic.AdditionalLocations.FirstOrDefault() is Location earlier
                && earlier.SourceTree == root.SyntaxTree && Call(root, earlier) is InvocationExpressionSyntax first
                && Same(first, reported) => first,
            _ => null,
        };
        if (removed?.Parent is not ExpressionStatementSyntax statement)
        {
            return null;
        }

        return statement.Parent switch
        {
            BlockSyntax or SwitchSectionSyntax => Statements.Remove(root, statement),
            // `out: unmap(..);` keeps its label, on an empty statement.
            LabeledStatementSyntax => root.ReplaceNode(statement, SyntaxFactory.EmptyStatement().WithTriviaFrom(statement)),
            _ => null, // an if's or a loop's only statement without braces
        };
    }

    private static InvocationExpressionSyntax? Call(SyntaxNode root, Location location) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();

    // The unmap that stays must do what the removed one did: the same call, the same arguments.
    private static bool Same(InvocationExpressionSyntax a, InvocationExpressionSyntax b) =>
        a.Expression.IsEquivalentTo(b.Expression, topLevel: false) && a.ArgumentList.IsEquivalentTo(b.ArgumentList, topLevel: false);
}
