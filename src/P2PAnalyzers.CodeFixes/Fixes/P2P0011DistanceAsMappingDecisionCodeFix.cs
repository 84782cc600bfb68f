using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
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
public sealed class P2P0011DistanceAsMappingDecisionCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.DistanceAsMappingDecision);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        Diagnostic diagnostic = context.Diagnostics[0];
        if (root is null || model is null || diagnostic.AdditionalLocations.Count == 0)
        {
            return;
        }

        var plans = new List<MapP2PRewrite.Plan>();
        foreach (Location gated in diagnostic.AdditionalLocations)
        {
            if (root.FindNode(gated.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
                || MapP2PRewrite.Prepare(model, call, null, context.CancellationToken) is not MapP2PRewrite.Plan plan)
            {
                return;
            }

            plans.Add(plan);
        }

        SyntaxNode newRoot = MapP2PRewrite.Apply(root, plans);
        context.RegisterCodeFix(
            CodeAction.Create("Map with Dma.MapP2P", ct => FixDocument.ReplaceRootAsync(context.Document, newRoot, ct), RuleIdentifiers.DistanceAsMappingDecision),
            diagnostic);
    }
}
