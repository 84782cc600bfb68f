using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>P2P0010: maps the peer memory with <c>Dma.MapP2P</c>, which asks the map type and applies the bus offset (<see cref="MapP2PRewrite"/>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0010PeerMemoryMappedWithoutMapTypeCodeFix)), Shared]
public sealed class P2P0010PeerMemoryMappedWithoutMapTypeCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.PeerMemoryMappedWithoutMapType);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        Diagnostic diagnostic = context.Diagnostics[0];
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call || model is null
            || MapP2PRewrite.Prepare(model, call, diagnostic.Properties.GetValueOrDefault(PropertyNames.SourceKey), context.CancellationToken) is not MapP2PRewrite.Plan plan)
        {
            return;
        }

        SyntaxNode newRoot = MapP2PRewrite.Apply(root, new[] { plan });
        context.RegisterCodeFix(
            CodeAction.Create("Map with Dma.MapP2P", ct => FixDocument.ReplaceRootAsync(context.Document, newRoot, ct), RuleIdentifiers.PeerMemoryMappedWithoutMapType),
            diagnostic);
    }
}
