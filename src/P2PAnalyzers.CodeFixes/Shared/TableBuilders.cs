using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace P2PAnalyzers.CodeFixes.Shared;

/// <summary>From a diagnostic to the builder <see cref="TableBuilderRewrite"/> rewrites, for P2P0003 and P2P0010.</summary>
internal static class TableBuilders
{
    public const string Title = "Build the exporter's table with DmaBufMapping.PhysVecToSgt (builder, callers and unmap)";

    /// <summary>P2P0003: the builder the diagnostic names, called from the MapDmaBuf it is reported in (or that MapDmaBuf).</summary>
    public static async Task<Solution?> FromReturnAsync(Document document, Diagnostic diagnostic, string? builderName, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not MethodDeclarationSyntax map || builderName is null)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        SemanticModel model = models.ModelOf(map);
        MethodDeclarationSyntax? builder = map.Identifier.ValueText == builderName ? map
            : map.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Select(i => model.GetSymbolInfo(i, cancellationToken).Symbol)
                .OfType<IMethodSymbol>()
                .Where(m => m.Name == builderName)
                .SelectMany(m => m.DeclaringSyntaxReferences)
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<MethodDeclarationSyntax>()
                .Distinct()
                .SingleOrDefault();
        return builder is null ? null : await TableBuilderRewrite.ApplyAsync(document.Project.Solution, models, builder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>P2P0010: the function of the mapping when it builds the table, else the one builder that hands it the entry.</summary>
    public static async Task<Solution?> FromMappingAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not MethodDeclarationSyntax function)
        {
            return null;
        }

        SolutionModels models = await SolutionModels.OfAsync(document.Project, cancellationToken).ConfigureAwait(false);
        if (await TableBuilderRewrite.ApplyAsync(document.Project.Solution, models, function, cancellationToken).ConfigureAwait(false) is Solution direct)
        {
            return direct;
        }

        if (models.ModelOf(function).GetDeclaredSymbol(function, cancellationToken) is not IMethodSymbol helper
            || models.Invocations(helper, cancellationToken).Select(c => c.FirstAncestorOrSelf<MethodDeclarationSyntax>()).Distinct().ToList() is not [MethodDeclarationSyntax builder])
        {
            return null;
        }

        return await TableBuilderRewrite.ApplyAsync(document.Project.Solution, models, builder, cancellationToken).ConfigureAwait(false);
    }
}
