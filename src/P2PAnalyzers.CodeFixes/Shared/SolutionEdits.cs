using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>Syntax edits over several documents of a solution, applied together and finished as every fix is (<see cref="FixDocument"/>).</summary>
internal static class SolutionEdits
{
    /// <summary>Edits over several documents: each node removed (null) or replaced.</summary>
    public static Task<Solution> ApplyAsync(Solution solution, SolutionModels models, Dictionary<SyntaxNode, SyntaxNode?> edits, CancellationToken cancellationToken) =>
        ApplyAsync(solution, models, edits.ToDictionary(e => e.Key, e => e.Value is null ? (IReadOnlyList<SyntaxNode>)System.Array.Empty<SyntaxNode>() : new[] { e.Value }), cancellationToken);

    /// <summary>Edits over several documents: each node removed (no replacement), replaced, or replaced by several (list members).</summary>
    public static async Task<Solution> ApplyAsync(Solution solution, SolutionModels models, Dictionary<SyntaxNode, IReadOnlyList<SyntaxNode>> edits, CancellationToken cancellationToken)
    {
        foreach (IGrouping<SyntaxTree, KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>>> group in edits.GroupBy(e => e.Key.SyntaxTree))
        {
            Document document = solution.GetDocument(models.DocumentOf(group.First().Key).Id)!;
            SyntaxNode root = await group.Key.GetRootAsync(cancellationToken).ConfigureAwait(false);
            SyntaxNode tracked = root.TrackNodes(group.Select(e => e.Key));
            foreach (KeyValuePair<SyntaxNode, IReadOnlyList<SyntaxNode>> e in group)
            {
                SyntaxNode current = tracked.GetCurrentNode(e.Key)!;
                tracked = e.Value switch
                {
                    [] => tracked.RemoveNode(current, SyntaxRemoveOptions.KeepNoTrivia)!,
                    [var one] => tracked.ReplaceNode(current, one),
                    var several => tracked.ReplaceNode(current, several),
                };
            }

            Document changed = await FixDocument.ReplaceRootAsync(document, tracked, cancellationToken).ConfigureAwait(false);
            solution = changed.Project.Solution;
        }

        return solution;
    }

    /// <summary>No error in the changed projects that was not there before (a struct reached through a property, a readonly member).</summary>
    public static async Task<bool> NoNewErrorsAsync(Solution before, Solution after, CancellationToken cancellationToken)
    {
        foreach (ProjectChanges project in after.GetChanges(before).GetProjectChanges())
        {
            Compilation? old = await project.OldProject.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            Compilation? @new = await project.NewProject.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            if (old is null || @new is null
                || @new.GetDiagnostics(cancellationToken).Count(d => d.Severity == DiagnosticSeverity.Error) > old.GetDiagnostics(cancellationToken).Count(d => d.Severity == DiagnosticSeverity.Error))
            {
                return false;
            }
        }

        return true;
    }
}
