using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using P2PAnalyzers.Analysis;
using P2PAnalyzers.CodeFixes.Shared;
using P2PAnalyzers.Rules;

namespace P2PAnalyzers.CodeFixes.Fixes;

/// <summary>
/// P2P0021: gives the unmap the direction or size its map call was given (ath10k: <c>DMA_FROM_DEVICE</c> became
/// <c>DMA_TO_DEVICE</c>). The map call is the diagnostic's first additional location, in any file; its argument is a
/// constant the analyzer read from syntax (through a thin wrapper's argument map for ib_dma_map_single), written back the
/// same way (a <c>DmaDirection</c> member or a literal).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(P2P0021UnmapDoesNotMatchMapCodeFix)), Shared]
public sealed class P2P0021UnmapDoesNotMatchMapCodeFix : P2PCodeFix
{
    private protected override string RuleId => RuleIdentifiers.UnmapDoesNotMatchMap;

    private protected override string Title(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(P2P0021UnmapDoesNotMatchMapAnalyzer.Parameter, out string? parameter) && parameter == MapArguments.Size
            ? "Unmap with the size the map was given"
            : "Unmap with the direction the map was given";

    private protected override SyntaxNode? Rewrite(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(P2P0021UnmapDoesNotMatchMapAnalyzer.Parameter, out string? parameter)
            || parameter is not (MapArguments.Size or MapArguments.Direction)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ArgumentSyntax>() is not ArgumentSyntax argument
            || diagnostic.AdditionalLocations.FirstOrDefault() is not Location at
            || at.SourceTree?.GetRoot(cancellationToken).FindNode(at.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax map
            || Given(map, model, parameter, cancellationToken) is not ExpressionSyntax given)
        {
            return null;
        }

        ExpressionSyntax replacement = parameter == MapArguments.Direction && given is MemberAccessExpressionSyntax member
            ? SyntaxFactory.ParseExpression($"global::P2PDma.Mapping.DmaDirection.{member.Name.Identifier.ValueText}")
            : given.WithoutTrivia();
        return root.ReplaceNode(argument.Expression, FixDocument.Generated(replacement).WithTriviaFrom(argument.Expression));
    }

    // The map call's argument for the parameter: the library's own, or what a thin wrapper's call (ib_dma_map_single)
    // hands the library's parameter of that name through the wrapper's argument map.
    private static ExpressionSyntax? Given(InvocationExpressionSyntax map, SemanticModel model, string parameter, CancellationToken cancellationToken)
    {
        if (MapArguments.LibraryMethod(map, model.Compilation.GetTypeByMetadataName("P2PDma.Mapping.Dma")) is IMethodSymbol library)
        {
            return MapArguments.Given(map, library, parameter);
        }

        return KnownSymbols.TryGet(model.Compilation) is KnownSymbols k
            && SemanticModels.Of(model.Compilation, map.SyntaxTree).GetSymbolInfo(map, cancellationToken).Symbol is IMethodSymbol method
            && ThinWrappers.Of(method, k) is ThinWrapper wrapper
                ? MapArguments.Given(map, wrapper.Library, parameter, wrapper)
                : null;
    }
}
