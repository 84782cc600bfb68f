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

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count == 0)
        {
            return null;
        }

        // The gated calls are the first additional locations; where a bool's verdict was computed may follow.
        int count = int.TryParse(diagnostic.Properties.GetValueOrDefault(P2PAnalyzers.Rules.P2P0011DistanceAsMappingDecisionAnalyzer.GatedCallsProperty),
            System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : diagnostic.AdditionalLocations.Count;
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
