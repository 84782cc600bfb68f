using System.Collections.Immutable;
using System.Composition;
using System.Threading;
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
public sealed class P2P0010PeerMemoryMappedWithoutMapTypeCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.PeerMemoryMappedWithoutMapType;

    private protected override string Title(Diagnostic diagnostic) => "Map with Dma.MapP2P";

    /// <summary>
    /// A mapping whose address goes into a hand-built exporter table: the table's builder, callers and unmap change
    /// together to <c>DmaBufMapping.PhysVecToSgt</c> / <c>FreeSgt</c>, which decide by map type (<see cref="TableBuilderRewrite"/>).
    /// Where that declines, the mapping itself becomes <c>Dma.MapP2P</c> with a provider synthesised from the BAR read,
    /// marking the entries it fills and guarding the project's entry unmaps (<see cref="MapP2PUnit"/>).
    /// </summary>
    private protected override async Task<UnitFix?> RewriteUnitAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (await UnitFix.FirstAsync((() => TableBuilders.FromMappingAsync(document, diagnostic, cancellationToken), TableBuilders.Title)).ConfigureAwait(false) is UnitFix table)
        {
            return table;
        }

        return await MapP2PUnit.RewriteAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is (Solution solution, string title)
            ? new UnitFix(solution, title)
            : null;
    }

    /// <summary>
    /// P2P memory given to the pre-6.2 <c>Dma.LegacyMapSg</c>: the same call through the P2P-aware <c>Dma.MapSg</c>, and the
    /// method's <c>Dma.LegacyUnmapSg</c> of that table through <c>Dma.UnmapSg</c> (which skips the bus-address entries the
    /// new mapping may make, and does what the legacy unmap did for every other entry).
    /// </summary>
    private protected override (SyntaxNode Root, string Title)? RewriteTitled(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax call
            && LegacySgRewrite.Apply(root, model, call, cancellationToken) is SyntaxNode rewritten)
        {
            return (rewritten, "Map with the P2P-aware Dma.MapSg");
        }

        return base.RewriteTitled(root, model, diagnostic, cancellationToken);
    }

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax call
        && MapP2PRewrite.Prepare(model, call, FactKey.Read(diagnostic.Properties), cancellationToken) is MapP2PRewrite.Plan plan
            ? MapP2PRewrite.Apply(root, new[] { plan })
            : null;
}
