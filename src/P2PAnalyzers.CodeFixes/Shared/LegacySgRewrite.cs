using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>
/// <c>Dma.LegacyMapSg(dev, table, ..)</c> to <c>Dma.MapSg(dev, table, ..)</c> (the same arguments: dma_map_sg has been
/// P2P-aware since Linux 6.2), with every <c>Dma.LegacyUnmapSg</c> of the same table text in the same method to
/// <c>Dma.UnmapSg</c>. Renaming more unmaps than needed is harmless: the two differ only on bus-address entries, which
/// only the P2P-aware map makes.
/// </summary>
internal static class LegacySgRewrite
{
    public static SyntaxNode? Apply(SyntaxNode root, SemanticModel model, InvocationExpressionSyntax call, CancellationToken cancellationToken)
    {
        if (call.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "LegacyMapSg" } access
            || !EarlyExits.IsLibraryDma(model, call)
            || call.ArgumentList.Arguments.Count < 2
            || call.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not MemberDeclarationSyntax member)
        {
            return null;
        }

        string table = call.ArgumentList.Arguments[1].Expression.WithoutTrivia().ToString();
        var unmaps = member.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Where(c => c.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "LegacyUnmapSg" }
                && c.ArgumentList.Arguments.Count >= 2 && c.ArgumentList.Arguments[1].Expression.WithoutTrivia().ToString() == table
                && EarlyExits.IsLibraryDma(model, c))
            .Select(c => (MemberAccessExpressionSyntax)c.Expression);

        return root.ReplaceNodes(unmaps.Append(access), (original, _) => original.WithName(
            SyntaxFactory.IdentifierName(original == access ? "MapSg" : "UnmapSg").WithTriviaFrom(original.Name)));
    }
}
