using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// P2P0010's <see cref="MapP2PRewrite"/> with the project at hand, for what the one-document rewrite declines: no
/// provider in scope (it is synthesised from the BAR read, per loop iteration if need be: VFIO's populate_sgt), and the
/// address stored into scatterlist entries, where the mapping is decided by map type and the entries are marked
/// (<see cref="MapTypeEntries"/>), while every entry unmap of the project, in whatever file, skips marked entries
/// (<see cref="BusAddressEntries"/>).
/// </summary>
internal static class MapP2PUnit
{
    /// <summary>The title when only the mapping changes.</summary>
    public const string Title = "Map with Dma.MapP2P";

    /// <summary>The title when the address goes into entries: decided by map type, entries marked, entry unmaps guarded.</summary>
    public const string MarkTitle = "Map by map type and mark bus-address entries";

    /// <summary>The fixed solution and its title; null when the rewrite is not sound here.</summary>
    public static async Task<(Solution Solution, string Title)?> RewriteAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        if (!models.Has(call)
            || MapP2PRewrite.Prepare(models.ModelOf(call), call, FactKey.Read(diagnostic.Properties), models, cancellationToken) is not MapP2PRewrite.Plan plan)
        {
            return null;
        }

        var edits = MapP2PRewrite.Edits(plan).ToDictionary(e => e.Key, e => e.Value);
        if (plan.Marks.Count > 0)
        {
            ISymbol? dmaAddress = models.ModelOf(call).Compilation.GetTypeByMetadataName("P2PDma.Mapping.Scatterlist")?.GetMembers("DmaAddress").SingleOrDefault();
            if (dmaAddress is null
                || BusAddressEntries.UnmapsToGuard(models, plan.Marks.Select(m => (SyntaxNode)m.Store).ToList(), dmaAddress, cancellationToken) is not { } guards)
            {
                return null;
            }

            foreach ((StatementSyntax unmap, ExpressionSyntax entry) in guards)
            {
                edits[unmap] = new[] { BusAddressEntries.Guard(unmap, entry) };
            }
        }

        // Edits are whole statements; one inside another would be lost when the outer one is replaced.
        if (edits.Keys.Any(k => edits.Keys.Any(o => o != k && o.SyntaxTree == k.SyntaxTree && o.Span.Contains(k.Span))))
        {
            return null;
        }

        Solution before = document.Project.Solution;
        Solution after = await SolutionEdits.ApplyAsync(before, models, new Dictionary<SyntaxNode, IReadOnlyList<SyntaxNode>>(edits), cancellationToken).ConfigureAwait(false);
        return await SolutionEdits.NoNewErrorsAsync(before, after, cancellationToken).ConfigureAwait(false)
            ? (after, plan.Marks.Count > 0 ? MarkTitle : Title)
            : null;
    }
}
