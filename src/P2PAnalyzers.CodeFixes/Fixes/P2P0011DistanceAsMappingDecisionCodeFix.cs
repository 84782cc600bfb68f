using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0011: the mapping calls a distance check decides are rewritten to <c>Dma.MapP2P</c> (<see cref="MapP2PRewrite"/>),
/// which asks the map type itself; the distance check stays as the "is P2P possible at all" test it really is. Declined
/// unless every gated call can be rewritten.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0011DistanceAsMappingDecisionCodeFix)), Shared]
public sealed class P2P0011DistanceAsMappingDecisionCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.DistanceAsMappingDecision;

    private protected override string Title(Diagnostic diagnostic) => "Map with Dma.MapP2P";

    /// <summary>
    /// A gate that decides a hand-built exporter table (the attach verdict in <c>attach.Peer2Peer</c> tested in
    /// MapDmaBuf, before the mapping or the builder that maps): the table's unit becomes <c>DmaBufMapping.PhysVecToSgt</c>,
    /// which decides by map type, as P2P0010's fix does (<see cref="TableBuilders.FromGateAsync"/>).
    /// </summary>
    private protected override Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        (int calls, int helpers) = Counts(diagnostic);
        return calls + helpers > diagnostic.AdditionalLocations.Count
            ? Task.FromResult<UnitFix?>(null)
            : UnitFix.FirstAsync((() => TableBuilders.FromGateAsync(document, diagnostic.AdditionalLocations.Take(calls).ToList(),
                diagnostic.AdditionalLocations.Skip(calls).Take(helpers).ToList(), cancellationToken), TableBuilders.Title));
    }

    /// <summary>How many additional locations are gated calls, then gated helpers (the verdict's origins follow).</summary>
    private static (int Calls, int Helpers) Counts(Diagnostic diagnostic)
    {
        static int Read(Diagnostic d, string key, int otherwise) =>
            int.TryParse(d.Properties.GetValueOrDefault(key), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : otherwise;

        return (Read(diagnostic, P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer.GatedCallsProperty, diagnostic.AdditionalLocations.Count),
            Read(diagnostic, P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer.GatedHelpersProperty, 0));
    }

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count == 0)
        {
            return null;
        }

        // The gated calls are the first additional locations; the helpers and where a bool's verdict was computed follow.
        int count = Counts(diagnostic).Calls;
        if (count == 0)
        {
            // The gate decides whether a helper that maps runs: the mapping to rewrite is in the helper.
            return null;
        }

        var plans = new List<MapP2PRewrite.Plan>();
        foreach (Location gated in diagnostic.AdditionalLocations.Take(count))
        {
            if (root.FindNode(gated.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
                || MapP2PRewrite.Prepare(model, call, default, cancellationToken) is not MapP2PRewrite.Plan plan)
            {
                return null;
            }

            plans.Add(plan);
        }

        return MapP2PRewrite.Apply(root, plans);
    }
}
